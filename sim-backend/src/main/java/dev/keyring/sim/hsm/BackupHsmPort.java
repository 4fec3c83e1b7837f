package dev.keyring.sim.hsm;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The appliance's USB port for Luna Backup HSMs, simulated: a backup HSM is "connected" by
 * attaching its directory, and stays connected across restarts of the member (the list of attached
 * directories is kept in {@code DATA/hsm/backup-hsms}, one absolute path a line). A directory that
 * is gone at start is passed by (unplugged), not an error.
 */
public final class BackupHsmPort {
  /** At most this many backup HSMs connected at once. */
  public static final int MAX_CONNECTED = 8;

  private final Path listFile;
  private final Path memberDataDir;
  private final PasswordHasher hasher;
  private final Ticker ticker;
  private final Map<String, BackupHsm> connected = new LinkedHashMap<>();

  private BackupHsmPort(Path memberDataDir, PasswordHasher hasher, Ticker ticker) {
    this.ticker = ticker;
    this.memberDataDir = memberDataDir.toAbsolutePath().normalize();
    this.listFile = this.memberDataDir.resolve("hsm").resolve("backup-hsms");
    this.hasher = hasher;
  }

  /**
   * The port of the member whose data directory is {@code memberDataDir}, with what it holds;
   * {@code ticker} is the time the backup HSMs' password lockouts read.
   */
  public static BackupHsmPort open(Path memberDataDir, PasswordHasher hasher, Ticker ticker) {
    BackupHsmPort port = new BackupHsmPort(memberDataDir, hasher, ticker);
    if (Files.exists(port.listFile)) {
      try {
        for (String line : Files.readAllLines(port.listFile, StandardCharsets.UTF_8)) {
          Path p = Path.of(line.trim());
          if (!line.isBlank() && Files.isRegularFile(p.resolve("state.json"))) {
            BackupHsm b = BackupHsm.open(p, hasher, port.ticker);
            port.connected.put(b.serial(), b);
          }
        }
      } catch (IOException e) {
        throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "cannot read " + port.listFile);
      }
    }
    return port;
  }

  /**
   * Connects the backup HSM in directory {@code path} (absolute), making a new one when the
   * directory is empty or missing; returns it. Refused: a relative path, a path inside the member's
   * own data directory, a directory of something else, the same backup HSM twice, more than {@value
   * #MAX_CONNECTED}.
   */
  public synchronized BackupHsm attach(String path) {
    if (path == null || path.isBlank() || path.length() > 1024 || path.indexOf('\0') >= 0) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "the backup HSM path must be 1 to 1024 characters");
    }
    Path p = Path.of(path);
    if (!p.isAbsolute()) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "the backup HSM path must be absolute, got '" + path + "'");
    }
    p = p.normalize();
    if (p.startsWith(memberDataDir) || memberDataDir.startsWith(p)) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "a backup HSM is a device of its own: its directory may not be inside the member's data"
              + " directory, nor hold it");
    }
    for (BackupHsm b : connected.values()) {
      if (b.directory().equals(p)) {
        throw new HsmException(
            ResultCode.CKR_FUNCTION_FAILED,
            "backup HSM " + b.serial() + " at " + p + " is already connected");
      }
    }
    if (connected.size() >= MAX_CONNECTED) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "at most " + MAX_CONNECTED + " backup HSMs may be connected at once");
    }
    BackupHsm b = BackupHsm.open(p, hasher, ticker);
    if (connected.containsKey(b.serial())) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "a backup HSM with serial " + b.serial() + " is already connected");
    }
    connected.put(b.serial(), b);
    save();
    return b;
  }

  /** Disconnects backup HSM {@code serial}; its directory and backups stay. */
  public synchronized void detach(String serial) {
    find(serial);
    connected.remove(serial);
    save();
  }

  /** The connected backup HSMs, in the order they were connected. */
  public synchronized List<BackupHsm> list() {
    return new ArrayList<>(connected.values());
  }

  /** Connected backup HSM {@code serial}; CKR_TOKEN_NOT_PRESENT (404) when none is. */
  public synchronized BackupHsm find(String serial) {
    if (serial == null || !serial.matches("[0-9A-Za-z_.-]{1,64}")) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "a backup HSM serial number is 1 to 64 letters, digits, '_', '.', '-'");
    }
    BackupHsm b = connected.get(serial);
    if (b == null) {
      throw new HsmException(
          ResultCode.CKR_TOKEN_NOT_PRESENT,
          "no backup HSM with serial "
              + serial
              + " is connected to this appliance (token backup list shows those that are)");
    }
    return b;
  }

  private void save() {
    StringBuilder sb = new StringBuilder();
    for (BackupHsm b : connected.values()) {
      sb.append(b.directory()).append('\n');
    }
    try {
      Files.createDirectories(listFile.getParent());
      Path tmp = listFile.resolveSibling("backup-hsms.tmp");
      Files.writeString(tmp, sb.toString(), StandardCharsets.UTF_8);
      try {
        Files.setPosixFilePermissions(tmp, dev.keyring.store.OwnerOnlyFiles.FILE);
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system
      }
      Files.move(
          tmp, listFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "cannot write " + listFile);
    }
  }
}
