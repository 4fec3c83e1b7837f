package dev.keyring.sim.keyring;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.KeyringSerial;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.boundary.Boundary;
import dev.keyring.sim.hsm.Hsm;
import dev.keyring.sim.hsm.PasswordHasher;
import dev.keyring.sim.hsm.Passwords;
import dev.keyring.store.ClusterRecord;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.KeyringStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Keyrings and their two roles. Creating, deleting and unlocking keyrings needs the partition CO;
 * using one needs a login.
 *
 * <p>Rules: KRSO and KRCO share one password (a change through either role changes both). A new
 * keyring's initial password belongs to the KRSO and must be changed before anything else; then the
 * KRSO initializes the KRCO with the same password; only a KRCO session may use keys. Lockout: when
 * the password has at most 16 characters, the keyring locks after 10 failed logins; with 17 or more
 * the counter never moves; failed attempts of at most 6 characters never count; a successful login
 * resets the counter; only the partition CO can unlock.
 */
public final class KeyringService {
  /** What a keyring label may be (the index appended to it included). */
  public static final String LABEL_RULE = "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}";

  private final KeyringStore store;
  private final dev.keyring.store.ReplicatedWriter writer;
  private final Boundary boundary;
  private final Hsm hsm;
  private final PasswordHasher hasher;
  private final Ticker ticker;
  private final ConcurrentHashMap<UUID, AtomicInteger> openSessions = new ConcurrentHashMap<>();
  // the member's authorization on its cluster, checked before an object changes
  private volatile Runnable memberAuthorization = () -> {};

  public KeyringService(KeyringStore store, Boundary boundary, Hsm hsm, PasswordHasher hasher) {
    this(
        store,
        boundary,
        hsm,
        hasher,
        dev.keyring.store.ReplicatedWriter.local(store),
        Ticker.SYSTEM);
  }

  /**
   * A keyring service whose keyring changes go through {@code writer} (replicated), and whose
   * records are dated by {@code ticker}.
   */
  public KeyringService(
      KeyringStore store,
      Boundary boundary,
      Hsm hsm,
      PasswordHasher hasher,
      dev.keyring.store.ReplicatedWriter writer,
      Ticker ticker) {
    this.writer = writer;
    this.ticker = ticker;
    this.store = store;
    this.boundary = boundary;
    this.hsm = hsm;
    this.hasher = hasher;
  }

