package dev.keyring.e2e.client;

import dev.keyring.client.api.TransportOptions;

/** {@link ClientFlowContract} over HTTP/2 (ALPN). */
class Http2ClientFlowTest extends ClientFlowContract {
  @Override
  TransportOptions.HttpVersion httpVersion() {
    return TransportOptions.HttpVersion.HTTP_2;
  }
}
