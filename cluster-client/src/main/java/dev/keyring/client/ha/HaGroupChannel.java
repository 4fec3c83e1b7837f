package dev.keyring.client.ha;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.client.config.HaLogSettings;
import dev.keyring.client.config.HaSettings;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CloningMessages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The virtual slot of an HA group: one {@link KeyringChannel} over the keyrings of its members,
 * which may be on different clusters. Each member is reached through its own cluster's recovering
 * channel; this class decides only which member serves a call.
 *
 * <ul>
 *   <li>Reads and single-part cryptography go round-robin to the active members in rotation ({@link
 *       HaRotation}); standby members serve only while every active member is down. A member whose
 *       cluster cannot be reached at all is taken out of rotation (marked down and "needs sync")
 *       and the call, which may be repeated, goes to the next member: the application sees no error
 *       while one member is alive. A member that does not hold the object yet is passed over the
 *       same way.
 *   <li>A multi-part operation stays on the member where it started.
 *   <li>Handles are virtual ({@link VirtualHandles}): taken from the object id, the same on every
 *       member; each member's own handles are looked up underneath.
 *   <li>Writes are made on one member and cloned to every other member in rotation before the call
 *       returns ({@link HaReplication}); members that are down get them when they come back ({@link
 *       HaRecovery}).
 *   <li>Administration through the virtual slot is refused, except a password change, which is made
 *       on every member.
 *   <li>Opened with its configuration file, the group follows the members added to it, removed from
 *       it or made standby there while it is logged in ({@link HaMembership}).
 * </ul>
 */
public final class HaGroupChannel implements KeyringChannel {
  private volatile HaGroupEntry group;
  private final UUID virtualId;

  /** The members now, in file order: a snapshot, replaced whole when the group changes. */
  private volatile List<HaMember> members;

  private final HaLocator locator;
  private final HaReplication replication;
  private final HaRecovery recovery;
  private final HaRotation rotation;
  private final HaMembership membership;
  private final HaLog log;
  private final Map<Long, UUID> objectIds = new ConcurrentHashMap<>();
  private volatile boolean open = true;
  private volatile Role role;
  private volatile String password;

  HaGroupChannel(HaGroupEntry group, HaSettings settings, HaLocator locator) {
    this(group, settings, new HaLog(HaLogSettings.NONE, group.label()), locator, null);
  }

  HaGroupChannel(HaGroupEntry group, HaSettings settings, HaLog log, HaLocator locator) {
    this(group, settings, log, locator, null);
  }

  /**
   * @param file the client configuration file to follow while logged in ({@link HaMembership}), or
   *     null to keep the members {@code group} names
   */
  HaGroupChannel(HaGroupEntry group, HaSettings settings, HaLog log, HaLocator locator, Path file) {
    this.group = group;
    this.virtualId =
        UUID.nameUUIDFromBytes(
            ("keyring ha group " + group.serialNumber()).getBytes(StandardCharsets.UTF_8));
    this.members = HaMember.of(group);
    this.log = log;
    this.rotation = new HaRotation(group.label(), this::members, log);
    this.locator = locator;
    this.replication = new HaReplication(this);
    this.recovery = new HaRecovery(this, settings);
    this.membership = new HaMembership(this, file);
  }

  /** Opens a session on every member that can be reached; the others start out down. */
  void connect() throws TransportException {
    TransportException last = null;
    for (HaMember m : members) {
      try {
        m.channel = locator.open(m);
      } catch (TransportException e) {
        markDown(m, e);
        last = e;
      }
    }
    if (members.stream().allMatch(m -> m.down)) {
      throw new TransportException(
          last.kind(), "no member of HA group '" + group.label() + "' can be reached", last);
    }
  }

  // ---- what the group is made of

  /** The group's label, serial number and member serials as the configuration file has them. */
  public HaGroupEntry group() {
    return group;
  }

  /** Each member's serial and state: "alive" or "down", standby or not, whether it needs sync. */
  public Map<String, String> memberStatus() {
    Map<String, String> out = new LinkedHashMap<>();
    for (HaMember m : members) {
      out.put(
          m.serial,
          (m.down ? "down" : "alive")
              + (m.standby ? ", standby" : "")
              + (m.needsSync ? ", needs sync" : ""));
    }
    return out;
  }

