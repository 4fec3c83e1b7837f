package dev.keyring.client.ha;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.HaGroupEntry;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Opening the HA groups of a client configuration file ({@code VirtualToken} and {@code
 * HAConfiguration} sections) as virtual slots.
 */
public final class HaGroups {
  private HaGroups() {}

  /**
   * The group with this label in the configuration (labels compare without regard to case), if any.
   */
  public static Optional<HaGroupEntry> find(ClientConfig config, String label) {
    return config.haGroup(label);
  }

  /**
   * Opens the virtual slot of {@code group}: a session on every member that can be reached (found
   * on the registered clusters by serial number); the others start out down and are recovered
   * later. Log it in as a keyring session.
   *
   * @throws TransportException when no member can be reached
   */
  public static HaGroupChannel open(ClientConfig config, HaGroupEntry group, ClusterClients clients)
      throws TransportException {
    return open(config, group, clients, null);
  }

  /**
   * {@link #open(ClientConfig, HaGroupEntry, ClusterClients)}, the group then following the client
   * configuration file {@code file} while it is logged in: members added to the group's entry are
   * brought in sync and put in rotation, members removed leave it, standby changes take effect, all
   * without opening the group again (checked once a second; see docs/ha-groups.md). A null {@code
   * file} keeps the members {@code group} names.
   *
   * @throws TransportException when no member can be reached
   */
  public static HaGroupChannel open(
      ClientConfig config, HaGroupEntry group, ClusterClients clients, Path file)
      throws TransportException {
    HaGroupChannel c =
        new HaGroupChannel(
            group,
            config.haSettings(),
            new HaLog(config.haLog(), group.label()),
            new HaLocator(clients),
            file);
    c.connect();
    return c;
  }

  /** {@link #open} for the group with this label; empty when the configuration has none. */
  public static Optional<KeyringChannel> openIfGroup(
      ClientConfig config, String label, ClusterClients clients) throws TransportException {
    return openIfGroup(config, label, clients, null);
  }

  /**
   * {@link #open(ClientConfig, HaGroupEntry, ClusterClients, Path)} for the group with this label,
   * following {@code file}; empty when the configuration has none.
   */
  public static Optional<KeyringChannel> openIfGroup(
      ClientConfig config, String label, ClusterClients clients, Path file)
      throws TransportException {
    Optional<HaGroupEntry> g = find(config, label);
    if (g.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(open(config, g.get(), clients, file));
  }
}
