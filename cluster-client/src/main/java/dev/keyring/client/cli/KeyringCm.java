package dev.keyring.client.cli;

import dev.keyring.client.TransportException;
import dev.keyring.protocol.HsmException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code keyringcm}: the client-side tool, in the manner of LunaCM, over the crypto API with the
 * configuration file that registration wrote. Each run is one process and one session: commands
 * take the slot and the password they need and log out before they return.
 *
 * <p>Exit codes: 0 done; 1 refused by the cluster (its CKR_ code and message are printed); 2 bad
 * usage or input (including the configuration file); 3 the member cannot be reached, or TLS failed.
 */
@Command(
    name = "keyringcm",
    mixinStandardHelpOptions = true,
    version = "keyringcm 0.1.0",
    description = {
      "The Keyring client tool: slots, keyring roles, objects, keys and signatures over the"
          + " crypto API, with the configuration file keyring-register wrote.",
      "Each command runs in one session and logs out before it returns, so each takes the slot"
          + " (-slot) and the password it needs. Options take one dash as in LunaCM (-slot) or"
          + " two (--slot)."
    },
    footer = {
      "",
      "Passwords not given as options are asked for on the console, without echo.",
      "",
      "Typical first use of a new keyring:",
      "  keyringcm slot list",
      "  keyringcm role login -name po -slot app100",
      "  keyringcm role changepw -name po -slot app100",
      "  keyringcm role init -name co -slot app100",
      "  keyringcm role login -name co -slot app100",
      "  keyringcm key generate -slot app100 -type ec -curve P-256 -label signer"
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:done",
      "1:refused by the cluster (its CKR_ code and message are printed)",
      "2:bad usage or input, including the configuration file",
      "3:the member cannot be reached, or TLS failed"
    },
    subcommands = {
      SlotCommand.class,
      RoleCommand.class,
      PartitionCommand.class,
      KeyCommand.class,
      SignCommand.Sign.class,
      SignCommand.Verify.class
    })
public final class KeyringCm implements Runnable {
  /** Done. */
  public static final int OK = 0;

  /** Refused by the cluster. */
  public static final int REFUSED = 1;

  /** Bad usage or input. */
  public static final int BAD_INPUT = 2;

  /** The member cannot be reached, or TLS failed. */
  public static final int UNREACHABLE = 3;

  @Spec CommandSpec spec;

  private final Map<String, String> env;

  private KeyringCm(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  Map<String, String> env() {
    return env;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CliException(BAD_INPUT, "a subcommand is required");
  }

  /** Runs the command as a script would, and exits with its code. */
  public static void main(String[] args) {
    System.exit(
        run(
            new PrintWriter(System.out, true, StandardCharsets.UTF_8),
            new PrintWriter(System.err, true, StandardCharsets.UTF_8),
            System.getenv(),
            args));
  }

  /**
   * Runs the command with these streams and environment ({@code KEYRING_CONFIG}, {@code HOME});
   * returns the exit code.
   */
  public static int run(PrintWriter out, PrintWriter err, Map<String, String> env, String... args) {
    CommandLine cl = new CommandLine(new KeyringCm(env));
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          PrintWriter w = cmd.getErr();
          int code;
          if (e instanceof CliException) {
            w.println("error: " + e.getMessage());
            code = ((CliException) e).exitCode;
          } else if (e instanceof HsmException) {
            HsmException h = (HsmException) e;
            w.println(h.code().name() + ": " + h.detail());
            code = REFUSED;
          } else if (e instanceof TransportException) {
            TransportException t = (TransportException) e;
            w.println("error: " + t.getMessage());
            code = t.kind() == TransportException.Kind.CONFIGURATION ? BAD_INPUT : UNREACHABLE;
          } else {
            throw e;
          }
          w.flush();
          return code;
        });
    cl.setParameterExceptionHandler(KeyringCm::badUsage);
    try {
      return cl.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  static int badUsage(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    String message =
        ex instanceof UnmatchedArgumentException
            ? unmatched(((UnmatchedArgumentException) ex).getUnmatched(), args)
            : String.valueOf(ex.getMessage());
    err.println("error: " + redact(message, args));
    if (!UnmatchedArgumentException.printSuggestions(ex, err)) {
      err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
    }
    err.flush();
    return BAD_INPUT;
  }

  /**
   * Names the unknown options, never their values: a word right after an option (a misspelt
   * password option's value, say) is counted, not shown.
   */
  static String unmatched(List<String> unmatched, String[] args) {
    List<String> shown = new ArrayList<>();
    int hidden = 0;
    for (String u : unmatched) {
      if (u.startsWith("-")) {
        int eq = u.indexOf('=');
        shown.add("'" + (eq > 0 ? u.substring(0, eq) + "=..." : u) + "'");
        continue;
      }
      boolean afterOption = false;
      for (int i = 1; i < args.length; i++) {
        if (args[i].equals(u) && args[i - 1].startsWith("-")) {
          afterOption = true;
        }
      }
      if (afterOption) {
        hidden++;
      } else {
        shown.add("'" + u + "'");
      }
    }
    StringBuilder sb = new StringBuilder("unknown or unexpected argument(s): ");
    sb.append(shown.isEmpty() ? "-" : String.join(", ", shown));
    if (hidden > 0) {
      sb.append(" (and ").append(hidden).append(hidden == 1 ? " value" : " values");
      sb.append(" not shown: it may be a password)");
    }
    return sb.toString();
  }

  /** Replaces, in {@code message}, every value that followed a password option in {@code args}. */
  static String redact(String message, String[] args) {
    List<String> secrets = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i].toLowerCase(Locale.ROOT);
      if (!a.startsWith("-")) {
        continue;
      }
      int eq = a.indexOf('=');
      String name = eq > 0 ? a.substring(0, eq) : a;
      if (!(name.contains("password") || name.endsWith("pw"))) {
        continue;
      }
      if (eq > 0) {
        secrets.add(args[i].substring(eq + 1));
      } else if (i + 1 < args.length) {
        secrets.add(args[i + 1]);
      }
    }
    String out = message;
    for (String s : secrets) {
      if (!s.isEmpty()) {
        out = out.replace(s, "****");
      }
    }
    return out;
  }
}
