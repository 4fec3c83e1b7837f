package dev.keyring.provider.internal;

import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.provider.api.KeyringProviderException;
import java.security.GeneralSecurityException;
import java.security.SignatureException;

/** Turns cluster failures into the exceptions the JCA entry points declare. */
final class Errors {
  private Errors() {}

  /** A message naming the keyring, what was being done, and the cause with its code. */
  static String message(SlotSession slot, String what, Exception e) {
    String where = slot == null ? "" : " on " + slot;
    if (e instanceof HsmException) {
      return what + where + " was refused: " + e.getMessage();
    }
    if (e instanceof TransportException) {
      return what
          + where
          + " failed: the cluster could not be reached ("
          + ((TransportException) e).kind()
          + "): "
          + e.getMessage();
    }
    return what + where + " failed: " + e;
  }

  static SignatureException signature(SlotSession slot, String what, Exception e) {
    return new SignatureException(message(slot, what, e), e);
  }

  static KeyringProviderException provider(SlotSession slot, String what, Exception e) {
    return new KeyringProviderException(
        message(slot, what, e), e instanceof HsmException ? ((HsmException) e).code() : null, e);
  }

  static <T extends GeneralSecurityException> T withCause(T ex, Exception cause) {
    ex.initCause(cause);
    return ex;
  }

  static boolean isCode(Exception e, ResultCode... codes) {
    if (!(e instanceof HsmException)) {
      return false;
    }
    for (ResultCode c : codes) {
      if (((HsmException) e).code() == c) {
        return true;
      }
    }
    return false;
  }
}
