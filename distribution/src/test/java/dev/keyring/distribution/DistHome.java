package dev.keyring.distribution;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The unpacked distribution the build left in {@code dist/keyring-VERSION/} (system property {@code
 * keyring.dist.home}, set by the build), and its launchers run as processes.
 */
final class DistHome {
  private DistHome() {}

  static Path home() {
    String p = System.getProperty("keyring.dist.home");
    assertTrue(p != null, "keyring.dist.home is not set: run the tests through Maven (verify)");
    Path home = Path.of(p);
    assertTrue(Files.isDirectory(home), "no distribution at " + home + ": run mvn package first");
    return home;
  }

  /** What one process printed, and its exit code. */
  record Run(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  /** Runs {@code bin/tool args} with {@code JAVA_HOME} set to this JVM's and {@code env} added. */
  static Run run(String tool, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(home().resolve("bin").resolve(tool).toString()));
    cmd.addAll(List.of(args));
    return exec(cmd, env);
  }

  /** Runs {@code cmd} with {@code JAVA_HOME} set to this JVM's and {@code env} added. */
  static Run exec(List<String> cmd, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    CompletableFuture<String> out = drain(p.getInputStream());
    CompletableFuture<String> err = drain(p.getErrorStream());
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(cmd + " did not end within 180 s");
    }
    return new Run(p.exitValue(), out.join(), err.join());
  }

  static CompletableFuture<String> drain(java.io.InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            return "(output lost: " + e + ")";
          }
        });
  }
}
