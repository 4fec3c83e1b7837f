package dev.keyring.testing.channel;

import dev.keyring.client.api.Slot;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.ResultCode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.LongFunction;

/**
 * A keyring of a fake cluster: its label, the password its two roles share, and its objects by
 * handle (handles start at 1 and are never reused). Every member of the cluster sees the same
 * keyring, as every member holds an acknowledged write. Thread-safe.
 */
final class FakeKeyring {
  private final UUID id;
  private final String label;
  private final TreeMap<Long, FakeObject> objects = new TreeMap<>();
  private byte[] password;
  private boolean krcoInitialized;
  private boolean passwordChangeRequired;
  private long nextHandle = 1;

  FakeKeyring(UUID id, String label, String password, boolean initialized) {
    this.id = id;
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

  /** Stores the object {@code make} builds for the next handle, and returns it. */
  synchronized FakeObject add(LongFunction<FakeObject> make) {
    if (objects.size() >= KeyringLimits.MAX_OBJECTS_PER_KEYRING) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_MEMORY,
          "keyring '"
              + label
              + "' already holds "
              + KeyringLimits.MAX_OBJECTS_PER_KEYRING
              + " objects");
    }
    FakeObject o = make.apply(nextHandle);
    objects.put(nextHandle, o);
    nextHandle++;
    return o;
  }

  /** Stores two objects at once (a key pair), or neither. */
  synchronized List<FakeObject> addPair(
      LongFunction<FakeObject> first, LongFunction<FakeObject> second) {
    if (objects.size() + 2 > KeyringLimits.MAX_OBJECTS_PER_KEYRING) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_MEMORY, "keyring '" + label + "' has no room for two more objects");
    }
    return List.of(add(first), add(second));
  }

  synchronized FakeObject get(long handle) {
    FakeObject o = objects.get(handle);
    if (o == null) {
      throw new HsmException(
          ResultCode.CKR_OBJECT_HANDLE_INVALID,
          "keyring '" + label + "' has no object with handle " + handle);
    }
    return o;
  }

  synchronized FakeObject setAttributes(long handle, Attributes changes) {
    FakeObject o = get(handle).with(changes);
    objects.put(handle, o);
    return o;
  }

  synchronized void destroy(long handle) {
    if (objects.remove(handle) == null) {
      throw new HsmException(
          ResultCode.CKR_OBJECT_HANDLE_INVALID,
          "keyring '" + label + "' has no object with handle " + handle);
    }
  }

  /** The objects whose attributes include every attribute of {@code template}, by handle. */
  synchronized List<FakeObject> find(Attributes template) {
    List<FakeObject> out = new ArrayList<>();
    for (FakeObject o : objects.values()) {
      if (o.attributes().matches(template)) {
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
