package dev.keyring.sim.hsm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.boundary.BackupHsmVault;
import dev.keyring.sim.boundary.ProtectedSmk;
import dev.keyring.store.OwnerOnlyFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * A simulated Luna Backup HSM: a device of its own in a directory ({@code state.json}, its {@code
 * device.key}), with a serial number, a label, an HSM SO, a cloning domain, and backup partitions
 * that each hold one SMK wrapped under the device key ({@link BackupHsmVault}). Connecting it to an
 * appliance is simulated by attaching the directory ({@link BackupHsmPort}). Nothing secret is in
 * {@code state.json} in clear: password verifiers (PBKDF2), fingerprints, and key material wrapped
 * under the device key.
 */
public final class BackupHsm {
  /** A backup partition's label: 1 to 64 letters, digits, '_', '.', '-', not starting with '.'. */
  static final String LABEL_RULE =
      "1 to 64 characters of letters, digits, '_', '.', '-', starting with a letter or digit";

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** The persisted state (Jackson bean). */
  static final class State {
    public String serial;
    public String label;
    public String soVerifier;
    public String domainFingerprint;
    public TreeMap<String, Partition> partitions = new TreeMap<>();
  }

  /** One backup partition (Jackson bean). */
  static final class Partition {
    public String label;
    public String sourcePartition;
    public String sourceSerial;
    public String createdAt;
    public String coVerifier;
    public String domainFingerprint;

    /** The cloning domain key wrapped under the device key (Base64). */
    public String domainKey;

    /** The SMK wrapped under the device key ({@code ProtectedSmk.encode()}). */
    public String smk;
  }

  /** What {@code token backup partition list} shows of a backup partition. */
  public record BackupInfo(
      String label, String sourcePartition, String sourceSerial, String createdAt, String smkId) {}

  private final Path dir;
  private final BackupHsmVault vault;
  private final PasswordHasher hasher;
  private final RoleLockout lockout;
  private State state;

  private BackupHsm(
      Path dir, BackupHsmVault vault, PasswordHasher hasher, State state, Ticker ticker) {
    this.dir = dir;
    this.vault = vault;
    this.hasher = hasher;
    this.state = state;
    this.lockout = new RoleLockout(ticker);
  }

