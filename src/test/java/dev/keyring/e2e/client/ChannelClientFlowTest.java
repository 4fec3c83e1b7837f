package dev.keyring.e2e.client;

import dev.keyring.client.api.TransportOptions;

/**
 * {@link ClientFlowContract} over the members' binary crypto channel: every call of the contract,
 * with the same results and the same refusal codes as over HTTP (the view and health probes still
 * travel over HTTP).
 */
class ChannelClientFlowTest extends ClientFlowContract {
  @Override
  TransportOptions.HttpVersion httpVersion() {
    return TransportOptions.HttpVersion.HTTP_1_1;
  }

  @Override
  TransportOptions options() {
    return super.options().toBuilder().wire(TransportOptions.Wire.CHANNEL).build();
  }
}