  /**
   * Creates {@code total} keyrings (1 to 100) as the partition CO. With {@code total} 1 and no
   * {@code index} the keyring gets {@code label}; otherwise the labels are {@code label} followed
   * by {@code index}, {@code index + 1}, … ({@code index} defaults to 0). All are created, or none.
   *
   * @param progress told how many keyrings have been prepared so far (may be null)
   */
  public List<KeyringRecord> createKeyrings(
      String coPassword,
      String label,
      String initialPassword,
      int total,
      Integer index,
      IntConsumer progress) {
    hsm.authenticateCo(coPassword);
    hsm.requireReadyForCluster();
    ClusterRecord cluster =
        store
            .cluster()
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_FUNCTION_FAILED,
                        "this member has no cluster: create or join one before creating keyrings"));
    if (total < 1 || total > KeyringLimits.MAX_KEYRINGS_PER_CREATE) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "total must be 1 to " + KeyringLimits.MAX_KEYRINGS_PER_CREATE + ", got " + total);
    }
    if (index != null && (index < 0 || index > 1_000_000)) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "index must be 0 to 1000000, got " + index);
    }
    if (label == null || !label.matches(LABEL_RULE)) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "keyring label must be 1 to 64 characters of letters, digits, '_', '.', '-', starting"
              + " with a letter or digit");
    }
    Passwords.requireValidNew(initialPassword, "keyring initial");
    // one KDF run for the whole batch: they all start with the same password
    String credential = KeyringCredential.create(hasher, initialPassword);
    List<KeyringRecord> records = new ArrayList<>(total);
    java.util.Set<String> serials = new java.util.HashSet<>();
    for (KeyringRecord k : store.keyrings()) {
      serials.add(KeyringSerial.of(k.id()));
    }
    Instant now = Instant.ofEpochMilli(ticker.currentTimeMillis());
    for (int i = 0; i < total; i++) {
      String name =
          (total == 1 && index == null) ? label : label + ((index == null ? 0 : index) + i);
      if (name.length() > 64) {
        throw new HsmException(
            ResultCode.CKR_ARGUMENTS_BAD,
            "the keyring label with index "
                + ((index == null ? 0 : index) + i)
                + " appended is longer than 64 characters");
      }
      records.add(
          new KeyringRecord(
              uniqueSerialId(serials), cluster.id(), name, credential, true, false, false, 0, now));
      if (progress != null) {
        progress.accept(i + 1);
      }
    }
    return writer.write(tx -> tx.createKeyrings(cluster.id(), records));
  }

  /**
   * A new keyring UUID whose serial number ({@link KeyringSerial}) is not yet among {@code taken},
   * which it joins: serials stay unique within the cluster.
   */
  private static UUID uniqueSerialId(java.util.Set<String> taken) {
    while (true) {
      UUID id = UUID.randomUUID();
      if (taken.add(KeyringSerial.of(id))) {
        return id;
      }
    }
  }

  /**
   * Refuses with CKR_FUNCTION_REJECTED when partition policy 28 (allow key management functions) is
   * 0: no object may then be generated, created, imported, derived, changed or destroyed.
   */
  /**
   * The check that refuses object changes while the member is not authorized on its cluster (it
   * throws an {@code HsmException} that says how to authorize it).
   */
  public void memberAuthorization(Runnable check) {
    this.memberAuthorization = java.util.Objects.requireNonNull(check, "check");
  }

  /** Refuses a change of objects (even a clone) while the member is not authorized. */
  void requireMemberAuthorized() {
    memberAuthorization.run();
  }

  /**
   * Refuses generating, creating, importing, deriving, changing or destroying objects without
   * partition policy 28 or while the member is not authorized.
   */
  void requireKeyManagement() {
    requireMemberAuthorized();
    if (hsm.partitionPolicy(Hsm.POLICY_KEY_MANAGEMENT) != 1) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_REJECTED,
          "partition policy 28 (allow key management functions) is 0: objects cannot be"
              + " generated, created, imported, derived, changed or destroyed on this partition");
    }
  }

  /** A keyring by UUID, label or serial number (CKR_SLOT_ID_INVALID when there is none). */
  public KeyringRecord keyring(String idOrLabel) {
    Optional<KeyringRecord> r = Optional.empty();
    if (idOrLabel != null && idOrLabel.length() == 36) {
      try {
        r = store.keyring(UUID.fromString(idOrLabel));
      } catch (IllegalArgumentException notUuid) {
        r = Optional.empty();
      }
    }
    if (r.isEmpty() && idOrLabel != null) {
      r = store.keyringByLabel(idOrLabel);
    }
    if (r.isEmpty() && KeyringSerial.isSerial(idOrLabel)) {
      r =
          store.keyrings().stream()
              .filter(k -> KeyringSerial.of(k.id()).equals(idOrLabel))
              .findFirst();
    }
    return r.orElseThrow(
        () ->
            new HsmException(
                ResultCode.CKR_SLOT_ID_INVALID,
                "no keyring has that UUID, label or serial number"));
  }

  public List<KeyringRecord> keyrings() {
    return store.keyrings();
  }

  /** Deletes a keyring and its objects, as the partition CO. */
  public void deleteKeyring(String coPassword, String idOrLabel) {
    hsm.authenticateCo(coPassword);
    KeyringRecord k = keyring(idOrLabel);
    writer.write(tx -> tx.deleteKeyring(k.id()));
    boundary.evictKeyring(k.id());
  }

  /** Unlocks a keyring and resets its failed-login counter, as the partition CO. */
  public void unlock(String coPassword, String idOrLabel) {
    hsm.authenticateCo(coPassword);
    KeyringRecord k = keyring(idOrLabel);
    writer.write(
        tx -> {
          KeyringRecord cur = locked(tx.lockKeyring(k.id()), k.id());
          tx.updateKeyring(cur.withLock(false, 0));
          return null;
        });
  }

  /**
   * Logs in to a keyring. A wrong password counts toward lockout (see the class rules) and throws
   * CKR_PIN_INCORRECT; a locked keyring throws CKR_PIN_LOCKED whatever the password.
   */
  public KeyringSession login(UUID keyringId, Role role, String password) {
    KeyringRecord k =
        store
            .keyring(keyringId)
            .orElseThrow(
                () -> new HsmException(ResultCode.CKR_SLOT_ID_INVALID, "no keyring " + keyringId));
    if (k.locked()) {
      throw lockedError(k);
    }
    if (role == Role.KRCO && !k.krcoInitialized()) {
      throw new HsmException(
          ResultCode.CKR_USER_PIN_NOT_INITIALIZED,
          "the KRCO role of keyring '"
              + k.label()
              + "' is not initialized: log in as KRSO,"
              + " change the initial password, then initialize the KRCO");
    }
    String attempt = password == null ? "" : password;
    if (!KeyringCredential.verify(hasher, attempt, k.credentialVerifier())) {
      throw failedLogin(k, attempt);
    }
    if (k.failedLogins() > 0) {
      try {
        writer.write(
            tx -> {
              KeyringRecord cur = locked(tx.lockKeyring(keyringId), keyringId);
              if (!cur.locked()) {
                tx.updateKeyring(cur.withLock(false, 0));
              }
              return null;
            });
      } catch (HsmException e) {
        if (e.code() != ResultCode.CKR_TOKEN_WRITE_PROTECTED) {
          throw e;
        }
        // a read-only member: the login stands; the counter is reset by a later login through
        // a read-write member
      }
    }
    openSessions.computeIfAbsent(keyringId, id -> new AtomicInteger()).incrementAndGet();
    return new KeyringSession(
        this, store, boundary, keyringId, k.label(), role, k.passwordChangeRequired());
  }

  /** Sessions open on a keyring. */
  public int openSessions(UUID keyringId) {
    AtomicInteger n = openSessions.get(keyringId);
    return n == null ? 0 : n.get();
  }

  // ---- used by KeyringSession ----

  KeyringRecord current(UUID keyringId) {
    return store
        .keyring(keyringId)
        .orElseThrow(
            () ->
                new HsmException(
                    ResultCode.CKR_SLOT_ID_INVALID, "keyring " + keyringId + " was deleted"));
  }

  void changePassword(UUID keyringId, String oldPassword, String newPassword) {
    KeyringRecord k = current(keyringId);
    if (k.locked()) {
      throw lockedError(k);
    }
    String attempt = oldPassword == null ? "" : oldPassword;
    if (!KeyringCredential.verify(hasher, attempt, k.credentialVerifier())) {
      throw failedLogin(k, attempt);
    }
    Passwords.requireValidNew(newPassword, "keyring");
    if (newPassword.equals(attempt)) {
      throw new HsmException(
          ResultCode.CKR_PIN_INVALID, "the new keyring password must differ from the current one");
    }
    String credential = KeyringCredential.create(hasher, newPassword);
    writer.write(
        tx -> {
          KeyringRecord cur = locked(tx.lockKeyring(keyringId), keyringId);
          if (!cur.credentialVerifier().equals(k.credentialVerifier())) {
            // another session (here or on another member) changed it since the old one was checked
            throw new HsmException(
                ResultCode.CKR_PIN_INCORRECT,
                "the keyring's password was changed by another session while this change was"
                    + " being made; nothing was changed: change it again with the current"
                    + " password");
          }
          tx.updateKeyring(cur.withCredential(credential, false).withLock(cur.locked(), 0));
          return null;
        });
  }

  void initKrco(UUID keyringId, String password) {
    KeyringRecord k = current(keyringId);
    if (k.passwordChangeRequired()) {
      throw new HsmException(
          ResultCode.CKR_PIN_EXPIRED,
          "change the initial KRSO password before initializing the KRCO");
    }
    if (!KeyringCredential.verify(
        hasher, password == null ? "" : password, k.credentialVerifier())) {
      throw new HsmException(
          ResultCode.CKR_PIN_INVALID,
          "the KRCO must be initialized with the keyring's shared password (the KRSO's)");
    }
    writer.write(
        tx -> {
          KeyringRecord cur = locked(tx.lockKeyring(keyringId), keyringId);
          tx.updateKeyring(cur.withKrcoInitialized(true));
          return null;
        });
  }

  void sessionClosed(UUID keyringId) {
    AtomicInteger n = openSessions.get(keyringId);
    if (n != null && n.decrementAndGet() <= 0) {
      openSessions.remove(keyringId, n);
      boundary.evictKeyring(keyringId);
    }
  }

  private KeyringRecord countFailedLogin(KeyringRecord k) {
    return writer.write(
        tx -> {
          KeyringRecord cur = locked(tx.lockKeyring(k.id()), k.id());
          if (cur.locked()) {
            return cur; // locked meanwhile by a concurrent attempt: the counter stays
          }
          int failed = cur.failedLogins() + 1;
          KeyringRecord next =
              cur.withLock(cur.locked() || failed >= KeyringLimits.LOCKOUT_THRESHOLD, failed);
          tx.updateKeyring(next);
          return next;
        });
  }

  private HsmException failedLogin(KeyringRecord k, String attempt) {
    boolean counts =
        KeyringCredential.subjectToLockout(k.credentialVerifier())
            && Passwords.length(attempt) > KeyringLimits.LOCKOUT_IGNORED_ATTEMPT_LENGTH;
    if (!counts) {
      return new HsmException(
          ResultCode.CKR_PIN_INCORRECT, "wrong password for keyring '" + k.label() + "'");
    }
    KeyringRecord after;
    try {
      after = countFailedLogin(k);
    } catch (HsmException e) {
      if (e.code() != ResultCode.CKR_TOKEN_WRITE_PROTECTED) {
        throw e;
      }
      // a read-only member cannot record the attempt: it is refused all the same
      return new HsmException(
          ResultCode.CKR_PIN_INCORRECT,
          "wrong password for keyring '"
              + k.label()
              + "' (this member is read-only: the attempt was not counted)");
    }
    if (after.locked()) {
      return new HsmException(
          ResultCode.CKR_PIN_LOCKED,
          "wrong password; keyring '"
              + k.label()
              + "' is now locked after "
              + KeyringLimits.LOCKOUT_THRESHOLD
              + " failed logins: the partition CO must unlock it");
    }
    return new HsmException(
        ResultCode.CKR_PIN_INCORRECT,
        "wrong password for keyring '"
            + k.label()
            + "' ("
            + after.failedLogins()
            + " of "
            + KeyringLimits.LOCKOUT_THRESHOLD
            + " failed logins before it locks)");
  }

  private static HsmException lockedError(KeyringRecord k) {
    return new HsmException(
        ResultCode.CKR_PIN_LOCKED,
        "keyring '"
            + k.label()
            + "' is locked after "
            + KeyringLimits.LOCKOUT_THRESHOLD
            + " failed logins: the partition CO must unlock it (keyring unlock)");
  }

  private static KeyringRecord locked(Optional<KeyringRecord> r, UUID id) {
    return r.orElseThrow(
        () -> new HsmException(ResultCode.CKR_SLOT_ID_INVALID, "keyring " + id + " was deleted"));
  }
}
