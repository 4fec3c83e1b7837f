package dev.keyring.sim.cli;

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
 * {@code keyring-sim}: the simulated appliance's command line, in the manner of LunaSH. {@code
 * member} runs a member; every other command calls a member's admin REST API over TLS, so it does
 * exactly what the same REST call does.
 *
 * <p>Exit codes: 0 done; 1 refused by the member (the PKCS#11-style code and message are printed);
 * 2 bad usage or input; 3 could not reach the member, or TLS failed.
 */
@Command(
    name = "keyring-sim",
    mixinStandardHelpOptions = true,
    version = "keyring-sim 0.1.0",
    description = {
      "The simulated Keyring appliance: run a member, administer its HSM, cluster and keyrings.",
      "Options take one dash as in LunaSH (-label) or two (--label)."
    },
    footer = {
      "",
      "Administration commands reach a member's admin API: --host (default 127.0.0.1), --port"
          + " (default 50070), --user (default admin), the password from --password-file, else"
          + " $KEYRING_ADMIN_PASSWORD, else a prompt. Pin the member's admin certificate with"
          + " --fingerprint; without it the certificate is trusted on first use and its"
          + " fingerprint is printed.",
      "Passwords not given as options are asked for on the console, without echo."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:done",
      "1:refused by the member (its CKR_ code and message are printed)",
      "2:bad usage or input",
      "3:the member cannot be reached, or TLS failed"
    },
    subcommands = {
      MemberCommand.class,
      HsmCommand.class,
      PartitionCommand.class,
      ClusterCommand.class,
      KeyringCommand.class,
      ServiceCommand.class,
      UserCommand.class
    })
public final class KeyringSim implements Runnable {
  /** Done. */
  public static final int OK = 0;

  /** The member refused. */
  public static final int REFUSED = 1;

  /** Bad usage or input. */
  public static final int BAD_INPUT = 2;

  /** The member could not be reached, or TLS failed. */
  public static final int UNREACHABLE = 3;

  @Spec CommandSpec spec;

  private final Map<String, String> env;

  private KeyringSim(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  Map<String, String> env() {
    return env;
  }

  /** Without a subcommand: the usage, and exit code 2. */
  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CliException(2, "a subcommand is required");
  }

  /** Runs the command line with the process's streams and environment; returns the exit code. */
  public static int run(String... args) {
    return run(
        new PrintWriter(System.out, true, StandardCharsets.UTF_8),
        new PrintWriter(System.err, true, StandardCharsets.UTF_8),
        System.getenv(),
        args);
  }

  /**
   * Runs the command line with these streams and environment ({@code KEYRING_ADMIN_PASSWORD});
   * returns the exit code.
   */
  public static int run(PrintWriter out, PrintWriter err, Map<String, String> env, String... args) {
    CommandLine cl = commandLine(env);
    cl.setOut(out);
    cl.setErr(err);
    try {
      return cl.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** The command line with the process's environment, for embedding (set its out/err writers). */
  public static CommandLine commandLine() {
    return commandLine(System.getenv());
  }

  /** The command line with this environment, for embedding and tests. */
  public static CommandLine commandLine(Map<String, String> env) {
    CommandLine cl = new CommandLine(new KeyringSim(env));
    cl.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          PrintWriter err = cmd.getErr();
          if (e instanceof CliException) {
            err.println("error: " + e.getMessage());
            err.flush();
            return ((CliException) e).exitCode;
          }
          if (e instanceof HsmException) {
            HsmException h = (HsmException) e;
            err.println(h.code().name() + ": " + h.detail());
            err.flush();
            return REFUSED;
          }
          throw e;
        });
    cl.setParameterExceptionHandler(KeyringSim::badUsage);
    return cl;
  }

  /** Bad usage: the message without any password given on the line, a hint, and exit code 2. */
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
      if (!(name.contains("password") || name.endsWith("pw")) || name.endsWith("-file")) {
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

  public static void main(String[] args) {
    System.exit(run(args));
  }
}
