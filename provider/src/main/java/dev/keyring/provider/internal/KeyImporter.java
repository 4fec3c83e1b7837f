package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.SecretKeySpec;

/**
 * Brings a software key onto a keyring without its value ever crossing the network in the clear:
 *
 * <ol>
 *   <li>the keyring generates a P-256 key-agreement key pair (no CKA_SIGN), used once;
 *   <li>this side generates its own P-256 key pair and computes the ECDH secret with the keyring's
 *       public key; the keyring derives the same secret as an AES-256 unwrapping key from this
 *       side's public key;
 *   <li>the key (PKCS#8 for private keys, the raw value for secret keys) is wrapped here with
 *       AES-KWP under that secret and unwrapped on the keyring;
 *   <li>the transport key pair and the derived key are destroyed, the local secret wiped.
 * </ol>
 */
final class KeyImporter {
  private static final String TRANSIENT_LABEL = "keyring-import-transport";

  private KeyImporter() {}

  /** Imports {@code key} (a private or secret key with an encoding) with {@code template}. */
  static KeyringObject importKey(KeyringChannel s, Key key, Attributes template)
      throws TransportException, GeneralSecurityException {
    byte[] plain = key.getEncoded();
    if (plain == null) {
      throw new java.security.InvalidKeyException(
          "the " + key.getAlgorithm() + " key offers no encoding to import (getEncoded() is null)");
    }
    Attributes transientAttrs =
        Attributes.builder().label(TRANSIENT_LABEL).set(AttributeType.CKA_TOKEN, false).build();
    KeyringKeyPair transport =
        s.generateKeyPair(
            KeyGenParams.ec(Curve.P256),
            transientAttrs,
            transientAttrs.with(AttributeType.CKA_SIGN, false));
    KeyringObject kek = null;
    byte[] shared = null;
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair mine = g.generateKeyPair();
      KeyAgreement ka = KeyAgreement.getInstance("ECDH");
      ka.init(mine.getPrivate());
      PublicKey theirs = transport.publicKey().toPublicKey();
      ka.doPhase(theirs, true);
      shared = ka.generateSecret();
      kek =
          s.deriveKey(
              transport.privateKey().handle(),
              Mechanism.CKM_ECDH1_DERIVE,
              new MechanismParams.Ecdh(mine.getPublic().getEncoded()),
              Attributes.builder()
                  .objectClass(ObjectClass.SECRET_KEY)
                  .keyType(KeyType.AES)
                  .label(TRANSIENT_LABEL)
                  .set(AttributeType.CKA_TOKEN, false)
                  .flag(AttributeType.CKA_UNWRAP, true)
                  .build());
      Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding");
      kwp.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(shared, "AES"));
      byte[] wrapped = kwp.doFinal(plain);
      return s.unwrapKey(
          kek.handle(), Mechanism.CKM_AES_KEY_WRAP_KWP, MechanismParams.NONE, wrapped, template);
    } finally {
      Arrays.fill(plain, (byte) 0);
      if (shared != null) {
        Arrays.fill(shared, (byte) 0);
      }
      // transient objects: a failure is logged; one left behind holds no imported key material
      if (kek != null) {
        EntryRemoval.cleanUp(s, kek.handle(), "the import's transient unwrapping key");
      }
      EntryRemoval.cleanUp(s, transport.privateKey().handle(), "the import's transport key");
      EntryRemoval.cleanUp(s, transport.publicKey().handle(), "the import's transport public key");
    }
  }
}
