package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.TestCertificates;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KeyringKeyFactorySpiTest {
  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);

  private KeyFactory ec() throws Exception {
    return KeyFactory.getInstance("EC", fake.provider());
  }

  @Test
  void keyringPrivateKey_givesTheSpecOfItsPublicKey() throws Exception {
    KeyPair kp = KeyPairGenerator.getInstance("EC", fake.provider()).generateKeyPair();
    ECPublicKeySpec spec = ec().getKeySpec(kp.getPrivate(), ECPublicKeySpec.class);
    assertEquals(((ECPublicKey) kp.getPublic()).getW(), spec.getW());
    assertEquals(kp.getPublic(), ec().generatePublic(spec));
  }

  @Test
  void keyringPrivateKey_givesNoPrivateSpec() throws Exception {
    KeyPair kp = KeyPairGenerator.getInstance("EC", fake.provider()).generateKeyPair();
    assertThrows(
        InvalidKeySpecException.class,
        () -> ec().getKeySpec(kp.getPrivate(), PKCS8EncodedKeySpec.class));
  }

  @Test
  void privateKeys_areNotMadeFromSpecs() throws Exception {
    KeyPair soft = TestCertificates.softwareEcKey();
    assertThrows(
        InvalidKeySpecException.class,
        () -> ec().generatePrivate(new PKCS8EncodedKeySpec(soft.getPrivate().getEncoded())));
    assertThrows(InvalidKeyException.class, () -> ec().translateKey(soft.getPrivate()));
  }

  @Test
  void publicKeys_areTheJdksOwn() throws Exception {
    KeyPair soft = TestCertificates.softwareEcKey();
    assertEquals(
        soft.getPublic(),
        ec().generatePublic(new X509EncodedKeySpec(soft.getPublic().getEncoded())));
    assertEquals(soft.getPublic(), ec().translateKey(soft.getPublic()));
    KeyPair kp = KeyPairGenerator.getInstance("EC", fake.provider()).generateKeyPair();
    assertSame(kp.getPrivate(), ec().translateKey(kp.getPrivate()));
  }
}