  /** How many operations each member (by serial) has served through this channel. */
  public Map<String, Long> operationsByMember() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (HaMember m : members) {
      out.put(m.serial, m.operations.get());
    }
    return out;
  }

  /**
   * Tries every member that is down now: reaches it, logs it in, gives it the objects it missed and
   * compares the versions of the objects it held already; returns the members that came back, the
   * objects cloned and the conflicts found (reported, never overwritten).
   */
  public HaRecoveryReport recover() {
    return recovery.recoverNow();
  }

  /**
   * Clones every object that a member that is up lacks onto it, and compares the versions of the
   * objects several members hold: those that differ are reported, never overwritten.
   */
  public HaSynchronization synchronize() throws TransportException {
    return replication.synchronizeAll();
  }

  /**
   * The serials of the members that are down, or lack an object another member that is up holds
   * (each member's objects are read again; standby members count like active ones).
   */
  public List<String> membersNeedingSync() throws TransportException {
    return replication.membersNeedingSync();
  }

  /** Each member's serial and the label of its keyring ("" while it was not found). */
  public Map<String, String> memberLabels() {
    Map<String, String> out = new LinkedHashMap<>();
    members.forEach(m -> out.put(m.serial, m.label));
    return out;
  }

  List<HaMember> members() {
    return members;
  }

  /** Replaces the members and the group's record (under the replication's write lock). */
  void changeMembers(HaGroupEntry entry, List<HaMember> now) {
    this.members = List.copyOf(now);
    this.group = entry;
  }

  HaMembership membership() {
    return membership;
  }

  HaLocator locator() {
    return locator;
  }

  HaReplication replication() {
    return replication;
  }

  HaLog log() {
    return log;
  }

  HaRotation rotations() {
    return rotation;
  }

  Role role() {
    return role;
  }

  String password() {
    return password;
  }

  // ---- routing

  /** A call on one member. */
  interface MemberCall<T> {
    T apply(HaMember m) throws TransportException;
  }

  /** The members that serve now, starting with the next in turn ({@link HaRotation}). */
  List<HaMember> rotation() {
    return rotation.rotation();
  }

  /** Runs a call that may be repeated on the members in rotation until one answers. */
  <T> T onAnyMember(String what, MemberCall<T> call) throws TransportException {
    return rotation.onAnyMember(what, call);
  }

  /** Takes a member out of rotation until it is recovered. */
  void markDown(HaMember m, Exception why) {
    rotation.markDown(m, why);
  }

  /**
   * The member's own handle of virtual handle {@code handle} for a call it serves: refused when it
   * lacks the object or holds it in another version than the reference member (passed over).
   */
  long handleOn(HaMember m, long handle) throws TransportException {
    long own = ownHandle(m, handle);
    m.requireSameVersion(objectIds.get(handle));
    return own;
  }

  /** The member's own handle of virtual handle {@code handle}, learning its objects when needed. */
  long ownHandle(HaMember m, long handle) throws TransportException {
    UUID id = objectIds.get(handle);
    if (id == null) {
      refresh(m);
      id = objectIds.get(handle);
    }
    if (id == null) {
      throw new HsmException(
          ResultCode.CKR_OBJECT_HANDLE_INVALID,
          "HA group '" + group.label() + "' has no object with handle " + handle);
    }
    Long own = m.handles.get(id);
    if (own == null) {
      refresh(m);
      own = m.handles.get(id);
    }
    if (own == null) {
      throw new HsmException(
          ResultCode.CKR_OBJECT_HANDLE_INVALID,
          "member " + m.serial + " does not hold object " + id + " yet: it needs synchronizing");
    }
    return own;
  }

  /** The object id of virtual handle {@code handle}, or null. */
  UUID objectId(long handle) {
    return objectIds.get(handle);
  }

  /** Reads the member's objects and their ids. */
  void refresh(HaMember m) throws TransportException {
    List<CloningMessages.ClonableObject> list = m.channel.clonableObjects();
    m.handles.clear();
    m.ids.clear();
    for (CloningMessages.ClonableObject o : list) {
      if (HaMemberKey.isMarker(o)) {
        continue; // each member keeps its own group member key
      }
      m.learn(o.objectId(), o.handle());
      objectIds.put(VirtualHandles.of(o.objectId()), o.objectId());
    }
  }

  /** {@code o} (as member {@code m} answered it) with its virtual handle. */
  KeyringObject virtual(HaMember m, KeyringObject o) throws TransportException {
    UUID id = m.ids.get(o.handle());
    if (id == null) {
      refresh(m);
      id = m.ids.get(o.handle());
    }
    if (id == null) {
      String what = "member " + m.serial + " answered an object it does not list";
      throw new HsmException(ResultCode.CKR_GENERAL_ERROR, what + " (handle " + o.handle() + ")");
    }
    objectIds.put(VirtualHandles.of(id), id);
    return new KeyringObject(VirtualHandles.of(id), o.objectClass(), o.attributes());
  }

  /** A find's answer with virtual handles; a member holding conflicting versions is passed over. */
  List<KeyringObject> virtual(HaMember m, List<KeyringObject> list) throws TransportException {
    m.requireNoConflicts();
    List<KeyringObject> out = new ArrayList<>(list.size());
    for (KeyringObject o : list) {
      if (HaMemberKey.isMarker(o.attributes().label().orElse(null))) {
        continue;
      }
      out.add(virtual(m, o));
    }
    return out;
  }

  // ---- KeyringChannel: identity and roles

  @Override
  public UUID keyringId() {
    return virtualId;
  }

  @Override
  public String keyringLabel() {
    return group.label();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public boolean isLoggedIn() {
    return role != null;
  }

  /**
   * Logs in on every member in rotation; a member that cannot be reached is marked down and logged
   * in when it is recovered. A refusal by any member (a wrong password) is thrown.
   */
  @Override
  public void login(Role role, String password) throws TransportException {
    TransportException unreachable = null;
    boolean any = false;
    try (HeldInterrupt interrupt = new HeldInterrupt()) {
      for (HaMember m : members) {
        if (m.down || m.channel == null) {
          continue;
        }
        try {
          m.channel.login(role, password);
          any = true;
        } catch (TransportException e) {
          if (interrupt.stops(e, any)) {
            throw e;
          }
          markDown(m, e);
          unreachable = e;
        }
      }
    }
    if (!any) {
      throw new TransportException(
          unreachable == null ? TransportException.Kind.CONNECT : unreachable.kind(),
          "no member of HA group '" + group.label() + "' could be logged in",
          unreachable);
    }
    this.role = role;
    this.password = password;
    recovery.start();
    membership.start();
  }

  @Override
  public void logout() throws TransportException {
    role = null;
    password = null;
    membership.stop();
    recovery.stop();
    HsmException refused = null;
    try (HeldInterrupt interrupt = new HeldInterrupt()) {
      for (HaMember m : members) {
        if (m.down || m.channel == null) {
          continue;
        }
        try {
          m.channel.logout();
        } catch (TransportException e) {
          interrupt.note(e);
          markDown(m, e);
        } catch (HsmException e) {
          refused = e;
        }
      }
    }
    if (refused != null) {
      throw refused;
    }
  }

  /** The one administrative task the virtual slot allows: made on every member in rotation. */
  @Override
  public void changePassword(String oldPassword, String newPassword) throws TransportException {
    replication.onEveryMember(
        "password change",
        m -> {
          m.channel.changePassword(oldPassword, newPassword);
          return null;
        });
    if (password != null) {
      password = newPassword;
    }
  }

  @Override
  public void initKrco(String password) {
    throw new HsmException(
        ResultCode.CKR_FUNCTION_REJECTED,
        "administration through HA group '"
            + group.label()
            + "' is refused (only a password change is made on every member): initialize the"
            + " crypto officer on each member slot");
  }

  // ---- objects

  @Override
  public KeyringKeyPair generateKeyPair(
      KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate)
      throws TransportException {
    return replication.generateKeyPair(params, publicTemplate, privateTemplate);
  }

  @Override
  public KeyringObject generateKey(KeyGenParams params, Attributes template)
      throws TransportException {
    return replication.created("generate key", m -> m.channel.generateKey(params, template));
  }

  @Override
  public KeyringObject createObject(Attributes template) throws TransportException {
    return replication.created("create object", m -> m.channel.createObject(template));
  }

  @Override
  public List<KeyringObject> findObjects(Attributes template) throws TransportException {
    return onAnyMember("find objects", m -> virtual(m, m.channel.findObjects(template)));
  }

  @Override
  public List<KeyringObject> findObjectsOnPrimary(Attributes template) throws TransportException {
    return onAnyMember("find objects", m -> virtual(m, m.channel.findObjectsOnPrimary(template)));
  }

  @Override
  public KeyringObject getObject(long handle) throws TransportException {
    return onAnyMember("get object", m -> virtual(m, m.channel.getObject(handleOn(m, handle))));
  }

  @Override
  public KeyringObject setAttributes(long handle, Attributes changes) throws TransportException {
    return replication.setAttributes(handle, changes);
  }

  @Override
  public void destroyObject(long handle) throws TransportException {
    replication.destroy(handle);
  }

  // ---- cryptography: single-part calls go to any member in rotation

  @Override
  public byte[] sign(long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return onAnyMember("sign", m -> m.channel.sign(handleOn(m, key), mechanism, params, data));
  }

  @Override
  public boolean verify(
      long key, Mechanism mechanism, MechanismParams params, byte[] data, byte[] signature)
      throws TransportException {
    return onAnyMember(
        "verify", m -> m.channel.verify(handleOn(m, key), mechanism, params, data, signature));
  }

  @Override
  public byte[] encrypt(long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return onAnyMember(
        "encrypt", m -> m.channel.encrypt(handleOn(m, key), mechanism, params, data));
  }

  @Override
  public byte[] decrypt(long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return onAnyMember(
        "decrypt", m -> m.channel.decrypt(handleOn(m, key), mechanism, params, data));
  }

  @Override
  public byte[] wrapKey(long wrappingKey, Mechanism mechanism, MechanismParams params, long key)
      throws TransportException {
    return onAnyMember(
        "wrap",
        m -> m.channel.wrapKey(handleOn(m, wrappingKey), mechanism, params, handleOn(m, key)));
  }

  @Override
  public KeyringObject unwrapKey(
      long unwrappingKey,
      Mechanism mechanism,
      MechanismParams params,
      byte[] wrapped,
      Attributes template)
      throws TransportException {
    return replication.created(
        "unwrap",
        m -> m.channel.unwrapKey(handleOn(m, unwrappingKey), mechanism, params, wrapped, template));
  }

  @Override
  public KeyringObject deriveKey(
      long baseKey, Mechanism mechanism, MechanismParams params, Attributes template)
      throws TransportException {
    return replication.created(
        "derive", m -> m.channel.deriveKey(handleOn(m, baseKey), mechanism, params, template));
  }

  @Override
  public byte[] random(int length) throws TransportException {
    return onAnyMember("random", m -> m.channel.random(length));
  }

  /** Starts on a member in rotation; every later part goes to that member only. */
  @Override
  public KeyringOperation startOperation(
      KeyringOperation.Kind kind, long key, Mechanism mechanism, MechanismParams params)
      throws TransportException {
    return onAnyMember(
        "start operation",
        m -> m.channel.startOperation(kind, handleOn(m, key), mechanism, params));
  }

  // ---- cloning through the virtual slot: refused, the group clones by itself

  @Override
  public CloningMessages.CloningOffer cloningOffer() {
    throw notThroughGroup("cloning");
  }

  @Override
  public List<CloningMessages.ClonableObject> clonableObjects() {
    throw notThroughGroup("cloning");
  }

  @Override
  public byte[] cloneOut(long handle, CloningMessages.CloningOffer offer) {
    throw notThroughGroup("cloning");
  }

  @Override
  public KeyringObject cloneIn(byte[] bundle) {
    throw notThroughGroup("cloning");
  }

  private HsmException notThroughGroup(String what) {
    return new HsmException(
        ResultCode.CKR_FUNCTION_REJECTED,
        what + " is done by HA group '" + group.label() + "' itself, not through its virtual slot");
  }

  @Override
  public void close() {
    open = false;
    role = null;
    password = null;
    membership.stop();
    recovery.stop();
    List<HaMember> all = new ArrayList<>(members);
    all.addAll(membership.closeRetired());
    for (HaMember m : all) {
      KeyringChannel c = m.channel;
      if (c != null) {
        try {
          c.close();
        } catch (TransportException | RuntimeException e) {
          // the member is gone: its sessions go with it
        }
      }
    }
  }

  @Override
  public String toString() {
    return "HaGroupChannel[" + group.label() + " " + memberStatus() + "]";
  }
}
