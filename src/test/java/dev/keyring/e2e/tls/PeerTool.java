package dev.keyring.e2e.tls;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A TLS peer from the operating system ({@code openssl}, {@code curl}), run as a process with a
 * time limit and its output captured for the assertions and for failure messages.
 */
public final class PeerTool {
  private static final long TIMEOUT_SECONDS = 60;

  private PeerTool() {}

  /** What one run printed and how it ended. */
  public record Run(List<String> command, int exit, String out, String err) {
    /** The command and everything it printed, for an assertion message. */
    public String transcript() {
      return "\n$ "
          + String.join(" ", command)
          + "\n(exit "
          + exit
          + ")\n--- stdout ---\n"
          + out
          + "\n--- stderr ---\n"
          + err;
    }
  }

  /**
   * Makes sure {@code tool} runs ({@code versionArg} prints its version). Absent: a loud warning,
   * then the test fails when {@code CI=true} (CI installs it, see .ci/run) and is aborted
   * otherwise.
   */
  public static void require(String tool, String versionArg) {
    String problem;
    try {
      Process p = new ProcessBuilder(tool, versionArg).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        problem = "'" + tool + " " + versionArg + "' did not finish";
      } else if (p.exitValue() != 0) {
        problem = "'" + tool + " " + versionArg + "' exited " + p.exitValue();
      } else {
        return;
      }
    } catch (IOException e) {
      problem = tool + " is not installed (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      problem = "interrupted while looking for " + tool;
    }
    String message =
        "WARNING: "
            + problem
            + ": the TLS interoperability tests against "
            + tool
            + " did NOT run. Install it (Debian: apt-get install "
            + tool
            + ").";
    System.err.println("*".repeat(100));
    System.err.println(message);
    System.err.println("*".repeat(100));
    if ("true".equals(System.getenv("CI"))) {
      fail(message + " CI=true: CI must install it (.ci/run).");
    }
    Assumptions.abort(message);
  }

  /** Runs {@code command} in {@code dir} with {@code stdin} as its input, within the time limit. */
  public static Run run(Path dir, String stdin, List<String> command) throws Exception {
    Path in = Files.createTempFile(dir, "stdin-", ".txt");
    Path out = Files.createTempFile(dir, "stdout-", ".txt");
    Path err = Files.createTempFile(dir, "stderr-", ".txt");
    Files.writeString(in, stdin, StandardCharsets.UTF_8);
    Process p =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectInput(in.toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    boolean finished = p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!finished) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    Run run =
        new Run(
            command,
            finished ? p.exitValue() : -1,
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
    if (!finished) {
      fail("did not finish within " + TIMEOUT_SECONDS + " s:" + run.transcript());
    }
    return run;
  }
}
