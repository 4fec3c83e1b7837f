package dev.keyring.client.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * HA logging settings from the {@code HAConfiguration} section.
 *
 * <ul>
 *   <li>{@code haLogStatus}: {@link #enabled()}, {@code enabled} or {@code disabled}
 *   <li>{@code HALogPath}: {@link #directory()}, the directory of the log file {@value #FILE_NAME}
 *   <li>{@code haLogToStdout}: {@link #toStdout()}, {@code enabled} or {@code disabled}
 *   <li>{@code logLen}: {@link #maxLength()}, the largest size of the log file in bytes
 * </ul>
 *
 * <p>A log file that would grow past {@code logLen} is renamed {@value #FILE_NAME}{@code .1}
 * (replacing an older one) and a new file begun, so HA logging never uses more than twice {@code
 * logLen} of disk.
 *
 * @param enabled whether HA events are logged at all
 * @param directory where the log file is written; empty: no file
 * @param toStdout whether each line is also written to standard output
 * @param maxLength the largest size of the log file in bytes, {@value #MIN_LENGTH} to {@value
 *     #MAX_LENGTH}
 */
public record HaLogSettings(
    boolean enabled, Optional<Path> directory, boolean toStdout, long maxLength) {

  /** The log file's name inside {@code HALogPath}. */
  public static final String FILE_NAME = "haErrorLog.txt";

  /** {@code logLen} when the file sets none: 1 MiB. */
  public static final long DEFAULT_LENGTH = 1L << 20;

  /** The smallest {@code logLen}. */
  public static final long MIN_LENGTH = 1024;

  /** The largest {@code logLen}: 1 GiB. */
  public static final long MAX_LENGTH = 1L << 30;

  /** Logging off: what a file without these keys reads as. */
  public static final HaLogSettings NONE =
      new HaLogSettings(false, Optional.empty(), false, DEFAULT_LENGTH);

  /**
   * Validates every component.
   *
   * @throws IllegalArgumentException naming the bad value and the rule
   */
  public HaLogSettings {
    Objects.requireNonNull(directory, "directory");
    if (maxLength < MIN_LENGTH || maxLength > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "logLen must be " + MIN_LENGTH + " to " + MAX_LENGTH + " bytes, got " + maxLength);
    }
  }

  /** Whether lines go anywhere: logging is on and a directory or standard output is set. */
  public boolean writes() {
    return enabled && (directory.isPresent() || toStdout);
  }

  /** The log file, when a directory is set. */
  public Optional<Path> file() {
    return directory.map(d -> d.resolve(FILE_NAME));
  }
}
