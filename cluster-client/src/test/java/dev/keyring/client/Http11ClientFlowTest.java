package dev.keyring.client;

/** {@link ClientFlowContract} over HTTP/1.1 (the default). */
class Http11ClientFlowTest extends ClientFlowContract {
  @Override
  TransportOptions.HttpVersion httpVersion() {
    return TransportOptions.HttpVersion.HTTP_1_1;
  }
}
