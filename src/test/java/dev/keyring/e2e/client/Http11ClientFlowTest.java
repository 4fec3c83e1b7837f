package dev.keyring.e2e.client;

import dev.keyring.client.api.TransportOptions;

/** {@link ClientFlowContract} over HTTP/1.1, the REST crypto API (the wire pinned to HTTP). */
class Http11ClientFlowTest extends ClientFlowContract {
  @Override
  TransportOptions.HttpVersion httpVersion() {
    return TransportOptions.HttpVersion.HTTP_1_1;
  }

  @Override
  TransportOptions options() {
    return super.options().toBuilder().wire(TransportOptions.Wire.HTTP).build();
  }
}
