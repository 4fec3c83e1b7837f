package dev.keyring.sim.hsm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.boundary.Boundary;
import dev.keyring.sim.boundary.ProtectedSmk;
import dev.keyring.store.KeyringStore;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;

/**
 * The appliance's HSM: serial number, HSM SO, HSM policies, and its one V1 application partition
 * (label, cloning domain, PO and CO roles, partition policies, and the SMK in protected form).
 *
 * <p>Rules modelled: a second V1 partition is refused; the CO must change its initial password
 * while HSM policy 21 is on; partition policy 40 must be 0 before the partition serves a cluster;
 * the SMK is generated inside the partition (through the boundary) and persisted only wrapped.
 * State lives in the member's store ({@code hsm_state}), written in one transaction per change.
 */
public final class Hsm {
  /** HSM policy 21: force user PIN change after set/reset (default on). */
  public static final int POLICY_FORCE_PIN_CHANGE = 21;

  /**
   * Partition policy 40: require per-key authorization data (default on; must be 0 for clusters).
   */
  public static final int POLICY_PER_KEY_AUTH = 40;

  private static final String STATE_KEY = "hsm";
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final KeyringStore store;
  private final Boundary boundary;
  private final PasswordHasher hasher;
  private final RoleLockout lockout;
  private HsmState state;

  private Hsm(
      KeyringStore store, Boundary boundary, PasswordHasher hasher, HsmState state, Ticker ticker) {
    this.store = store;
    this.boundary = boundary;
    this.hasher = hasher;
    this.state = state;
    this.lockout = new RoleLockout(ticker);
  }

  /**
   * Opens the HSM whose state is in {@code store}; a new HSM gets a serial number and default
   * policies. A partition SMK is loaded into the boundary.
   */
  public static Hsm open(KeyringStore store, Boundary boundary, PasswordHasher hasher) {
    return open(store, boundary, hasher, Ticker.SYSTEM);
  }

