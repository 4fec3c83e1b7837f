package dev.keyring.testing.http;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Copies what is written to {@code System.err} (where slf4j-simple logs) while it is open, still
 * passing it on: a test can then count log lines and look for stack traces.
 */
public final class LogCapture implements AutoCloseable {
  private final PrintStream original;
  private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

  private LogCapture() {
    this.original = System.err;
    OutputStream tee =
        new OutputStream() {
          @Override
          public void write(int b) {
            synchronized (copy) {
              copy.write(b);
            }
            original.write(b);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            synchronized (copy) {
              copy.write(b, off, len);
            }
            original.write(b, off, len);
          }

          @Override
          public void flush() {
            original.flush();
          }
        };
    System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
  }

  /** Starts copying {@code System.err}. */
  public static LogCapture stderr() {
    return new LogCapture();
  }

  /** Every line written so far. */
  public List<String> lines() {
    String text;
    synchronized (copy) {
      text = copy.toString(StandardCharsets.UTF_8);
    }
    return Arrays.stream(text.split("\n")).filter(l -> !l.isBlank()).collect(Collectors.toList());
  }

  /** Lines that are frames of a stack trace ({@code "\tat ..."}) or a cause. */
  public List<String> stackTraceLines() {
    return lines().stream()
        .filter(l -> l.startsWith("\tat ") || l.startsWith("Caused by:") || l.matches("\\s+at .*"))
        .collect(Collectors.toList());
  }

  @Override
  public void close() {
    System.err.flush();
    System.setErr(original);
  }
}
