package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.TransportException;

/**
 * Where a provider's keyring sessions come from: a channel on a keyring of one of the clusters the
 * provider is registered with. {@link RegisteredClusters} opens them through the clients of the
 * configuration file; a test may give the provider channels on an in-memory cluster instead.
 */
@FunctionalInterface
public interface ChannelOpener extends AutoCloseable {
  /**
   * Opens a channel on keyring {@code keyringLabelOrId} of the cluster at {@code clusterIndex}.
   *
   * @throws dev.keyring.protocol.HsmException CKR_SLOT_ID_INVALID if the cluster has no such
   *     keyring
   */
  KeyringChannel open(int clusterIndex, String keyringLabelOrId) throws TransportException;

  /**
   * Releases what the opener holds (connections); the channels it opened are closed by their
   * owners.
   */
  @Override
  default void close() {}
}
