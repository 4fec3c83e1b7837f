package dev.keyring.e2e.client;

import dev.keyring.client.api.TransportOptions;

/** {@link ClientFlowContract} over HTTP/1.1 (the default). */
class Http11ClientFlowTest extends ClientFlowContract {
  @Override
  TransportOptions.HttpVersion httpVersion() {
    return TransportOptions.HttpVersion.HTTP_1_1;
  }
}
