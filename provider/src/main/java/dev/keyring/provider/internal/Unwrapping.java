package dev.keyring.provider.internal;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.ObjectClass;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Locale;
import javax.crypto.Cipher;

/**
 * Templates for keys that enter a keyring through unwrap, derive or import, and for keys generated
 * with the default purpose. No template asks for CKA_WRAP: only AES keys generated for {@code
 * KEY_WRAP} wrap (the member refuses it on any other key).
 */
final class Unwrapping {
  private Unwrapping() {}

  /** The template of a key of JCA {@code algorithm} and Cipher key {@code type}. */
  static Attributes template(String algorithm, int type) throws NoSuchAlgorithmException {
    if (type == Cipher.SECRET_KEY) {
      return secretTemplate(algorithm);
    }
    if (type == Cipher.PRIVATE_KEY) {
      return privateTemplate(algorithm);
    }
    throw new NoSuchAlgorithmException(
        "only secret and private keys are unwrapped onto a keyring; public keys need no wrapping");
  }

  static Attributes secretTemplate(String algorithm) throws NoSuchAlgorithmException {
    String a = algorithm == null ? "" : algorithm.toUpperCase(Locale.ROOT);
    Attributes.Builder b = Attributes.builder().objectClass(ObjectClass.SECRET_KEY);
    if (a.equals("AES")) {
      return b.keyType(KeyType.AES)
          .flag(AttributeType.CKA_DECRYPT, true)
          .flag(AttributeType.CKA_UNWRAP, true)
          .build();
    }
    if (a.startsWith("HMAC") || a.equals("GENERICSECRET") || a.equals("GENERIC_SECRET")) {
      return b.keyType(KeyType.GENERIC_SECRET).flag(AttributeType.CKA_SIGN, true).build();
    }
    throw new NoSuchAlgorithmException(
        "a keyring holds AES and HMAC (generic secret) keys, not " + algorithm);
  }

  /** An AES key-wrapping key: wraps and unwraps, and so may not decrypt. */
  static Attributes keyWrapTemplate() {
    return Attributes.builder()
        .objectClass(ObjectClass.SECRET_KEY)
        .keyType(KeyType.AES)
        .flag(AttributeType.CKA_WRAP, true)
        .flag(AttributeType.CKA_UNWRAP, true)
        .flag(AttributeType.CKA_DECRYPT, false)
        .build();
  }

  static Attributes privateTemplate(String algorithm) throws NoSuchAlgorithmException {
    return privateTemplate(algorithm, false);
  }

  /**
   * The template of a private key; an EC key for key agreement gets no CKA_SIGN (an EC key on a
   * keyring signs or derives, not both).
   */
  static Attributes privateTemplate(String algorithm, boolean keyAgreement)
      throws NoSuchAlgorithmException {
    Attributes.Builder b =
        Attributes.builder()
            .objectClass(ObjectClass.PRIVATE_KEY)
            .flag(AttributeType.CKA_SIGN, !(keyAgreement && "EC".equals(algorithm)));
    switch (algorithm == null ? "" : algorithm) {
      case "RSA":
      case "RSASSA-PSS":
        return b.keyType(KeyType.RSA)
            .flag(AttributeType.CKA_DECRYPT, true)
            .flag(AttributeType.CKA_UNWRAP, true)
            .build();
      case "EC":
        return b.keyType(KeyType.EC).build();
      case "Ed25519":
      case "EdDSA":
        return b.keyType(KeyType.EC_EDWARDS).build();
      default:
        throw new NoSuchAlgorithmException(
            "a keyring holds RSA, EC and Ed25519 private keys, not " + algorithm);
    }
  }

  /**
   * Whether a certificate chain says its key is for key agreement only: the first certificate's key
   * usage has keyAgreement and not digitalSignature. A KeyStore import then makes an EC key that
   * derives (and does not sign).
   */
  static boolean forKeyAgreement(Certificate[] chain) {
    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
      return false;
    }
    boolean[] usage = ((X509Certificate) chain[0]).getKeyUsage();
    return usage != null && usage.length > 4 && usage[4] && !usage[0];
  }
}
