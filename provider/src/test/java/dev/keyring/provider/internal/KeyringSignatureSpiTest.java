package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.TestCertificates;
import dev.keyring.provider.api.ProviderOperation;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyringSignatureSpiTest {
  private static final byte[] MESSAGE = "a message to sign".getBytes(StandardCharsets.UTF_8);

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(2);

  private KeyPair onKeyring(String algorithm, AlgorithmParameterSpec spec) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm, fake.provider());
    if (spec != null) {
      g.initialize(spec);
    }
    return g.generateKeyPair();
  }

  private byte[] signOnKeyring(String algorithm, KeyPair kp, byte[] data) throws Exception {
    Signature s = Signature.getInstance(algorithm, fake.provider());
    s.initSign(kp.getPrivate());
    s.update(data);
    return s.sign();
  }

  private static boolean verifyWithJdk(String algorithm, KeyPair kp, byte[] data, byte[] sig)
      throws Exception {
    Signature s = Signature.getInstance(algorithm);
    s.initVerify(kp.getPublic());
    s.update(data);
    return s.verify(sig);
  }

  @ParameterizedTest
  @CsvSource({
    "EC, secp256r1, SHA256withECDSA",
    "EC, secp384r1, SHA384withECDSA",
    "EC, secp521r1, SHA512withECDSA",
    "Ed25519, , Ed25519"
  })
  void signature_madeOnTheKeyring_verifiesWithTheJdk(String keys, String curve, String algorithm)
      throws Exception {
    KeyPair kp = onKeyring(keys, curve == null ? null : new ECGenParameterSpec(curve));
    byte[] sig = signOnKeyring(algorithm, kp, MESSAGE);
    assertTrue(verifyWithJdk(algorithm, kp, MESSAGE, sig));
    assertEquals(1, fake.provider().operationCount(ProviderOperation.SIGN));
  }

  @Test
  void rsaPkcs1Signature_madeOnTheKeyring_verifiesWithTheJdk() throws Exception {
    KeyPair kp = onKeyring("RSA", null);
    assertTrue(
        verifyWithJdk("SHA256withRSA", kp, MESSAGE, signOnKeyring("SHA256withRSA", kp, MESSAGE)));
  }

  @Test
  void rsaPssSignature_withTheParametersTlsSets_verifiesWithTheJdk() throws Exception {
    KeyPair kp = onKeyring("RSA", null);
    PSSParameterSpec pss = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);
    Signature s = Signature.getInstance("RSASSA-PSS", fake.provider());
    s.setParameter(pss); // JSSE sets the parameters before initSign
    s.initSign(kp.getPrivate());
    s.update(MESSAGE);
    assertTrue(verifyPssWithJdk(pss, kp, s.sign()));
    PSSParameterSpec sha384 =
        new PSSParameterSpec("SHA-384", "MGF1", MGF1ParameterSpec.SHA384, 48, 1);
    assertTrue(verifyPssWithJdk(sha384, kp, signOnKeyring("SHA384withRSASSA-PSS", kp, MESSAGE)));
  }

  private static boolean verifyPssWithJdk(PSSParameterSpec pss, KeyPair kp, byte[] sig)
      throws Exception {
    Signature jdk = Signature.getInstance("RSASSA-PSS");
    jdk.setParameter(pss);
    jdk.initVerify(kp.getPublic());
    jdk.update(MESSAGE);
    return jdk.verify(sig);
  }

  @Test
  void verification_onTheKeyring_withAJdkPublicKey_acceptsItsSignature_andRejectsAnother()
      throws Exception {
    KeyPair soft = TestCertificates.softwareEcKey();
    Signature jdk = Signature.getInstance("SHA256withECDSA");
    jdk.initSign(soft.getPrivate());
    jdk.update(MESSAGE);
    byte[] sig = jdk.sign();
    Signature v = Signature.getInstance("SHA256withECDSA", fake.provider());
    v.initVerify(soft.getPublic());
    v.update(MESSAGE);
    assertTrue(v.verify(sig));
    v.update("another message".getBytes(StandardCharsets.UTF_8));
    assertFalse(v.verify(sig));
    // the public key was a session object for the one verification
    assertTrue(fake.cluster().objects(FakeClusterProvider.KEYRING).isEmpty());
    assertEquals(2, fake.provider().operationCount(ProviderOperation.VERIFY));
  }

  @Test
  void messageLongerThanOneMebibyte_isSignedAsAMultiPartOperation() throws Exception {
    KeyPair kp = onKeyring("Ed25519", null);
    byte[] big = new byte[KeyringSignatureSpi.STREAM_THRESHOLD + 100];
    Arrays.fill(big, (byte) 7);
    byte[] sig = signOnKeyring("Ed25519", kp, big);
    assertTrue(verifyWithJdk("Ed25519", kp, big, sig));
    assertEquals(1, fake.cluster().member(0).calls("startOperation"));
    assertEquals(0, fake.cluster().member(0).calls("sign"));
  }

  @Test
  void initSign_withASoftwareKey_isRefused_namingWhatToDo() throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA", fake.provider());
    InvalidKeyException e =
        assertThrows(
            InvalidKeyException.class,
            () -> s.initSign(TestCertificates.softwareEcKey().getPrivate()));
    assertTrue(e.getMessage().contains("keys on a keyring only"), e.getMessage());
  }

  @Test
  void sign_withAKeyOfAnotherAlgorithm_isRefused() throws Exception {
    KeyPair ec = onKeyring("EC", null);
    Signature s = Signature.getInstance("SHA256withRSA", fake.provider());
    assertThrows(InvalidKeyException.class, () -> s.initSign(ec.getPrivate()));
  }

  @Test
  void sign_withADestroyedKey_failsWithTheMembersCode() throws Exception {
    KeyPair kp = onKeyring("EC", null);
    long handle = ((dev.keyring.provider.api.KeyringKey) kp.getPrivate()).objectHandle();
    Signature s = Signature.getInstance("SHA256withECDSA", fake.provider());
    s.initSign(kp.getPrivate());
    s.update(MESSAGE);
    try (var ch = fake.cluster().openChannel(FakeClusterProvider.KEYRING)) {
      ch.login(dev.keyring.protocol.Role.KRCO, FakeClusterProvider.PASSWORD);
      ch.destroyObject(handle); // another client of the keyring destroys the key
    }
    SignatureException e = assertThrows(SignatureException.class, s::sign);
    assertTrue(e.getMessage().contains("CKR_OBJECT_HANDLE_INVALID"), e.getMessage());
  }
}
