package dev.keyring.testing.channel;

import dev.keyring.client.api.Slot;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.ResultCode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * A keyring of a fake cluster: its label, the password its two roles share, and its objects by
 * handle (handles start at 1 and are never reused). Every member of the cluster shares the keyring,
 * as every member holds an acknowledged write; each change of an object is kept at its position in
 * the cluster's log, so that a member lagging behind sees the objects as of its own position.
 * Thread-safe.
 */
final class FakeKeyring {
  private final UUID id;
  private final String label;
  private final TreeMap<Long, List<Version>> objects = new TreeMap<>();
  private final Set<Long> kept = new HashSet<>();
  private final AtomicLong log;
  private byte[] password;
  private boolean krcoInitialized;
  private boolean passwordChangeRequired;
  private long nextHandle = 1;

  FakeKeyring(UUID id, String label, String password, boolean initialized, AtomicLong log) {
    this.id = id;
    this.log = log;
    this.label = label;
    this.password = utf8(password);
    this.krcoInitialized = initialized;
    this.passwordChangeRequired = !initialized;
  }

  UUID id() {
    return id;
  }

  String label() {
    return label;
  }

  synchronized boolean krcoInitialized() {
    return krcoInitialized;
  }

  synchronized boolean passwordChangeRequired() {
    return passwordChangeRequired;
  }

  synchronized Slot slot(long slotId) {
    return new Slot(slotId, id, label, false, krcoInitialized, passwordChangeRequired);
  }

  /** Refuses a wrong password with CKR_PIN_INCORRECT. */
  synchronized void checkPassword(String attempt) {
    if (!MessageDigest.isEqual(password, utf8(attempt))) {
      throw new HsmException(
          ResultCode.CKR_PIN_INCORRECT, "wrong password for keyring '" + label + "'");
    }
  }

  synchronized void changePassword(String oldPassword, String newPassword) {
    checkPassword(oldPassword);
    if (newPassword == null || newPassword.length() < 8) {
      throw new HsmException(
          ResultCode.CKR_PIN_LEN_RANGE, "a keyring password has at least 8 characters");
    }
    if (MessageDigest.isEqual(password, utf8(newPassword))) {
      throw new HsmException(
          ResultCode.CKR_PIN_INVALID, "the new keyring password must differ from the current one");
    }
    password = utf8(newPassword);
    passwordChangeRequired = false;
  }

  synchronized void initKrco(String pw) {
    if (passwordChangeRequired) {
      throw new HsmException(
          ResultCode.CKR_PIN_EXPIRED,
          "change the initial KRSO password before initializing the KRCO");
    }
    if (!MessageDigest.isEqual(password, utf8(pw))) {
      throw new HsmException(
          ResultCode.CKR_PIN_INVALID,
          "the KRCO must be initialized with the keyring's shared password (the KRSO's)");
    }
    krcoInitialized = true;
  }

  // ---- objects

  /** One state of an object from a log position on: the object, or null once destroyed. */
  private record Version(long at, FakeObject object) {}

  /**
   * Stores the object {@code make} builds for the next handle, at the next log position, and
   * returns it.
   */
  synchronized FakeObject add(LongFunction<FakeObject> make) {
    room(1);
    return insert(make, log.incrementAndGet());
  }

  /** Stores two objects at once (a key pair, one log position), or neither. */
  synchronized List<FakeObject> addPair(
      LongFunction<FakeObject> first, LongFunction<FakeObject> second) {
    room(2);
    long at = log.incrementAndGet();
    return List.of(insert(first, at), insert(second, at));
  }

  private void room(int more) {
    long live = objects.values().stream().filter(v -> last(v).object() != null).count();
    if (live + more > KeyringLimits.MAX_OBJECTS_PER_KEYRING) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_MEMORY,
          "keyring '"
              + label
              + "' has no room for "
              + more
              + " more object(s): it holds "
              + live
              + " of "
              + KeyringLimits.MAX_OBJECTS_PER_KEYRING);
    }
  }

  private FakeObject insert(LongFunction<FakeObject> make, long at) {
    FakeObject o = make.apply(nextHandle);
    List<Version> history = new ArrayList<>();
    history.add(new Version(at, o));
    objects.put(nextHandle, history);
    nextHandle++;
    return o;
  }

  private static Version last(List<Version> history) {
    return history.get(history.size() - 1);
  }

  /** The object {@code handle} as of log position {@code at}, or null. */
  private FakeObject visible(long handle, long at) {
    List<Version> history = objects.get(handle);
    FakeObject seen = null;
    if (history != null) {
      for (Version v : history) {
        if (v.at() <= at) {
          seen = v.object();
        }
      }
    }
    return seen;
  }

  /** The object as a member caught up with the whole log holds it. */
  synchronized FakeObject get(long handle) {
    return get(handle, Long.MAX_VALUE);
  }

  /** The object as a member that holds the log up to {@code at} holds it. */
  synchronized FakeObject get(long handle, long at) {
    FakeObject o = visible(handle, at);
    if (o == null) {
      throw new HsmException(
          ResultCode.CKR_OBJECT_HANDLE_INVALID,
          "keyring '" + label + "' has no object with handle " + handle);
    }
    return o;
  }

  synchronized FakeObject setAttributes(long handle, Attributes changes) {
    FakeObject o = get(handle).with(changes);
    objects.get(handle).add(new Version(log.incrementAndGet(), o));
    return o;
  }

  synchronized void destroy(long handle) {
    get(handle);
    if (kept.contains(handle)) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "the fake member could not destroy object " + handle + " of keyring '" + label + "'");
    }
    objects.get(handle).add(new Version(log.incrementAndGet(), null));
  }

  /** From now on, destroying {@code handle} fails with CKR_FUNCTION_FAILED. */
  synchronized void refuseToDestroy(long handle) {
    kept.add(handle);
  }

  /** The objects whose attributes include every attribute of {@code template}, by handle. */
  synchronized List<FakeObject> find(Attributes template) {
    return find(template, Long.MAX_VALUE);
  }

  /** {@link #find(Attributes)} as a member that holds the log up to {@code at} answers it. */
  synchronized List<FakeObject> find(Attributes template, long at) {
    List<FakeObject> out = new ArrayList<>();
    for (Long handle : objects.keySet()) {
      FakeObject o = visible(handle, at);
      if (o != null && o.attributes().matches(template)) {
        out.add(o);
      }
    }
    return out;
  }

  private static byte[] utf8(String s) {
    return (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "keyring '" + label + "' (" + id + ")";
  }
}
