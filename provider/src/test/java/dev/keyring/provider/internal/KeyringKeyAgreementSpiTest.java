package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.TestCertificates;
import dev.keyring.provider.api.KeyringSecretKey;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KeyringKeyAgreementSpiTest {
  private static final byte[] PLAIN = "agreed".getBytes(StandardCharsets.UTF_8);

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);

  private KeyPair ecOnKeyring(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", fake.provider());
    g.initialize(new ECGenParameterSpec(curve));
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
