package dev.keyring.client.ha;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CloningMessages;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An HA group member in memory, for the virtual slot's unit tests: a keyring that holds objects by
 * id, clones them to another fake member (the "clone" is a token that names the object in a shared
 * vault: fake objects carry no key material), counts the calls it served, and can be taken down
 * (every call fails as an unreachable cluster would) and brought back. Public for the {@code
 * hagroup} command tests, which reach members through it.
 */
public final class FakeHaMember {
  /** Clones in flight: the token a clone-out returns, and what it carries. */
  private static final Map<String, Stored> VAULT = new ConcurrentHashMap<>();

  private record Stored(UUID id, ObjectClass objectClass, Attributes attributes) {}

  final UUID keyringId = UUID.randomUUID();
  final String label;
  final String password;
  private final Map<Long, Stored> objects = new ConcurrentHashMap<>();
  private final AtomicLong handles = new AtomicLong(100);
  final AtomicInteger signs = new AtomicInteger();
  final AtomicInteger clonesIn = new AtomicInteger();
  public volatile boolean down;

  /** Runs inside every sign this member serves, before it answers (a test may hold it there). */
  volatile Runnable duringSign = () -> {};

  /** Runs inside every clone stored on this member, before it is stored. */
  volatile Runnable duringCloneIn = () -> {};

  public FakeHaMember(String label, String password) {
    this.label = label;
    this.password = password;
  }

  public String serial() {
    return slot().serialNumber();
  }

  Slot slot() {
    return new Slot(1, keyringId, label, false, true, false);
  }

  /** Objects by id as this member holds them. */
  public Map<UUID, Attributes> objectsById() {
    Map<UUID, Attributes> out = new ConcurrentHashMap<>();
    objects.values().forEach(o -> out.put(o.id, o.attributes));
    return out;
  }

  /** Stores an object as if made directly on this member slot. */
  public long put(UUID id, ObjectClass c, Attributes a) {
    long h = handles.incrementAndGet();
    objects.put(h, new Stored(id, c, a));
    return h;
  }

  /**
   * Changes this member's version of object {@code id} as if another application changed it
   * directly on this member slot: its attributes merged with {@code changes}.
   */
  void change(UUID id, Attributes changes) {
    objects.replaceAll(
        (h, o) ->
            o.id.equals(id) ? new Stored(o.id, o.objectClass, o.attributes.merge(changes)) : o);
  }

  /** A new session on this member. */
  KeyringChannel open() throws TransportException {
    reachable();
    return new Session();
  }

  /** How many of the next calls fail as if the member could not be reached. */
  public final AtomicInteger failNext = new AtomicInteger();

  /**
   * A failure the next call meets instead of the member (once); an {@code INTERRUPTED} one leaves
   * the calling thread's interrupt status set, and an interrupted thread's calls fail at once.
   */
  public final AtomicReference<TransportException> failOnce = new AtomicReference<>();

  /**
   * A failure the next change or deletion meets after it was made (once): its answer cut off, as an
   * interrupt while reading it would; an {@code INTERRUPTED} one leaves the status set.
   */
  public final AtomicReference<TransportException> failAfterOnce = new AtomicReference<>();

  private void answered() throws TransportException {
    TransportException once = failAfterOnce.getAndSet(null);
    if (once != null) {
      if (once.kind() == TransportException.Kind.INTERRUPTED) {
        Thread.currentThread().interrupt();
      }
      throw once;
    }
  }

  private void reachable() throws TransportException {
    if (Thread.currentThread().isInterrupted()) { // as the client's transports: never sent
      throw new TransportException(
          TransportException.Kind.INTERRUPTED, "interrupted before the call", null, false, false);
    }
    TransportException once = failOnce.getAndSet(null);
    if (once != null) {
      if (once.kind() == TransportException.Kind.INTERRUPTED) {
        Thread.currentThread().interrupt(); // as the client's transports: the status set again
      }
      throw once;
    }
    if (down || failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new TransportException(
          TransportException.Kind.CONNECT, "member " + label + " cannot be reached");
    }
  }

  private final class Session implements KeyringChannel {
    private volatile boolean loggedIn;

    private void ready() throws TransportException {
      reachable();
      if (!loggedIn) {
        throw new HsmException(ResultCode.CKR_USER_NOT_LOGGED_IN, "not logged in");
      }
    }

    private Stored get(long handle) {
      Stored s = objects.get(handle);
      if (s == null) {
        throw new HsmException(ResultCode.CKR_OBJECT_HANDLE_INVALID, "no handle " + handle);
      }
      return s;
    }

    private KeyringObject made(ObjectClass c, Attributes a) {
      long h = put(UUID.randomUUID(), c, a);
      return new KeyringObject(h, c, a);
    }

    @Override
    public UUID keyringId() {
      return keyringId;
    }

