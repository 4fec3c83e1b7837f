package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.ha.HaAccessIds;
import dev.keyring.client.ha.HaGroupChannel;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringSerial;
import dev.keyring.protocol.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The state of one configured provider: its settings, where its keyring channels come from (a
 * {@link ChannelOpener}: the clients of the registered clusters, opened on first use), the keyrings
 * it is logged in to, and its operation counters.
 */
public final class ProviderContext implements AutoCloseable {
  private final ProviderSettings settings;
  private final OperationCounters counters = new OperationCounters();
  private final ChannelOpener channels;
  private final Map<String, SlotSession> slots = new ConcurrentHashMap<>();
  // a member of an HA group takes one access ID per client: its slot or its group's, not both
  private final HaAccessIds accessIds = new HaAccessIds();
  private final Map<SlotSession, HaAccessIds.Claim> claims = new ConcurrentHashMap<>();
  private volatile SlotSession active;
  private Thread exitHook;

  /** A context whose channels go to the clusters {@code settings} registers. */
  public ProviderContext(ProviderSettings settings) {
    this(settings, new RegisteredClusters(settings));
  }

  /** A context whose channels come from {@code channels}. */
  public ProviderContext(ProviderSettings settings, ChannelOpener channels) {
    this.settings = settings;
    this.channels = channels;
  }

  public ProviderSettings settings() {
    return settings;
  }

  public OperationCounters counters() {
    return counters;
  }

  /**
   * Logs in as the KRCO of keyring {@code slot} (label or UUID) of cluster {@code index}; an
   * existing login with the same password is reused. The keyring becomes the one key generators
   * use.
   *
   * @throws HsmException as the member refused (CKR_PIN_INCORRECT, CKR_PIN_LOCKED,
   *     CKR_SLOT_ID_INVALID, ...), or CKR_ACCESS_ID_ALREADY_EXISTS for a member slot of an HA group
   *     this provider uses (or the group of a member slot it has open)
   */
  public SlotSession login(int index, String slot, char[] password) throws TransportException {
    String key = index + "/" + slot;
    SlotSession existing = slots.get(key);
    if (existing != null && existing.passwordMatches(password)) {
      active = existing;
      return existing;
    }
    KeyringChannel s = channels.open(index, slot);
    HaAccessIds.Claim claim = null;
    try {
      claim = claim(s, slot);
      s.login(Role.KRCO, new String(password));
    } catch (TransportException | RuntimeException e) {
      if (claim != null) {
        claim.close();
      }
      try {
        s.close();
      } catch (TransportException | RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    SlotSession fresh = new SlotSession(index, s, password, counters);
    claims.put(fresh, claim);
    logOutAtExit();
    SlotSession old = slots.put(key, fresh);
    if (old != null) {
      release(old);
    }
    // the same keyring may be named by label and by UUID: keep one entry per spelling
    active = fresh;
    return fresh;
  }

  /** An HA group's slot claims its members' access IDs; any other slot its own. */
  private HaAccessIds.Claim claim(KeyringChannel s, String slot) {
    if (s instanceof HaGroupChannel) {
      HaGroupChannel g = (HaGroupChannel) s;
      return accessIds.group(g.group().label(), () -> g.group().memberSerials());
    }
    return accessIds.direct(KeyringSerial.of(s.keyringId()), slot);
  }

  private void release(SlotSession s) {
    HaAccessIds.Claim c = claims.remove(s);
    if (c != null) {
      c.close();
    }
    s.close();
  }

  /**
   * Logs out of every session on {@code slot} (as it was loaded, or the keyring's label, UUID or
   * serial number) and closes them; returns whether there was one.
   */
  public boolean logout(String slot) {
    boolean any = false;
    for (Map.Entry<String, SlotSession> e : slots.entrySet()) {
      SlotSession s = e.getValue();
      boolean named =
          e.getKey().endsWith("/" + slot)
              || s.label().equals(slot)
              || s.keyringId().toString().equalsIgnoreCase(slot)
              || KeyringSerial.of(s.keyringId()).equals(slot);
      if (named && slots.remove(e.getKey(), s)) {
        if (active == s) {
          active = null;
        }
        release(s);
        any = true;
      }
    }
    return any;
  }

  /** The keyring key generators use: the one most recently loaded as a KeyStore. */
  public SlotSession activeSlot() {
    SlotSession s = active;
    if (s == null) {
      throw new IllegalStateException(
          "no keyring is logged in on this Keyring provider: load a KeyStore first"
              + " (KeyStore.getInstance(\"Keyring\").load(slotProperties, krcoPassword)), or name"
              + " the keyring in a KeyringKeyGenParameterSpec");
    }
    return s;
  }

  /** A logged-in session on keyring {@code idOrLabel}, if this provider has one. */
  public SlotSession loggedIn(String idOrLabel) {
    for (SlotSession s : slots.values()) {
      if (s.label().equals(idOrLabel) || s.keyringId().toString().equalsIgnoreCase(idOrLabel)) {
        return s;
      }
    }
    throw new IllegalStateException(
        "this Keyring provider is not logged in to keyring '"
            + idOrLabel
            + "': load a KeyStore for it first");
  }

  /** The logged-in session on the keyring with this id, or null. */
  SlotSession byKeyringId(UUID id) {
    for (SlotSession s : slots.values()) {
      if (s.keyringId().equals(id)) {
        return s;
      }
    }
    return null;
  }

  /**
   * Once a keyring is logged in, the JVM's exit logs it out, so that the member does not keep the
   * sessions of a gone process until their idle timeout (a client may hold 256).
   */
  private synchronized void logOutAtExit() {
    if (exitHook != null) {
      return;
    }
    exitHook = new Thread(this::closeSessions, "keyring-provider-logout");
    try {
      Runtime.getRuntime().addShutdownHook(exitHook);
    } catch (IllegalStateException shuttingDown) {
      // the JVM is already exiting
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      if (exitHook != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(exitHook);
        } catch (IllegalStateException shuttingDown) {
          // called from the hook itself, or while exiting
        }
        exitHook = null;
      }
    }
    closeSessions();
  }

  private void closeSessions() {
    List<SlotSession> all = new ArrayList<>(slots.values());
    slots.clear();
    active = null;
    for (SlotSession s : all) {
      release(s);
    }
    channels.close();
  }
}
