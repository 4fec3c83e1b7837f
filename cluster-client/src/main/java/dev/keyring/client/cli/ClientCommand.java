package dev.keyring.client.cli;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.cli.CliException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that works on the cluster through the crypto API, in one client and (where it needs
 * one) one session that it closes before returning: each run is one process, so a login lasts for
 * the command that made it.
 */
abstract class ClientCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ClientOptions client;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  Map<String, String> env() {
    Object root = spec.root().userObject();
    return root instanceof KeyringCm ? ((KeyringCm) root).env() : System.getenv();
  }

  @Override
  public final Integer call() throws TransportException {
    ClientConfig cfg = client.read(env());
    int index = client.index();
    if (client.timeoutSeconds < 1 || client.timeoutSeconds > 3600) {
      throw new CliException(
          2, "--timeout must be 1 to 3600 seconds, got " + client.timeoutSeconds);
    }
    prepare();
    Duration t = Duration.ofSeconds(client.timeoutSeconds);
    TransportOptions options =
        ClientOptions.transport()
            .connectTimeout(t.compareTo(Duration.ofMinutes(5)) > 0 ? Duration.ofMinutes(5) : t)
            .readTimeout(t)
            .writeTimeout(t)
            .callTimeout(t.multipliedBy(2))
            .build();
    KeyringClient kc;
    try {
      kc = KeyringClient.open(cfg, index, options);
    } catch (IllegalArgumentException e) {
      throw new CliException(2, e.getMessage());
    }
    try (kc) {
      run(kc);
    }
    out().println();
    out().println("Command Result : No Error");
    out().flush();
    return 0;
  }

  /** Checks the options and resolves passwords, before anything is sent. */
  void prepare() {}

  /** Does the command's work; refusals and failures are thrown. */
  abstract void run(KeyringClient kc) throws TransportException;

  /** The slot named by a label, a keyring UUID or a slot number. */
  static Slot slot(KeyringClient kc, String which) throws TransportException {
    List<Slot> slots = kc.slots();
    for (Slot s : slots) {
      if (s.label().equals(which) || s.keyringId().toString().equalsIgnoreCase(which)) {
        return s;
      }
    }
    if (which.matches("\\d{1,9}")) {
      long n = Long.parseLong(which);
      for (Slot s : slots) {
        if (s.slotId() == n) {
          return s;
        }
      }
    }
    throw new HsmException(
        ResultCode.CKR_SLOT_ID_INVALID,
        "no slot '" + which + "' on cluster " + kc.cluster().indexSuffix() + " (see slot list)");
  }

  /** A session on {@code slot}, logged in as {@code role}. */
  static KeyringChannel login(KeyringClient kc, Slot slot, Role role, String password)
      throws TransportException {
    KeyringChannel s = kc.openSession(slot.keyringId().toString());
    try {
      s.login(role, password);
      return s;
    } catch (RuntimeException | TransportException e) {
      try {
        s.close();
      } catch (TransportException | RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** {@code po}/{@code so}/{@code krso} or {@code co}/{@code krco}; exit code 2 otherwise. */
  static Role role(String name) {
    try {
      return Role.parse(name);
    } catch (HsmException e) {
      throw new CliException(2, "-name must be po (the keyring SO) or co (the keyring CO)");
    }
  }

  static String roleName(Role r) {
    return r == Role.KRSO ? "Keyring SO (po)" : "Keyring Crypto Officer (co)";
  }
}