    @Override
    public String keyringLabel() {
      return label;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public boolean isLoggedIn() {
      return loggedIn;
    }

    @Override
    public void login(Role role, String pw) throws TransportException {
      reachable();
      if (!password.equals(pw)) {
        throw new HsmException(ResultCode.CKR_PIN_INCORRECT, "wrong password");
      }
      loggedIn = true;
    }

    @Override
    public void logout() throws TransportException {
      reachable();
      loggedIn = false;
    }

    @Override
    public void changePassword(String oldPassword, String newPassword) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void initKrco(String pw) {
      throw new UnsupportedOperationException();
    }

    @Override
    public KeyringKeyPair generateKeyPair(KeyGenParams params, Attributes pub, Attributes priv)
        throws TransportException {
      ready();
      return new KeyringKeyPair(
          made(ObjectClass.PUBLIC_KEY, pub), made(ObjectClass.PRIVATE_KEY, priv));
    }

    @Override
    public KeyringObject generateKey(KeyGenParams params, Attributes template)
        throws TransportException {
      ready();
      return made(ObjectClass.SECRET_KEY, template);
    }

    @Override
    public KeyringObject createObject(Attributes template) throws TransportException {
      ready();
      return made(ObjectClass.DATA, template);
    }

    @Override
    public List<KeyringObject> findObjects(Attributes template) throws TransportException {
      ready();
      List<KeyringObject> out = new ArrayList<>();
      objects.forEach(
          (h, o) -> {
            if (o.attributes.matches(template)) {
              out.add(new KeyringObject(h, o.objectClass, o.attributes));
            }
          });
      return out;
    }

    @Override
    public List<KeyringObject> findObjectsOnPrimary(Attributes template) throws TransportException {
      return findObjects(template);
    }

    @Override
    public KeyringObject getObject(long handle) throws TransportException {
      ready();
      Stored s = get(handle);
      return new KeyringObject(handle, s.objectClass, s.attributes);
    }

    @Override
    public KeyringObject setAttributes(long handle, Attributes changes) throws TransportException {
      ready();
      Stored s = get(handle);
      Stored changed = new Stored(s.id, s.objectClass, s.attributes.merge(changes));
      objects.put(handle, changed);
      answered();
      return new KeyringObject(handle, s.objectClass, changed.attributes);
    }

    @Override
    public void destroyObject(long handle) throws TransportException {
      ready();
      get(handle);
      objects.remove(handle);
      answered();
    }

    @Override
    public byte[] sign(long key, Mechanism mechanism, MechanismParams params, byte[] data)
        throws TransportException {
      ready();
      get(key);
      duringSign.run();
      signs.incrementAndGet();
      return ("signed by " + label).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean verify(
        long key, Mechanism mechanism, MechanismParams params, byte[] data, byte[] signature) {
      throw new UnsupportedOperationException();
    }

    @Override
    public byte[] encrypt(long key, Mechanism mechanism, MechanismParams params, byte[] data) {
      throw new UnsupportedOperationException();
    }

    @Override
    public byte[] decrypt(long key, Mechanism mechanism, MechanismParams params, byte[] data) {
      throw new UnsupportedOperationException();
    }

    @Override
    public byte[] wrapKey(long wrappingKey, Mechanism mechanism, MechanismParams params, long key) {
      throw new UnsupportedOperationException();
    }

    @Override
    public KeyringObject unwrapKey(
        long unwrappingKey,
        Mechanism mechanism,
        MechanismParams params,
        byte[] wrapped,
        Attributes template) {
      throw new UnsupportedOperationException();
    }

    @Override
    public KeyringObject deriveKey(
        long baseKey, Mechanism mechanism, MechanismParams params, Attributes template) {
      throw new UnsupportedOperationException();
    }

    @Override
    public byte[] random(int length) throws TransportException {
      ready();
      return new byte[length];
    }

    @Override
    public CloningMessages.CloningOffer cloningOffer() throws TransportException {
      ready();
      return new CloningMessages.CloningOffer(
          serial(), keyringId, keyringId, "domain", new byte[0], Map.of(), Map.of());
    }

    @Override
    public List<CloningMessages.ClonableObject> clonableObjects() throws TransportException {
      ready();
      List<CloningMessages.ClonableObject> out = new ArrayList<>();
      objects.forEach(
          (h, o) ->
              out.add(
                  new CloningMessages.ClonableObject(
                      h, o.id, o.objectClass.name(), o.attributes.label().orElse(""))));
      return out;
    }

    @Override
    public byte[] cloneOut(long handle, CloningMessages.CloningOffer offer)
        throws TransportException {
      ready();
      String token = UUID.randomUUID().toString();
      VAULT.put(token, get(handle));
      return token.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public KeyringObject cloneIn(byte[] bundle) throws TransportException {
      ready();
      duringCloneIn.run();
      Stored s = VAULT.remove(new String(bundle, StandardCharsets.UTF_8));
      if (s == null) {
        throw new HsmException(ResultCode.CKR_DATA_INVALID, "not a clone");
      }
      for (Map.Entry<Long, Stored> e : objects.entrySet()) {
        if (e.getValue().id.equals(s.id)) {
          if (!e.getValue().attributes.equals(s.attributes)) {
            throw new HsmException(
                ResultCode.CKR_FUNCTION_FAILED,
                "object " + s.id + " is already on this keyring with other attributes");
          }
          return new KeyringObject(e.getKey(), s.objectClass, s.attributes);
        }
      }
      clonesIn.incrementAndGet();
      long h = put(s.id, s.objectClass, s.attributes);
      return new KeyringObject(h, s.objectClass, s.attributes);
    }

    @Override
    public KeyringOperation startOperation(
        KeyringOperation.Kind kind, long key, Mechanism mechanism, MechanismParams params) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void close() {
      loggedIn = false;
    }
  }

  /** The registered "clusters" of a test: member i is alone on cluster i. */
  public static ClusterClients clusters(List<FakeHaMember> members) {
    return new ClusterClients() {
      @Override
      public List<Integer> indexes() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
          out.add(i);
        }
        return out;
      }

      @Override
      public List<Slot> slots(int index) throws TransportException {
        members.get(index).reachable();
        return List.of(members.get(index).slot());
      }

      @Override
      public KeyringChannel openSession(int index, String keyringId) throws TransportException {
        return members.get(index).open();
      }
    };
  }

  /** A label attribute set, for templates. */
  public static Attributes labelled(String label) {
    return Attributes.builder().label(label).set(AttributeType.CKA_SIGN, true).build();
  }
}
