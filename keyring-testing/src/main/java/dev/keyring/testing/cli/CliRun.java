package dev.keyring.testing.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One run of a command-line tool with its exit code and captured output: in this JVM through the
 * tool's {@code run(out, err, env, args)} entry point, or in a child JVM by main-class name on this
 * JVM's class path (for a tool this module cannot see).
 */
public record CliRun(int exit, String out, String err) {
  /** A tool's in-process entry point: {@code env} is its whole environment. */
  @FunctionalInterface
  public interface Tool {
    int run(PrintWriter out, PrintWriter err, Map<String, String> env, String... args);
  }

  /** Runs {@code tool} in this JVM. */
  public static CliRun run(Tool tool, Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = tool.run(new PrintWriter(out), new PrintWriter(err), env, args);
    return new CliRun(exit, out.toString(), err.toString());
  }

  /**
   * Runs {@code mainClass} in this JVM when it is on the class path and has the in-process entry
   * point {@code static int run(PrintWriter out, PrintWriter err, Map<String, String> env,
   * String... args)} (as the project's command lines do); otherwise in a child JVM. In process is
   * several hundred milliseconds faster a command: no JVM start, no class loading.
   */
  public static CliRun inProcessOrChildJvm(
      String mainClass, Map<String, String> env, List<String> args) {
    Method entry = inProcessEntry(mainClass);
    if (entry == null) {
      return inChildJvm(mainClass, env, args);
    }
    return run(
        (out, err, e, a) -> {
          try {
            return (Integer) entry.invoke(null, out, err, e, a);
          } catch (IllegalAccessException x) {
            throw new IllegalStateException(mainClass + ".run is not accessible", x);
          } catch (InvocationTargetException x) {
            Throwable cause = x.getCause();
            if (cause instanceof RuntimeException) {
              throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
              throw (Error) cause;
            }
            throw new IllegalStateException(mainClass + " failed", cause);
          }
        },
        env,
        args.toArray(String[]::new));
  }

  private static Method inProcessEntry(String mainClass) {
    try {
      Method m =
          Class.forName(mainClass)
              .getMethod("run", PrintWriter.class, PrintWriter.class, Map.class, String[].class);
      return Modifier.isStatic(m.getModifiers()) && m.getReturnType() == int.class ? m : null;
    } catch (ClassNotFoundException | NoSuchMethodException e) {
      return null;
    }
  }

  /**
   * Runs {@code mainClass} in a child JVM on this JVM's class path, with {@code env} as its whole
   * environment; waits at most two minutes for it.
   */
  public static CliRun inChildJvm(String mainClass, Map<String, String> env, List<String> args) {
    List<String> cmd = new ArrayList<>(javaCommand());
    // a short-lived tool: start fast, compile little
    cmd.add(1, "-XX:TieredStopAtLevel=1");
    cmd.add(2, "-XX:+UseSerialGC");
    cmd.add(mainClass);
    cmd.addAll(args);
    Path out = null;
    Path err = null;
    try {
      out = Files.createTempFile("cli-out", ".txt");
      err = Files.createTempFile("cli-err", ".txt");
      ProcessBuilder pb =
          new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().clear();
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException(
            mainClass + " " + args + " did not end within two minutes; output:\n" + read(out));
      }
      return new CliRun(p.exitValue(), read(out), read(err));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + mainClass, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  /** {@code java -cp <this JVM's class path>}, with quiet logging. */
  public static List<String> javaCommand() {
    return List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp",
        System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
  }

  private static String read(Path f) throws IOException {
    return Files.readString(f, StandardCharsets.UTF_8);
  }

  private static void deleteQuietly(Path f) {
    if (f != null) {
      try {
        Files.deleteIfExists(f);
      } catch (IOException ignored) {
        // a temporary file
      }
    }
  }

  @Override
  public String toString() {
    return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
  }
}
