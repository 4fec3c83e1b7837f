package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.TestCertificates;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec.Purpose;
import dev.keyring.provider.api.KeyringSecretKey;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KeyringKeyAgreementSpiTest {
  private static final byte[] PLAIN = "agreed".getBytes(StandardCharsets.UTF_8);

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);

  /** An EC key pair for key agreement (a keyring EC key signs or derives, not both). */
  private KeyPair ecOnKeyring(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", fake.provider());
    g.initialize(
        KeyringKeyGenParameterSpec.builder().curve(curve).purpose(Purpose.KEY_AGREEMENT).build());
    return g.generateKeyPair();
  }

  @Test
  void ecdh_withAJdkPeer_derivesOnTheKeyringTheAesKeyThePeerComputes() throws Exception {
    KeyPair mine = ecOnKeyring("secp256r1");
    KeyPair peer = TestCertificates.softwareEcKey();
    KeyAgreement ka = KeyAgreement.getInstance("ECDH", fake.provider());
    ka.init(mine.getPrivate());
    ka.doPhase(peer.getPublic(), true);
    SecretKey derived = ka.generateSecret("AES");
    assertEquals(256, ((KeyringSecretKey) derived).bits());

    KeyAgreement jdk = KeyAgreement.getInstance("ECDH");
    jdk.init(peer.getPrivate());
    jdk.doPhase(mine.getPublic(), true);
    SecretKeySpec peersKey = new SecretKeySpec(jdk.generateSecret(), "AES");

    GCMParameterSpec iv = new GCMParameterSpec(128, new byte[12]);
    Cipher enc = Cipher.getInstance("AES/GCM/NoPadding", fake.provider());
    enc.init(Cipher.ENCRYPT_MODE, derived, iv);
    Cipher dec = Cipher.getInstance("AES/GCM/NoPadding");
    dec.init(Cipher.DECRYPT_MODE, peersKey, iv);
    assertArrayEquals(PLAIN, dec.doFinal(enc.doFinal(PLAIN)));
  }

  @Test
  void ecdh_withASigningKey_isRefusedAsAnInvalidKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", fake.provider());
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyAgreement ka = KeyAgreement.getInstance("ECDH", fake.provider());
    ka.init(g.generateKeyPair().getPrivate());
    ka.doPhase(TestCertificates.softwareEcKey().getPublic(), true);
    InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> ka.generateSecret("AES"));
    assertTrue(e.getMessage().contains("KEY_AGREEMENT"), e.getMessage());
  }

  /**
   * The extraction the key model closes: the caller knows the value of a key derived with a peer
   * key of its own, so that key must not wrap the keyring's other keys.
   */
  @Test
  void probe_aKeyDerivedWithTheCallersPeerKey_wrapsNothing() throws Exception {
    KeyGenerator aes = KeyGenerator.getInstance("AES", fake.provider());
    SecretKey secret = aes.generateKey();
    KeyAgreement ka = KeyAgreement.getInstance("ECDH", fake.provider());
    ka.init(ecOnKeyring("secp256r1").getPrivate());
    ka.doPhase(TestCertificates.softwareEcKey().getPublic(), true);
    SecretKey known = ka.generateSecret("AES");
    Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding", fake.provider());
    kwp.init(Cipher.WRAP_MODE, known);
    InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> kwp.wrap(secret));
    assertTrue(e.getMessage().contains("CKR_KEY_FUNCTION_NOT_PERMITTED"), e.getMessage());
    // nor under an RSA public key whose private half the caller holds
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", fake.provider());
    assertThrows(
        InvalidKeyException.class,
        () -> oaep.init(Cipher.WRAP_MODE, rsa.generateKeyPair().getPublic()));
  }

  @Test
  void ecdh_secretAsBytes_isRefused_itStaysOnTheKeyring() throws Exception {
    KeyAgreement ka = KeyAgreement.getInstance("ECDH", fake.provider());
    ka.init(ecOnKeyring("secp256r1").getPrivate());
    ka.doPhase(TestCertificates.softwareEcKey().getPublic(), true);
    assertThrows(IllegalStateException.class, ka::generateSecret);
  }

  @Test
  void ecdh_withAPeerOnAnotherCurve_isRefused() throws Exception {
    KeyAgreement ka = KeyAgreement.getInstance("ECDH", fake.provider());
    ka.init(ecOnKeyring("secp384r1").getPrivate());
    assertThrows(
        InvalidKeyException.class,
        () -> ka.doPhase(TestCertificates.softwareEcKey().getPublic(), true));
  }
}