  /**
   * {@link #open(KeyringStore, Boundary, PasswordHasher)} with the ticker the lockout of the SO, PO
   * and CO passwords reads.
   */
  public static Hsm open(
      KeyringStore store, Boundary boundary, PasswordHasher hasher, Ticker ticker) {
    Optional<byte[]> raw = store.hsmState(STATE_KEY);
    HsmState s;
    if (raw.isPresent()) {
      try {
        s = JSON.readValue(raw.get(), HsmState.class);
      } catch (java.io.IOException e) {
        throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "the stored HSM state is damaged");
      }
    } else {
      s = new HsmState();
      s.serial = Integer.toString(1_000_000 + new SecureRandom().nextInt(9_000_000));
      s.policies.put(POLICY_FORCE_PIN_CHANGE, 1);
    }
    Hsm hsm = new Hsm(store, boundary, hasher, s, ticker);
    if (raw.isEmpty()) {
      hsm.persist(s);
    }
    if (s.partition != null && s.partition.domainKey != null) {
      boundary.loadCloningDomain(s.partition.domainKey);
    }
    if (s.partition != null && s.partition.smk != null) {
      boundary.loadSmk(ProtectedSmk.decode(s.partition.smk));
    }
    return hsm;
  }

  public synchronized String serialNumber() {
    return state.serial;
  }

  public synchronized boolean initialized() {
    return state.soVerifier != null;
  }

  public synchronized String label() {
    return state.label;
  }

  /** Initializes the HSM: its label and the HSM SO password. Refused when already initialized. */
  public synchronized void initialize(String label, String soPassword) {
    if (initialized()) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "HSM " + state.serial + " is already initialized");
    }
    requireLabel(label, "HSM label");
    Passwords.requireValidNew(soPassword, "HSM SO");
    HsmState next = copy();
    next.label = label;
    next.soVerifier = hasher.hash(soPassword);
    persist(next);
  }

  /** Checks the HSM SO password (CKR_PIN_INCORRECT when wrong). */
  public synchronized void authenticateSo(String soPassword) {
    requireInitialized();
    check(RoleLockout.Role.SO, soPassword, state.soVerifier, "the HSM SO password is wrong");
  }

  /**
   * Checks a password of one of the HSM's roles, counting wrong ones towards its lockout; while the
   * role is locked, even the right one is refused.
   */
  private void check(RoleLockout.Role role, String password, String verifier, String wrong) {
    lockout.requireUnlocked(role);
    if (password == null || !hasher.verify(password, verifier)) {
      lockout.failed(role);
      throw new HsmException(ResultCode.CKR_PIN_INCORRECT, wrong);
    }
    lockout.succeeded(role);
  }

  public synchronized int policy(int id) {
    return state.policies.getOrDefault(id, 0);
  }

  public synchronized Map<Integer, Integer> policies() {
    return Map.copyOf(state.policies);
  }

  /** Sets an HSM policy (0 or 1) as the HSM SO. */
  public synchronized void setPolicy(String soPassword, int id, int value) {
    authenticateSo(soPassword);
    requirePolicyValue(id, value);
    HsmState next = copy();
    next.policies.put(id, value);
    persist(next);
  }

  /**
   * Creates the application partition (V1) as the HSM SO. A second V1 partition is refused, and so
   * is a V0 partition: clusters need V1.
   */
  public synchronized void createPartition(String soPassword, String label, String version) {
    authenticateSo(soPassword);
    requireLabel(label, "partition label");
    if (!"V1".equalsIgnoreCase(version)) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "only V1 partitions can hold a cluster's SMK; the version must be V1");
    }
    if (state.partition != null) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "HSM "
              + state.serial
              + " already has the V1 partition '"
              + state.partition.label
              + "'; an appliance configured for clustering may have only one");
    }
    HsmState next = copy();
    next.partition = new HsmState.PartitionState();
    next.partition.label = label;
    next.partition.version = "V1";
    next.partition.policies.put(POLICY_PER_KEY_AUTH, 1);
    persist(next);
  }

  /** Initializes the partition's PO role and its cloning domain, as the HSM SO. */
  public synchronized void initializePartition(
      String soPassword, String poPassword, String cloningDomain) {
    authenticateSo(soPassword);
    HsmState.PartitionState p = requirePartition();
    if (p.initialized) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "partition '" + p.label + "' is already initialized");
    }
    Passwords.requireValidNew(poPassword, "partition PO");
    if (cloningDomain == null || cloningDomain.isBlank() || cloningDomain.length() > 128) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "cloning domain must be 1 to 128 characters");
    }
    HsmState next = copy();
    next.partition.initialized = true;
    next.partition.poVerifier = hasher.hash(poPassword);
    next.partition.domainFingerprint = PasswordHasher.fingerprint("cloning domain", cloningDomain);
    next.partition.domainKey = boundary.sealCloningDomain(cloningDomain);
    persist(next);
  }

  public synchronized Optional<PartitionInfo> partition() {
    HsmState.PartitionState p = state.partition;
    if (p == null) {
      return Optional.empty();
    }
    return Optional.of(
        new PartitionInfo(
            p.label,
            p.version,
            p.initialized,
            p.coVerifier != null,
            p.coMustChange,
            p.domainFingerprint,
            Map.copyOf(p.policies),
            p.smk == null ? null : ProtectedSmk.decode(p.smk).fingerprint()));
  }

  /** Sets a partition policy (0 or 1) as the partition PO. */
  public synchronized void setPartitionPolicy(String poPassword, int id, int value) {
    authenticatePo(poPassword);
    requirePolicyValue(id, value);
    HsmState next = copy();
    next.partition.policies.put(id, value);
    persist(next);
  }

  /** Initializes the CO role as the PO. With policy 21 on, the CO must then change it. */
  public synchronized void initCo(String poPassword, String coPassword) {
    authenticatePo(poPassword);
    Passwords.requireValidNew(coPassword, "partition CO");
    HsmState next = copy();
    next.partition.coVerifier = hasher.hash(coPassword);
    next.partition.coMustChange = policy(POLICY_FORCE_PIN_CHANGE) == 1;
    persist(next);
  }

  /** Changes the CO password (needs the current one). */
  public synchronized void changeCoPassword(String oldPassword, String newPassword) {
    HsmState.PartitionState p = requireCo();
    check(RoleLockout.Role.CO, oldPassword, p.coVerifier, "the partition CO password is wrong");
    Passwords.requireValidNew(newPassword, "partition CO");
    if (newPassword.equals(oldPassword)) {
      throw new HsmException(
          ResultCode.CKR_PIN_INVALID, "the new CO password must differ from the current one");
    }
    HsmState next = copy();
    next.partition.coVerifier = hasher.hash(newPassword);
    next.partition.coMustChange = false;
    persist(next);
  }

  /**
   * Checks the partition CO password for an administrative action (creating, deleting or unlocking
   * keyrings, authorizing a member). Refused while the initial password awaits change.
   */
  public synchronized void authenticateCo(String coPassword) {
    HsmState.PartitionState p = requireCo();
    check(RoleLockout.Role.CO, coPassword, p.coVerifier, "the partition CO password is wrong");
    if (p.coMustChange) {
      throw new HsmException(
          ResultCode.CKR_PIN_EXPIRED,
          "the partition CO must change its initial password first (HSM policy 21 is on)");
    }
  }

  /** Refuses with a message naming the missing step unless the partition can serve a cluster. */
  public synchronized void requireReadyForCluster() {
    HsmState.PartitionState p = requirePartition();
    if (!p.initialized) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "partition '" + p.label + "' is not initialized");
    }
    if (p.coVerifier == null) {
      throw new HsmException(
          ResultCode.CKR_USER_PIN_NOT_INITIALIZED,
          "partition '" + p.label + "' has no CO yet: initialize the CO role");
    }
    if (p.coMustChange) {
      throw new HsmException(
          ResultCode.CKR_PIN_EXPIRED,
          "the partition CO must change its initial password first (HSM policy 21 is on)");
    }
    if (p.policies.getOrDefault(POLICY_PER_KEY_AUTH, 0) != 0) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "partition policy 40 (require per-key authorization data) must be 0 before the"
              + " partition serves a cluster");
    }
  }

  /** Generates the SMK inside the partition and persists it in protected form. */
  public synchronized ProtectedSmk createSmk() {
    requireReadyForCluster();
    ProtectedSmk smk = boundary.createSmk();
    HsmState next = copy();
    next.partition.smk = smk.encode();
    persist(next);
    return smk;
  }

  /**
   * Forgets the partition's SMK (factory reset of the cluster service): the protected form is
   * removed and the boundary drops the SMK and every cached key. A later cluster create or join
   * brings a new one.
   */
  public synchronized void clearSmk() {
    if (state.partition == null || state.partition.smk == null) {
      return;
    }
    HsmState next = copy();
    next.partition.smk = null;
    persist(next);
    boundary.clearSmk();
  }

  /**
   * The fingerprint of the partition's cloning domain (set by {@link #initializePartition}): two
   * members can clone the SMK between them only when theirs are equal.
   */
  public synchronized String cloningDomainFingerprint() {
    HsmState.PartitionState p = requirePartition();
    if (!p.initialized || p.domainFingerprint == null) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "partition '" + p.label + "' is not initialized: it has no cloning domain yet");
    }
    return p.domainFingerprint;
  }

  /**
   * Persists an SMK cloned from a cluster member ({@link Boundary#importSmkClone}) into the
   * partition and loads it. The same SMK already there is a no-op; a different one is never
   * overwritten (a factory reset of the cluster service must clear it first).
   */
  public synchronized void installClonedSmk(ProtectedSmk smk) {
    if (smk == null) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "the cloned SMK is required");
    }
    requireReadyForCluster();
    HsmState.PartitionState p = state.partition;
    if (p.smk != null) {
      String held = ProtectedSmk.decode(p.smk).fingerprint();
      if (held.equals(smk.fingerprint())) {
        return;
      }
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "partition '"
              + p.label
              + "' already holds the SMK "
              + held
              + "; the cloned SMK "
              + smk.fingerprint()
              + " is not installed over it: a factory reset of the cluster service must clear the"
              + " partition's SMK before the member joins another cluster");
    }
    boundary.loadSmk(smk); // checks that it opens under this HSM's device key
    HsmState next = copy();
    next.partition.smk = smk.encode();
    try {
      persist(next);
    } catch (RuntimeException e) {
      boundary.clearSmk(); // not persisted: the partition still holds no SMK
      throw e;
    }
  }

  public synchronized boolean hasSmk() {
    return state.partition != null && state.partition.smk != null;
  }

  private void authenticatePo(String poPassword) {
    HsmState.PartitionState p = requirePartition();
    if (!p.initialized) {
      throw new HsmException(
          ResultCode.CKR_USER_PIN_NOT_INITIALIZED, "partition '" + p.label + "' has no PO yet");
    }
    check(RoleLockout.Role.PO, poPassword, p.poVerifier, "the partition PO password is wrong");
  }

  private HsmState.PartitionState requireCo() {
    HsmState.PartitionState p = requirePartition();
    if (p.coVerifier == null) {
      throw new HsmException(
          ResultCode.CKR_USER_PIN_NOT_INITIALIZED,
          "partition '" + p.label + "' has no CO yet: initialize the CO role");
    }
    return p;
  }

  private HsmState.PartitionState requirePartition() {
    requireInitialized();
    if (state.partition == null) {
      throw new HsmException(
          ResultCode.CKR_TOKEN_NOT_PRESENT,
          "HSM " + state.serial + " has no application partition: create a V1 partition first");
    }
    return state.partition;
  }

  private void requireInitialized() {
    if (state.soVerifier == null) {
      throw new HsmException(
          ResultCode.CKR_CRYPTOKI_NOT_INITIALIZED,
          "HSM " + state.serial + " is not initialized: initialize it with an HSM SO password");
    }
  }

  private static void requirePolicyValue(int id, int value) {
    if (id < 0 || id > 99) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "policy id must be 0 to 99, got " + id);
    }
    if (value != 0 && value != 1) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "policy " + id + " takes 0 or 1, got " + value);
    }
  }

  private static void requireLabel(String label, String what) {
    if (label == null || !label.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          what
              + " must be 1 to 32 characters of letters, digits, '_', '.', '-', starting with a"
              + " letter or digit");
    }
  }

  private HsmState copy() {
    try {
      return JSON.readValue(JSON.writeValueAsBytes(state), HsmState.class);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void persist(HsmState next) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsString(next).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    store.write(
        tx -> {
          tx.putHsmState(STATE_KEY, bytes);
          return null;
        });
    state = next;
  }
}
