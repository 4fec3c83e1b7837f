package dev.keyring.e2e.samples;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A sample application (or a peer such as {@code openssl s_server}) in a process of its own, its
 * output (stdout and stderr together) in a file; a JVM is started with the JDK that runs the tests.
 * {@link #awaitLine} waits for a line the application prints when it is ready, or for its end;
 * {@link #close()} stops it with SIGTERM, so that its shutdown hooks (Spring's, the Keyring
 * provider's logout) run, and waits for it to end.
 */
final class SampleProcess implements AutoCloseable {
  /** The longest a sample is given to start or to stop: a limit, never an assertion. */
  private static final long LIMIT_SECONDS = 120;

  private final List<String> command;
  private final Process process;
  private final Path log;

  private SampleProcess(List<String> command, Process process, Path log) {
    this.command = command;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code java <jvmArgs>} in {@code dir} with {@code env} added to the environment. */
  static SampleProcess java(Path dir, String name, List<String> jvmArgs, Map<String, String> env)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    return start(dir, name, cmd, env);
  }

  /** Starts {@code cmd} in {@code dir} with {@code env} added to the environment. */
  static SampleProcess start(Path dir, String name, List<String> cmd, Map<String, String> env)
      throws IOException {
    Path log = Files.createTempFile(dir, name + "-", ".log");
    ProcessBuilder b =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    b.environment().putAll(env);
    return new SampleProcess(cmd, b.start(), log);
  }

  /**
   * Waits until the output has a line matching {@code ready} and returns the match, or returns
   * empty when the JVM ended first. Fails the test when neither happens within the limit.
   */
  Optional<Matcher> awaitLine(Pattern ready) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIMIT_SECONDS);
    while (System.nanoTime() < deadline) {
      Matcher m = ready.matcher(output());
      if (m.find()) {
        return Optional.of(m);
      }
      if (process.waitFor(200, TimeUnit.MILLISECONDS)) {
        Matcher last = ready.matcher(output());
        return last.find() ? Optional.of(last) : Optional.empty();
      }
    }
    fail("no line matching " + ready + " within " + LIMIT_SECONDS + " s" + transcript());
    return Optional.empty();
  }

  /** Waits for the JVM to end (within the limit) and returns its exit code. */
  int awaitExit() throws Exception {
    if (!process.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
      fail("did not end within " + LIMIT_SECONDS + " s" + transcript());
    }
    return process.exitValue();
  }

  /** Everything the JVM printed so far. */
  String output() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  /** The command line and the output, for an assertion message. */
  String transcript() {
    String out;
    try {
      out = output();
    } catch (IOException e) {
      out = "(output unreadable: " + e + ")";
    }
    return "\n$ " + String.join(" ", command) + "\n--- output ---\n" + out;
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fail("did not stop on SIGTERM within " + LIMIT_SECONDS + " s" + transcript());
      }
    }
  }
}
