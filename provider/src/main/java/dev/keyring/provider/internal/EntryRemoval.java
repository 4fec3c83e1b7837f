package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.lang.System.Logger.Level;
import java.security.KeyStoreException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Removing the objects of a KeyStore entry, which is never reported done while one of them is left,
 * and the best-effort cleanup of objects made for one operation, which is logged when it fails.
 *
 * <p>The objects to remove come from a lookup on the primary member, whose position every later
 * call carries (read-your-writes), so a member that says an object does not exist
 * (CKR_OBJECT_HANDLE_INVALID) means it is gone: that counts as removed. Any other refusal, or a
 * failure on the wire, leaves the object (or its removal in doubt).
 */
final class EntryRemoval {
  private static final System.Logger LOG = System.getLogger(EntryRemoval.class.getName());

  private EntryRemoval() {}

  /** An object of an entry that is still on the keyring: its destroy failed, or was not tried. */
  record Left(KeyringObject object, Exception cause) {
    String describe() {
      String what =
          object.objectClass().name().toLowerCase(Locale.ROOT).replace('_', ' ')
              + " (handle "
              + object.handle()
              + ")";
      if (cause == null) {
        return what + ": not tried";
      }
      if (cause instanceof TransportException) {
        return what
            + ": may be left, "
            + Errors.reason((TransportException) cause)
            + ": "
            + cause.getMessage();
      }
      return what + ": " + cause.getMessage();
    }
  }

  /** Destroys {@code objects} in order; returns those left. An object already gone is removed. */
  static List<Left> destroy(KeyringChannel h, List<KeyringObject> objects) {
    List<Left> left = new ArrayList<>();
    for (KeyringObject o : objects) {
      try {
        h.destroyObject(o.handle());
      } catch (HsmException e) {
        if (e.code() != ResultCode.CKR_OBJECT_HANDLE_INVALID) {
          left.add(new Left(o, e));
        }
      } catch (TransportException e) {
        left.add(new Left(o, e));
      }
    }
    return left;
  }

  /**
   * Destroys an entry's key, then (only once the key is gone) its other objects; returns what is
   * left. When the key stays, nothing else is tried: the entry stays whole.
   */
  static List<Left> destroyEntry(KeyringChannel h, KeyringObject key, List<KeyringObject> rest) {
    if (key != null) {
      List<Left> left = destroy(h, List.of(key));
      if (!left.isEmpty()) {
        List<Left> all = new ArrayList<>(left);
        for (KeyringObject o : rest) {
          all.add(new Left(o, null));
        }
        return all;
      }
    }
    return destroy(h, rest);
  }

  /**
   * The failure of {@code what}, naming every object left; the first cause is the exception's, the
   * others are attached to it.
   */
  static KeyStoreException failure(String what, List<Left> left, String advice) {
    StringBuilder msg = new StringBuilder(what).append(": ");
    msg.append(left.size()).append(left.size() == 1 ? " object is" : " objects are");
    msg.append(" still on the keyring: ");
    for (int i = 0; i < left.size(); i++) {
      msg.append(i == 0 ? "" : "; ").append(left.get(i).describe());
    }
    msg.append(". ").append(advice);
    KeyStoreException e = new KeyStoreException(msg.toString());
    for (Left l : left) {
      if (l.cause() == null) {
        continue;
      }
      if (e.getCause() == null) {
        e.initCause(l.cause());
      } else {
        e.addSuppressed(l.cause());
      }
    }
    return e;
  }

  /**
   * Destroys an object made for one operation (a session object, gone with the session anyway); a
   * failure is logged, not thrown, so that it never hides the operation's own outcome.
   */
  static void cleanUp(KeyringChannel h, long handle, String what) {
    try {
      h.destroyObject(handle);
    } catch (HsmException e) {
      if (e.code() != ResultCode.CKR_OBJECT_HANDLE_INVALID) {
        LOG.log(Level.WARNING, "could not destroy " + what + " " + handle + ": " + e.getMessage());
      }
    } catch (TransportException | RuntimeException e) {
      LOG.log(
          Level.WARNING,
          "could not destroy "
              + what
              + " "
              + handle
              + " (it goes with the session): "
              + e.getMessage());
    }
  }
}
