package dev.keyring.sim.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.hsm.PasswordHasher;
import dev.keyring.sim.hsm.Passwords;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ReplicatedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appliance's users ({@code admin}, {@code operator}, {@code monitor}, and custom users holding
 * one of those roles) with their password verifiers, kept under {@value #STATE_KEY}: the member's
 * own {@code hsm_state} row outside a cluster, the replicated cluster value in a cluster (see
 * {@link UserStateStore}), so that creating a user, setting a password or deleting a user through
 * any member holds on every member. Passwords are never stored.
 *
 * <p>On first start {@code admin} gets the configured initial password or, without one, a random
 * one written to {@code DATA/initial-admin-password} (owner read/write only); {@code operator} and
 * {@code monitor} exist but are disabled until the admin sets their passwords.
 *
 * <p>Lockout, per user and source address, with a global bound, for every password check (logins
 * and the current password of a user changing its own): see {@link AdminLockout}.
 */
final class ApplianceUsers {
  static final String STATE_KEY = "appliance.users";
  static final String INITIAL_PASSWORD_FILE = "initial-admin-password";
  static final int LOCKOUT_THRESHOLD = AdminLockout.THRESHOLD;
  static final Duration LOCKOUT_DURATION = AdminLockout.DURATION;
  static final int MAX_USERS = 100;
  static final Set<String> BUILT_IN = Set.of("admin", "operator", "monitor");
  static final String NAME_RULE = "[a-z][a-z0-9_.-]{0,31}";
  private static final Pattern NAME = Pattern.compile(NAME_RULE);
  private static final int MAX_PASSWORD_CHARS = 1024;

  private static final Logger LOG = LoggerFactory.getLogger(ApplianceUsers.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** Reads exported users strictly: unknown fields, nulls for primitives, trailing data fail. */
  private static final ObjectMapper STRICT_JSON =
      new ObjectMapper()
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
          .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
          .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true);

  static final String EXPORT_FORMAT = "keyring appliance users";
  private static final int MAX_EXPORT_BYTES = 1 << 20;

  /** Who made a request, and with which role. */
  record Principal(String user, ApplianceRole role) {}

  /** A user as shown by the API: no verifier. */
  record UserView(String userId, String role, boolean enabled, boolean builtIn) {}

  /** The persisted form (Jackson bean). */
  static final class State {
    public int version = 1;
    public TreeMap<String, StoredUser> users = new TreeMap<>();
  }

  /** One persisted user; {@code verifier} null means disabled. */
  static final class StoredUser {
    public String role;
    public String verifier;
    public boolean builtIn;
  }

  /**
   * The exported form of the users (Jackson bean): what another member of the cluster installs with
   * {@link #replaceUsers(byte[])}. Verifiers only, never passwords.
   */
  static final class Export {
    public String format;
    public int version;
    public TreeMap<String, StoredUser> users;
  }

  private final UserStateStore storage;
  private final PasswordHasher hasher;
  private final AdminLockout lockout;
  private final String dummyVerifier;
  private final Object writes = new Object();
  private volatile State state;

  private ApplianceUsers(
      UserStateStore storage, PasswordHasher hasher, State state, Ticker ticker) {
    this.storage = storage;
    this.hasher = hasher;
    this.state = state;
    this.lockout = new AdminLockout(ticker);
    this.dummyVerifier = hasher.decoy();
  }

  /**
   * Loads the users, or creates them on first start.
   *
   * @param initialAdminPassword the admin password to set on first start, or null for a random one
   *     written to {@code dataDir/initial-admin-password}
   */
  static ApplianceUsers open(
      KeyringStore store, PasswordHasher hasher, Path dataDir, String initialAdminPassword) {
    return open(store, hasher, dataDir, initialAdminPassword, Ticker.SYSTEM);
  }

  static ApplianceUsers open(
      KeyringStore store,
      PasswordHasher hasher,
      Path dataDir,
      String initialAdminPassword,
      Ticker ticker) {
    return open(
        new UserStateStore(store, ReplicatedWriter.local(store), () -> true),
        hasher,
        dataDir,
        initialAdminPassword,
        ticker);
  }

  /** Loads the users from {@code storage}, or creates them there on first start. */
  static ApplianceUsers open(
      UserStateStore storage,
      PasswordHasher hasher,
      Path dataDir,
      String initialAdminPassword,
      Ticker ticker) {
    Optional<byte[]> raw = storage.load();
    if (raw.isPresent()) {
      return new ApplianceUsers(storage, hasher, decode(raw.get()), ticker);
    }
    String password = initialAdminPassword;
    if (password != null) {
      Passwords.requireValidNew(password, "initial admin");
    } else {
      byte[] b = new byte[18];
      new SecureRandom().nextBytes(b);
      password = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
    State s = new State();
    s.users.put("admin", stored(ApplianceRole.ADMIN, hasher.hash(password), true));
    s.users.put("operator", stored(ApplianceRole.OPERATOR, null, true));
    s.users.put("monitor", stored(ApplianceRole.MONITOR, null, true));
    if (initialAdminPassword == null) {
      Path file = dataDir.resolve(INITIAL_PASSWORD_FILE);
      writeOwnerOnly(file, password + "\n");
      LOG.info(
          "appliance user 'admin' created; its initial password is in {} (owner-only file):"
              + " log in and change it",
          file.toAbsolutePath());
    } else {
      LOG.info("appliance user 'admin' created with the configured initial password");
    }
    storage.saveLocally(encode(s));
    return new ApplianceUsers(storage, hasher, s, ticker);
  }

  private static StoredUser stored(ApplianceRole role, String verifier, boolean builtIn) {
    StoredUser u = new StoredUser();
    u.role = role.wireName();
    u.verifier = verifier;
    u.builtIn = builtIn;
    return u;
  }

  private static void writeOwnerOnly(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      Files.deleteIfExists(file);
      if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        Files.createFile(file);
      }
      Files.writeString(file, content, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "cannot write the initial admin password file " + file + ": " + e.getMessage());
    }
  }

  /** Counts failed password checks in the cluster's state too ({@link SharedLockouts}). */
  synchronized void shareLockouts(SharedLockouts cluster) {
    lockout.share(cluster);
  }

  /** {@link #authenticate(String, String, String)} from an unknown source. */
  Principal authenticate(String user, String password) {
    return authenticate(user, password, "");
  }

  /**
   * Checks a user's password, given from {@code source} (the client's address). Unknown users and
   * wrong passwords get the same 401; a disabled built-in user gets a 401 that says so; a user
   * locked from that source (or from everywhere) gets 429 with the seconds left.
   */
  Principal authenticate(String user, String password, String source) {
    StoredUser u;
    synchronized (this) {
      lockout.requireNotLocked(user, source);
      u = user == null ? null : state.users.get(user);
    }
    if (u == null || password == null || password.length() > MAX_PASSWORD_CHARS) {
      hasher.verify("x", dummyVerifier); // same cost as a real check
      throw wrongPassword();
    }
    if (u.verifier == null) {
      throw new ApiError(
          401,
          ResultCode.CKR_USER_PIN_NOT_INITIALIZED,
          "user '" + user + "' is disabled until the admin sets its password",
          Map.of("WWW-Authenticate", AdminApi.CHALLENGE));
    }
    boolean ok = hasher.verify(password, u.verifier);
    synchronized (this) {
      lockout.requireNotLocked(user, source);
      if (ok) {
        lockout.succeeded(user, source);
        StoredUser now = state.users.get(user);
        if (now == null || !u.verifier.equals(now.verifier)) {
          throw wrongPassword(); // deleted or changed meanwhile
        }
        return new Principal(user, ApplianceRole.fromWire(now.role));
      }
      lockout.failed(user, source); // throws 429 when this failure locks the user
    }
    throw wrongPassword();
  }

  private static ApiError wrongPassword() {
    return new ApiError(
        401,
        ResultCode.CKR_PIN_INCORRECT,
        "wrong user name or password",
        Map.of("WWW-Authenticate", AdminApi.CHALLENGE));
  }

  /** The user's current role, or null when it no longer exists or is disabled. */
  synchronized ApplianceRole currentRole(String user) {
    StoredUser u = state.users.get(user);
    return u == null || u.verifier == null ? null : ApplianceRole.fromWire(u.role);
  }

  synchronized List<UserView> list() {
    List<UserView> out = new ArrayList<>();
    state.users.forEach((name, u) -> out.add(view(name, u)));
    return out;
  }

  synchronized Optional<UserView> get(String name) {
    StoredUser u = state.users.get(name);
    return u == null ? Optional.empty() : Optional.of(view(name, u));
  }

  private static UserView view(String name, StoredUser u) {
    return new UserView(name, u.role, u.verifier != null, u.builtIn);
  }

  /** Adds a custom user. */
  UserView add(String name, ApplianceRole role, String password) {
    requireName(name);
    Passwords.requireValidNew(password, "user");
    String verifier = hasher.hash(password);
    State next =
        change(
            s -> {
              if (s.users.containsKey(name)) {
                throw ApiError.conflict(
                    ResultCode.CKR_FUNCTION_FAILED, "user '" + name + "' already exists");
              }
              if (s.users.size() >= MAX_USERS) {
                throw ApiError.conflict(
                    ResultCode.CKR_DEVICE_MEMORY,
                    "the appliance already has " + MAX_USERS + " users");
              }
              s.users.put(name, stored(role, verifier, false));
              return s;
            });
    return view(name, next.users.get(name));
  }

  /** Sets a user's password (enabling a disabled built-in user). */
  UserView setPassword(String name, String password) {
    return setPassword(name, password, null);
  }

  /**
   * Sets a user's password, if its current one is still the one checked ({@code checked}, the
   * verifier {@link #requirePassword} returned; null: any): a change made by another session since
   * the check is not undone, this one is refused (409, CKR_PIN_INCORRECT) and changes nothing.
   */
  UserView setPassword(String name, String password, String checked) {
    Passwords.requireValidNew(password, "user");
    String verifier = hasher.hash(password);
    State next =
        change(
            s -> {
              StoredUser u = requireExisting(s, name);
              if (checked != null && !checked.equals(u.verifier)) {
                throw ApiError.conflict(
                    ResultCode.CKR_PIN_INCORRECT,
                    "the password of '"
                        + name
                        + "' was changed by another session after its current one was checked;"
                        + " nothing was changed: change it again with the current password");
              }
              u.verifier = verifier;
              return s;
            });
    synchronized (this) {
      lockout.forget(name);
    }
    return view(name, next.users.get(name));
  }

  /** {@link #requirePassword(String, String, String)} from an unknown source. */
  String requirePassword(String name, String password) {
    return requirePassword(name, password, "");
  }

  /**
   * Checks a user's current password (for a user changing its own), given from {@code source}. A
   * wrong one counts towards the user's lockout like a failed login (a stolen session cookie does
   * not become a way to guess the password); 429 while locked.
   *
   * @return the verifier of the password checked, for {@link #setPassword(String, String, String)}
   */
  String requirePassword(String name, String password, String source) {
    StoredUser u;
    synchronized (this) {
      lockout.requireNotLocked(name, source);
      u = requireExisting(state, name);
    }
    boolean ok =
        password != null
            && password.length() <= MAX_PASSWORD_CHARS
            && u.verifier != null
            && hasher.verify(password, u.verifier);
    synchronized (this) {
      if (ok) {
        lockout.succeeded(name, source);
        return u.verifier;
      }
      lockout.failed(name, source); // throws 429 when this failure locks the user
    }
    throw new ApiError(
        403, ResultCode.CKR_PIN_INCORRECT, "the current password of '" + name + "' is wrong");
  }

  /** Deletes a custom user; built-in users cannot be deleted. */
  void delete(String name) {
    change(
        s -> {
          StoredUser u = requireExisting(s, name);
          if (u.builtIn) {
            throw ApiError.conflict(
                ResultCode.CKR_FUNCTION_REJECTED,
                "the built-in user '" + name + "' cannot be deleted");
          }
          s.users.remove(name);
          return s;
        });
    synchronized (this) {
      lockout.forget(name);
    }
  }

  /**
   * Reads the users again from the store (the replicated state changed under this member). Users
   * that are not valid (a built-in user missing or with another role, {@code admin} disabled, a
   * malformed verifier, ...) are refused with a warning, and the users stay as they were.
   *
   * @return the users deleted, or whose password or role changed: their sessions should end
   */
  Set<String> reload() {
    Set<String> changed = new java.util.TreeSet<>();
    synchronized (this) { // read and set under one lock: the view never goes back in time
      State next;
      try {
        next = storage.load().map(ApplianceUsers::decode).orElse(null);
        if (next != null) {
          UserSetRules.check(
              next.users,
              why ->
                  new HsmException(
                      ResultCode.CKR_DEVICE_ERROR,
                      "the stored appliance users are not valid: " + why));
        }
      } catch (HsmException e) {
        LOG.warn("{}; the appliance users are left as they were", e.getMessage());
        return Set.of();
      }
      if (next == null) {
        return Set.of();
      }
      state.users.forEach(
          (name, was) -> {
            StoredUser now = next.users.get(name);
            if (now == null
                || !java.util.Objects.equals(now.verifier, was.verifier)
                || !java.util.Objects.equals(now.role, was.role)) {
              changed.add(name);
            }
          });
      state = next;
      changed.forEach(lockout::forget);
    }
    return changed;
  }

  /**
   * In a cluster that holds no users yet (created by an earlier version): publishes this member's
   * users as the cluster's, through the replicated write path. Nothing to do otherwise.
   */
  void publishToCluster() {
    if (storage.clusterLacksUsers()) {
      change(s -> s);
    }
  }

  /** Keeps the cluster's users as this member's own (it is about to forget its cluster). */
  void keepLocally() {
    storage.keepLocally();
  }

  /**
   * Every user (the admin included) with its role and password verifier as stored, for a member
   * joining this one's cluster. Holds no password; the verifiers carry their own KDF cost.
   */
  synchronized byte[] exportUsers() {
    Export e = new Export();
    e.format = EXPORT_FORMAT;
    e.version = 1;
    e.users = copy().users;
    try {
      return JSON.writeValueAsBytes(e);
    } catch (JsonProcessingException x) {
      throw new IllegalStateException(x);
    }
  }

  /**
   * Replaces every user and role with those of {@link #exportUsers()} from another member, in one
   * store write; lockout counters restart. Anything malformed is refused with CKR_ARGUMENTS_BAD and
   * nothing changes: the three built-in users must be there with their own roles, {@code admin}
   * enabled, names and roles valid, verifiers well formed.
   *
   * <p>Admin sessions are kept by {@link AdminSessions}, by user name, and each request checks the
   * user's current role: sessions of users that no longer exist end at their next request, a
   * changed role applies at once; sessions of users whose password changed go on until they expire
   * unless the caller ends them ({@code AdminSessions.closeUser}).
   */
  void replaceUsers(byte[] exported) {
    State next = validExport(exported);
    change(s -> next);
    synchronized (this) {
      lockout.clear();
    }
    LOG.info("appliance users replaced: {} users", next.users.size());
  }

  private static State validExport(byte[] exported) {
    if (exported == null || exported.length == 0 || exported.length > MAX_EXPORT_BYTES) {
      throw badExport("it is empty or larger than " + MAX_EXPORT_BYTES + " bytes");
    }
    Export e;
    try {
      e = STRICT_JSON.readValue(exported, Export.class);
    } catch (IOException x) {
      throw badExport("it is not the JSON of exported users");
    }
    if (e == null || !EXPORT_FORMAT.equals(e.format) || e.version != 1) {
      throw badExport("its format is not '" + EXPORT_FORMAT + "' version 1");
    }
    if (e.users == null || e.users.size() > MAX_USERS) {
      throw badExport("it must list 3 to " + MAX_USERS + " users");
    }
    UserSetRules.check(e.users, ApplianceUsers::badExport);
    State s = new State();
    s.users = e.users;
    return s;
  }

  private static HsmException badExport(String why) {
    return new HsmException(
        ResultCode.CKR_ARGUMENTS_BAD, "the exported appliance users are not valid: " + why);
  }

  private static StoredUser requireExisting(State s, String name) {
    StoredUser u = name == null ? null : s.users.get(name);
    if (u == null) {
      throw ApiError.notFound("no appliance user has that name");
    }
    return u;
  }

  static void requireName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw ApiError.badRequest(
          "a user name is 1 to 32 characters of lowercase letters, digits, '_', '.', '-',"
              + " starting with a letter");
    }
  }

  private State copy() {
    try {
      return JSON.readValue(JSON.writeValueAsBytes(state), State.class);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Applies {@code edit} to the freshest stored users and stores them (replicated in a cluster);
   * {@code edit} may run more than once and must only change the state it is given.
   */
  private State change(java.util.function.UnaryOperator<State> edit) {
    synchronized (writes) {
      State next =
          decode(storage.update(raw -> encode(edit.apply(raw == null ? copy() : decode(raw)))));
      reload(); // what the store holds now, with whatever other members changed meanwhile
      return next;
    }
  }

  private static State decode(byte[] raw) {
    try {
      State s = JSON.readValue(raw, State.class);
      if (s == null || s.users == null) {
        throw new IOException("no users");
      }
      return s;
    } catch (IOException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "the stored appliance users (" + STATE_KEY + ") are damaged");
    }
  }

  private static byte[] encode(State s) {
    try {
      return JSON.writeValueAsBytes(s);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