  /**
   * Opens the backup HSM in {@code dir}; an empty or missing directory becomes a new, uninitialized
   * backup HSM with a new serial number. {@code ticker} is the time the lockout of its SO and
   * backup partition passwords reads.
   */
  public static BackupHsm open(Path dir, PasswordHasher hasher, Ticker ticker) {
    Path abs = dir.toAbsolutePath().normalize();
    if (Files.exists(abs) && !Files.isDirectory(abs)) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "the backup HSM path " + abs + " is not a directory");
    }
    OwnerOnlyFiles.directory(abs);
    Path file = abs.resolve("state.json");
    State s;
    if (Files.exists(file)) {
      try {
        s = JSON.readValue(Files.readAllBytes(file), State.class);
      } catch (IOException e) {
        throw new HsmException(
            ResultCode.CKR_DEVICE_ERROR, "the backup HSM state at " + abs + " is damaged");
      }
      if (s.serial == null) {
        throw new HsmException(
            ResultCode.CKR_DEVICE_ERROR, "the backup HSM state at " + abs + " has no serial");
      }
    } else {
      try (var entries = Files.list(abs)) {
        if (entries.anyMatch(p -> !p.getFileName().toString().equals("device.key"))) {
          throw new HsmException(
              ResultCode.CKR_ARGUMENTS_BAD,
              "the directory " + abs + " holds other files and no backup HSM: use an empty one");
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + abs, e);
      }
      s = new State();
      s.serial = Integer.toString(7_000_000 + new SecureRandom().nextInt(1_000_000));
    }
    BackupHsmVault vault = BackupHsmVault.open(abs.resolve("device.key"));
    BackupHsm b = new BackupHsm(abs, vault, hasher, s, ticker);
    if (!Files.exists(file)) {
      b.persist(s);
    }
    return b;
  }

  public Path directory() {
    return dir;
  }

  public synchronized String serial() {
    return state.serial;
  }

  public synchronized String label() {
    return state.label;
  }

  public synchronized boolean initialized() {
    return state.soVerifier != null;
  }

  public synchronized String domainFingerprint() {
    return state.domainFingerprint;
  }

  BackupHsmVault vault() {
    return vault;
  }

  /**
   * Initializes the backup HSM: its label, HSM SO password and cloning domain. Refused when it is
   * already initialized (this simulator has no re-initialization of a backup HSM).
   */
  public synchronized void initialize(String label, String soPassword, String domain) {
    if (initialized()) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "backup HSM " + state.serial + " is already initialized (label '" + state.label + "')");
    }
    if (label == null || !label.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "backup HSM label must be 1 to 32 characters of letters, digits, '_', '.', '-',"
              + " starting with a letter or digit");
    }
    Passwords.requireValidNew(soPassword, "backup HSM SO");
    requireDomain(domain);
    State next = copy();
    next.label = label;
    next.soVerifier = hasher.hash(soPassword);
    next.domainFingerprint = PasswordHasher.fingerprint("cloning domain", domain);
    persist(next);
  }

  static void requireDomain(String domain) {
    if (domain == null || domain.isBlank() || domain.length() > 128) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "cloning domain must be 1 to 128 characters");
    }
  }

  /** Refuses with CKR_CRYPTOKI_NOT_INITIALIZED unless the backup HSM was initialized. */
  public synchronized void requireInitialized() {
    if (!initialized()) {
      throw new HsmException(
          ResultCode.CKR_CRYPTOKI_NOT_INITIALIZED,
          "backup HSM "
              + state.serial
              + " is not initialized: initialize it first (token backup init -serial "
              + state.serial
              + " -label LABEL)");
    }
  }

  /** Checks the backup HSM SO password (CKR_PIN_INCORRECT when wrong, counted for lockout). */
  public synchronized void authenticateSo(String password) {
    requireInitialized();
    check(RoleLockout.Role.SO, password, state.soVerifier, "the backup HSM SO password is wrong");
  }

  /** Checks the CO password of backup partition {@code label}. */
  synchronized void authenticatePartition(String label, String password) {
    Partition p = requirePartition(label);
    check(
        RoleLockout.Role.CO,
        password,
        p.coVerifier,
        "the password of backup partition '" + label + "' is wrong");
  }

  private void check(RoleLockout.Role role, String password, String verifier, String wrong) {
    lockout.requireUnlocked(role);
    if (password == null || !hasher.verify(password, verifier)) {
      lockout.failed(role);
      throw new HsmException(ResultCode.CKR_PIN_INCORRECT, wrong);
    }
    lockout.succeeded(role);
  }

  static void requireLabel(String label) {
    if (label == null || !label.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "a backup partition label must be " + LABEL_RULE);
    }
  }

  public synchronized boolean hasPartition(String label) {
    return state.partitions.containsKey(label);
  }

  synchronized Partition requirePartition(String label) {
    requireLabel(label);
    requireInitialized();
    Partition p = state.partitions.get(label);
    if (p == null) {
      throw new HsmException(
          ResultCode.CKR_TOKEN_NOT_PRESENT,
          "backup HSM " + state.serial + " holds no backup partition '" + label + "'");
    }
    return p;
  }

  /** The backup partitions, by label. */
  public synchronized List<BackupInfo> partitions() {
    List<BackupInfo> out = new ArrayList<>();
    for (Partition p : state.partitions.values()) {
      out.add(
          new BackupInfo(
              p.label,
              p.sourcePartition,
              p.sourceSerial,
              p.createdAt,
              ProtectedSmk.decode(p.smk).fingerprint()));
    }
    return out;
  }

  /** Stores (or replaces) a backup partition; its SMK is already wrapped under the device key. */
  synchronized void putPartition(Partition p) {
    State next = copy();
    next.partitions.put(p.label, p);
    persist(next);
  }

  PasswordHasher hasher() {
    return hasher;
  }

  static String now(long millis) {
    return Instant.ofEpochMilli(millis).toString();
  }

  private State copy() {
    try {
      return JSON.readValue(JSON.writeValueAsBytes(state), State.class);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void persist(State next) {
    Path file = dir.resolve("state.json");
    Path tmp = dir.resolve(".state.json.tmp");
    try {
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(next));
      try {
        Files.setPosixFilePermissions(tmp, OwnerOnlyFiles.FILE);
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "writing the backup HSM state at " + dir + " failed");
    }
    state = next;
  }
}
