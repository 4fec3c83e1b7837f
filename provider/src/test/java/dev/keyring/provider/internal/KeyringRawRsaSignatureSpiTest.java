package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.api.ProviderOperation;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.SignatureException;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Raw RSA PKCS#1 v1.5 on the keyring (CKM_RSA_PKCS): NONEwithRSA over a caller's DigestInfo, the
 * private-key "encryption" a TLS 1.2 stack falls back to, and SHA-224/SHA-1 with the DigestInfo
 * built here; every result is checked by the JDK's SunRsaSign and SunJCE.
 */
class KeyringRawRsaSignatureSpiTest {
  private static final byte[] MESSAGE = "a message to sign".getBytes(StandardCharsets.UTF_8);
  private static final byte[] SHA256_PREFIX =
      HexFormat.of().parseHex("3031300d060960864801650304020105000420");

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);
  private KeyPair kp;

  @BeforeEach
  void rsaKeyOnTheKeyring() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", fake.provider());
    g.initialize(2048);
    kp = g.generateKeyPair();
  }

  private static byte[] sha256DigestInfo(byte[] message) throws Exception {
    byte[] h = MessageDigest.getInstance("SHA-256").digest(message);
    byte[] out = new byte[SHA256_PREFIX.length + h.length];
    System.arraycopy(SHA256_PREFIX, 0, out, 0, SHA256_PREFIX.length);
    System.arraycopy(h, 0, out, SHA256_PREFIX.length, h.length);
    return out;
  }

  private byte[] sign(String algorithm, byte[] data) throws Exception {
    Signature s = Signature.getInstance(algorithm, fake.provider());
    s.initSign(kp.getPrivate());
    s.update(data);
    return s.sign();
  }

  private boolean jdkVerifies(String algorithm, byte[] data, byte[] sig) throws Exception {
    // the JDK's NONEwithRSA is SunJCE's RSA cipher, adapted by Signature.getInstance
    Signature v =
        Signature.getInstance(algorithm, algorithm.startsWith("NONE") ? "SunJCE" : "SunRsaSign");
    v.initVerify(kp.getPublic());
    v.update(data);
    return v.verify(sig);
  }

  @Test
  void noneWithRsa_ofASha256DigestInfo_isTheJdksSha256WithRsaSignature() throws Exception {
    byte[] sig = sign("NONEwithRSA", sha256DigestInfo(MESSAGE));
    assertTrue(jdkVerifies("SHA256withRSA", MESSAGE, sig));
    assertTrue(jdkVerifies("NONEwithRSA", sha256DigestInfo(MESSAGE), sig));
    assertEquals(1, fake.provider().operationCount(ProviderOperation.SIGN));
  }

  @Test
  void noneWithRsa_ofRawData_verifiesWithTheJdksNoneWithRsa_andOnTheKeyring() throws Exception {
    byte[] tls11Hash = new byte[36]; // MD5 || SHA-1, as TLS 1.0/1.1 sign
    for (int i = 0; i < tls11Hash.length; i++) {
      tls11Hash[i] = (byte) (i * 7);
    }
    byte[] sig = sign("NONEwithRSA", tls11Hash);
    assertTrue(jdkVerifies("NONEwithRSA", tls11Hash, sig));
    Signature v = Signature.getInstance("NONEwithRSA", fake.provider());
    v.initVerify(kp.getPublic());
    v.update(tls11Hash);
    assertTrue(v.verify(sig));
    tls11Hash[0] ^= 1;
    v.update(tls11Hash);
    assertFalse(v.verify(sig));
  }

  @Test
  void noneWithRsa_ofMoreThanTheModulusLessEleven_isRefusedAtUpdate() throws Exception {
    Signature s = Signature.getInstance("NONEwithRSA", fake.provider());
    s.initSign(kp.getPrivate());
    s.update(new byte[245]);
    SignatureException e = assertThrows(SignatureException.class, () -> s.update((byte) 1));
    assertTrue(e.getMessage().contains("at most 245 bytes"), e.getMessage());
    assertEquals(0, fake.provider().operationCount(ProviderOperation.SIGN));
  }

  @Test
  void pkcs1Cipher_inEncryptModeWithThePrivateKey_signs_andSunJceOpensItWithThePublicKey()
      throws Exception {
    byte[] digestInfo = sha256DigestInfo(MESSAGE);
    Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding", fake.provider());
    c.init(Cipher.ENCRYPT_MODE, kp.getPrivate());
    byte[] out = c.doFinal(digestInfo);
    Cipher open = Cipher.getInstance("RSA/ECB/PKCS1Padding", "SunJCE");
    open.init(Cipher.DECRYPT_MODE, kp.getPublic());
    assertArrayEquals(digestInfo, open.doFinal(out));
    assertTrue(jdkVerifies("SHA256withRSA", MESSAGE, out));
    // type 1 padding is deterministic: the same bytes as NONEwithRSA
    assertArrayEquals(sign("NONEwithRSA", digestInfo), out);
  }

  @Test
  void pkcs1Cipher_inEncryptModeWithThePrivateKey_refusesTooMuchData() throws Exception {
    Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding", fake.provider());
    c.init(Cipher.ENCRYPT_MODE, kp.getPrivate());
    IllegalBlockSizeException e =
        assertThrows(IllegalBlockSizeException.class, () -> c.doFinal(new byte[246]));
    assertTrue(e.getMessage().contains("at most 245"), e.getMessage());
  }

  @Test
  void pkcs1Cipher_inEncryptModeWithAPublicKey_isStillRefused() throws Exception {
    Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding", fake.provider());
    InvalidKeyException e =
        assertThrows(InvalidKeyException.class, () -> c.init(Cipher.ENCRYPT_MODE, kp.getPublic()));
    assertTrue(e.getMessage().contains("no new RSA PKCS#1 v1.5 ciphertexts"), e.getMessage());
  }

  @Test
  void sha224WithRsa_madeOnTheKeyring_verifiesWithTheJdk_andTheJdksOnTheKeyring() throws Exception {
    byte[] sig = sign("SHA224withRSA", MESSAGE);
    assertTrue(jdkVerifies("SHA224withRSA", MESSAGE, sig));
    Signature jdk = Signature.getInstance("SHA224withRSA", "SunRsaSign");
    KeyPair soft = KeyPairGenerator.getInstance("RSA", "SunRsaSign").generateKeyPair();
    jdk.initSign(soft.getPrivate());
    jdk.update(MESSAGE);
    byte[] jdkSig = jdk.sign();
    Signature v = Signature.getInstance("SHA224withRSA", fake.provider());
    v.initVerify(soft.getPublic());
    v.update(MESSAGE);
    assertTrue(v.verify(jdkSig));
  }

  @ParameterizedTest
  @ValueSource(strings = {"SHA1withRSA"})
  void sha1_signing_isRefused_butAnOldSignatureVerifies(String algorithm) throws Exception {
    Signature s = Signature.getInstance(algorithm, fake.provider());
    InvalidKeyException e =
        assertThrows(InvalidKeyException.class, () -> s.initSign(kp.getPrivate()));
    assertTrue(e.getMessage().contains("only verifies existing signatures"), e.getMessage());
    KeyPair soft = KeyPairGenerator.getInstance("RSA", "SunRsaSign").generateKeyPair();
    Signature jdk = Signature.getInstance(algorithm, "SunRsaSign");
    jdk.initSign(soft.getPrivate());
    jdk.update(MESSAGE);
    byte[] old = jdk.sign();
    Signature v = Signature.getInstance(algorithm, fake.provider());
    v.initVerify(soft.getPublic());
    v.update(MESSAGE);
    assertTrue(v.verify(old));
    v.update("another message".getBytes(StandardCharsets.UTF_8));
    assertFalse(v.verify(old));
  }
}
