package dev.keyring.client.cli;

import dev.keyring.client.config.HaLogSettings;
import dev.keyring.protocol.cli.CliException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hagroup halog}: the HA log settings of the {@code HAConfiguration} section ({@code
 * haLogStatus}, {@code HALogPath}, {@code haLogToStdout}, {@code logLen}); without options it shows
 * them.
 */
@Command(
    name = "halog",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "HA logging: one line per member down, member recovered, synchronization and failed"
          + " replication, to the file haErrorLog.txt in -path and/or standard output. Without"
          + " options, shows the settings."
    })
final class HaLogCommand extends HaCommand {
  @Option(
      names = {"-enable", "--enable"},
      description = "Turns HA logging on (haLogStatus = enabled).")
  boolean enable;

  @Option(
      names = {"-disable", "--disable"},
      description = "Turns HA logging off (haLogStatus = disabled).")
  boolean disable;

  @Option(
      names = {"-path", "--path"},
      paramLabel = "DIR",
      description = "The directory of the log file haErrorLog.txt (HALogPath); \"\" removes it.")
  String path;

  @Option(
      names = {"-maxlength", "--maxlength"},
      paramLabel = "BYTES",
      description =
          "The largest size of the log file (logLen), 1024 to 1073741824 bytes; past it the file"
              + " is renamed haErrorLog.txt.1 and a new one begun.")
  Long maxLength;

  @Option(
      names = {"-stdout", "--stdout"},
      paramLabel = "on|off",
      description = "Whether lines also go to standard output (haLogToStdout).")
  String stdout;

  @Override
  void run() {
    if (enable && disable) {
      throw new CliException(2, "give -enable or -disable, not both");
    }
    HaLogSettings s = config().haLog();
    boolean enabled = enable || (!disable && s.enabled());
    Optional<Path> dir = s.directory();
    if (path != null) {
      try {
        dir = path.isBlank() ? Optional.empty() : Optional.of(Path.of(path));
      } catch (InvalidPathException e) {
        throw new CliException(2, "-path '" + path + "' is not a path: " + e.getReason());
      }
    }
    boolean toStdout = s.toStdout();
    if (stdout != null) {
      if (!stdout.equals("on") && !stdout.equals("off")) {
        throw new CliException(2, "-stdout must be on or off, got '" + stdout + "'");
      }
      toStdout = stdout.equals("on");
    }
    long length = maxLength == null ? s.maxLength() : maxLength;
    HaLogSettings next;
    try {
      next = new HaLogSettings(enabled, dir, toStdout, length);
    } catch (IllegalArgumentException e) {
      throw new CliException(2, "-maxlength: " + e.getMessage());
    }
    if (!next.equals(s)) {
      save(config().withHaLog(next));
    }
    out().println("HA Log Status:  " + (next.enabled() ? "enabled" : "disabled"));
    out().println("HA Log Path:    " + next.directory().map(Path::toString).orElse("<not set>"));
    out().println("HA Log Stdout:  " + (next.toStdout() ? "on" : "off"));
    out().println("HA Log Length:  " + next.maxLength() + " bytes");
    if (next.enabled() && !next.writes()) {
      out().println("HA logging is enabled but writes nowhere: give -path or -stdout on.");
    }
  }
}
