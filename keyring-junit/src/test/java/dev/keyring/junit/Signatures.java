package dev.keyring.junit;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;

/** Signs on the keyring (the key picks the provider) and checks the signature with SunEC. */
final class Signatures {
  private Signatures() {}

  /** The SHA256withECDSA signature of {@code message} by {@code pair}'s private key. */
  static byte[] sign(KeyPair pair, String message) throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(pair.getPrivate());
    s.update(message.getBytes(StandardCharsets.UTF_8));
    return s.sign();
  }

  /** Whether SunEC accepts {@code signature} of {@code message} under {@code pair}'s public key. */
  static boolean verifies(KeyPair pair, String message, byte[] signature) throws Exception {
    Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
    v.initVerify(pair.getPublic());
    v.update(message.getBytes(StandardCharsets.UTF_8));
    return v.verify(signature);
  }
}
