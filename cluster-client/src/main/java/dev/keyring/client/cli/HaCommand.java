package dev.keyring.client.cli;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.client.ha.ClusterClients;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.Secrets;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A {@code hagroup} command: it reads the client configuration file, may reach every registered
 * cluster (HA group members are keyrings of any of them), and writes the {@code VirtualToken} and
 * {@code HAConfiguration} sections back atomically, comments and other entries kept.
 */
abstract class HaCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ClientOptions client;

  private ClientConfig config;
  private Path path;
  private final Map<Integer, KeyringClient> clients = new HashMap<>();

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  Map<String, String> env() {
    Object root = spec.root().userObject();
    return root instanceof KeyringCm ? ((KeyringCm) root).env() : System.getenv();
  }

  @Override
  public final Integer call() throws TransportException {
    path = client.path(env());
    config = client.read(env());
    if (client.timeoutSeconds < 1 || client.timeoutSeconds > 3600) {
      throw new CliException(
          2, "--timeout must be 1 to 3600 seconds, got " + client.timeoutSeconds);
    }
    try {
      run();
    } finally {
      for (KeyringClient c : clients.values()) {
        c.close();
      }
    }
    out().println();
    out().println("Command Result : No Error");
    out().flush();
    return 0;
  }

  abstract void run() throws TransportException;

  ClientConfig config() {
    return config;
  }

  /** Writes {@code next} to the configuration file atomically and keeps it as the current one. */
  void save(ClientConfig next) {
    try {
      next.write(path);
    } catch (IOException e) {
      throw new CliException(2, path + " cannot be written: " + e.getMessage());
    }
    config = next;
  }

  /** The group with this label; exit code 2 when the file has none. */
  HaGroupEntry group(String label) {
    return config
        .haGroup(label)
        .orElseThrow(
            () ->
                new CliException(
                    2, "no HA group '" + label + "' in " + path + " (see hagroup listgroups)"));
  }

  /** The client of the cluster at {@code index}, opened on first use and closed at the end. */
  KeyringClient clientOf(int index) throws TransportException {
    KeyringClient c = clients.get(index);
    if (c == null) {
      Duration t = Duration.ofSeconds(client.timeoutSeconds);
      try {
        c =
            KeyringClient.open(
                config,
                index,
                ClientOptions.transport()
                    .connectTimeout(t)
                    .readTimeout(t)
                    .writeTimeout(t)
                    .callTimeout(t.multipliedBy(2))
                    .build());
      } catch (IllegalArgumentException e) {
        throw new CliException(2, e.getMessage());
      }
      clients.put(index, c);
    }
    return c;
  }

  /** Every registered cluster, through {@link #clientOf}. */
  ClusterClients clusters() {
    Object root = spec.root().userObject();
    if (root instanceof KeyringCm cm && cm.clusters() != null) {
      return cm.clusters();
    }
    return new ClusterClients() {
      @Override
      public List<Integer> indexes() {
        return config.clusters().stream().map(ClusterEntry::index).toList();
      }

      @Override
      public List<Slot> slots(int index) throws TransportException {
        return clientOf(index).slots();
      }

      @Override
      public KeyringChannel openSession(int index, String keyringId) throws TransportException {
        return clientOf(index).openSession(keyringId);
      }
    };
  }

  /** A slot and the cluster it is on. */
  record Found(int clusterIndex, Slot slot) {}

  /**
   * The slot named by {@code -slot} (label, UUID or slot number, on the cluster of {@code
   * --cluster}) or by {@code -serialnumber} (on any registered cluster); exactly one must be given.
   */
  Found member(String slotName, String serial) throws TransportException {
    if ((slotName == null) == (serial == null)) {
      throw new CliException(2, "give either -slot or -serialnumber");
    }
    if (slotName != null) {
      int index = client.index();
      return new Found(index, ClientCommand.slot(clientOf(index), slotName));
    }
    TransportException unreachable = null;
    for (int index : clusters().indexes()) {
      try {
        for (Slot s : clientOf(index).slots()) {
          if (s.serialNumber().equals(serial)) {
            return new Found(index, s);
          }
        }
      } catch (TransportException e) {
        unreachable = e;
      }
    }
    if (unreachable != null) {
      throw unreachable;
    }
    throw new HsmException(
        ResultCode.CKR_SLOT_ID_INVALID,
        "no registered cluster has a slot with serial number " + serial + " (see slot list)");
  }

  /** The crypto officer's password: {@code -password}, else asked for on the console. */
  static String password(String given) {
    return Secrets.of(given, "-password", "the crypto officer's password");
  }

  /**
   * {@code given} (copy, remove or quit) when a flag gave it; otherwise asks on the console, and
   * without a console refuses, asking for {@code -existing}.
   */
  static String choose(String given, String question) {
    if (given != null) {
      return given;
    }
    java.io.Console console = System.console();
    if (console == null) {
      throw new CliException(2, question + ": give -existing copy, remove or quit");
    }
    while (true) {
      String answer = console.readLine("%s%n> ", question);
      if (answer == null) {
        throw new CliException(2, "no answer: give -existing copy, remove or quit");
      }
      answer = answer.strip().toLowerCase(java.util.Locale.ROOT);
      if (List.of("copy", "remove", "quit").contains(answer)) {
        return answer;
      }
    }
  }

  /** The lowest free {@code VirtualToken} index. */
  int nextGroupIndex() {
    for (int i = 0; i < HaGroupEntry.MAX_GROUPS; i++) {
      final int n = i;
      if (config.haGroups().stream().noneMatch(g -> g.index() == n)) {
        return i;
      }
    }
    throw new CliException(2, "the configuration file already holds 100 HA groups");
  }
}
