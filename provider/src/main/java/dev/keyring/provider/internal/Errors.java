package dev.keyring.provider.internal;

import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.provider.api.KeyringProviderException;
import java.security.GeneralSecurityException;
import java.security.SignatureException;
import java.security.UnrecoverableKeyException;
import javax.crypto.AEADBadTagException;
import javax.crypto.BadPaddingException;
import javax.crypto.IllegalBlockSizeException;

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
      return what + where + " failed: " + reason((TransportException) e) + ": " + e.getMessage();
    }
    return what + where + " failed: " + e;
  }

  /**
   * Why a call did not reach its end, with its kind: the cluster could not be reached, or (for a
   * failure on the caller's side) the calling thread was interrupted, the client was busy, or the
   * files of the client's TLS identity named in the configuration could not be used.
   */
  static String reason(TransportException e) {
    switch (e.kind()) {
      case INTERRUPTED:
        return "the calling thread was interrupted (INTERRUPTED)";
      case BUSY:
        return "this client had as many calls under way to the member as it allows (BUSY)";
      case CONFIGURATION:
        return "the client's certificate, key or CA file cannot be used (CONFIGURATION)";
      default:
        return "the cluster could not be reached (" + e.kind() + ")";
    }
  }

  static SignatureException signature(SlotSession slot, String what, Exception e) {
    return new SignatureException(message(slot, what, e), e);
  }

  static KeyringProviderException provider(SlotSession slot, String what, Exception e) {
    return new KeyringProviderException(
        message(slot, what, e), e instanceof HsmException ? ((HsmException) e).code() : null, e);
  }

  /**
   * A failure at a Cipher's {@code doFinal}. The keyring's one answer to a ciphertext that does not
   * open (CKR_ENCRYPTED_DATA_INVALID, CKR_ENCRYPTED_DATA_LEN_RANGE) is a {@link
   * BadPaddingException} ({@link AEADBadTagException} for GCM) saying "decryption failed", the same
   * for every such ciphertext (the member's code is in the cause); any other refusal (the data, the
   * key, the session) an {@link IllegalBlockSizeException} with the code and the member's message.
   * The cluster not reached stays a {@link KeyringProviderException}: both exceptions {@code
   * doFinal} declares say the input is wrong, and a network failure says nothing about the input.
   */
  static KeyringProviderException cipher(
      SlotSession slot, String what, boolean decrypting, boolean aead, Exception e)
      throws IllegalBlockSizeException, BadPaddingException {
    if (decrypting
        && isCode(
            e, ResultCode.CKR_ENCRYPTED_DATA_INVALID, ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE)) {
      String m = "decryption failed";
      throw withCause(aead ? new AEADBadTagException(m) : new BadPaddingException(m), e);
    }
    if (e instanceof HsmException) {
      throw withCause(new IllegalBlockSizeException(message(slot, what, e)), e);
    }
    return provider(slot, what, e);
  }

  /**
   * A key that could not be read from the keyring for {@code KeyStore.getKey}: a refusal or the
   * cluster not reached, as SunPKCS11's KeyStore reports it.
   */
  static UnrecoverableKeyException unrecoverable(SlotSession slot, String what, Exception e) {
    return withCause(new UnrecoverableKeyException(message(slot, what, e)), e);
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
