package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.provider.FakeClusterProvider;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.MGF1ParameterSpec;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KeyringRsaCipherSpiTest {
  private static final byte[] SECRET = "a premaster of sorts".getBytes(StandardCharsets.UTF_8);
  private static final OAEPParameterSpec OAEP_SHA256 =
      new OAEPParameterSpec(
          "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);

  private KeyPair rsaOnKeyring() throws Exception {
    return KeyPairGenerator.getInstance("RSA", fake.provider()).generateKeyPair();
  }

  private Cipher keyringCipher(String transformation) throws Exception {
    return Cipher.getInstance(transformation, fake.provider());
  }

  private static byte[] jdkEncrypt(String transformation, KeyPair kp) throws Exception {
    Cipher jdk = Cipher.getInstance(transformation);
    if (transformation.contains("OAEP")) {
      jdk.init(Cipher.ENCRYPT_MODE, kp.getPublic(), OAEP_SHA256);
    } else {
      jdk.init(Cipher.ENCRYPT_MODE, kp.getPublic());
    }
    return jdk.doFinal(SECRET);
  }

  private byte[] keyringDecrypt(String transformation, KeyPair kp, byte[] ct) throws Exception {
    Cipher c = keyringCipher(transformation);
    c.init(Cipher.DECRYPT_MODE, kp.getPrivate());
    return c.doFinal(ct);
  }

  @Test
  void oaep_decryptsOnTheKeyring_whatTheJdkEncryptedForItsPublicKey() throws Exception {
    KeyPair kp = rsaOnKeyring();
    byte[] ct = jdkEncrypt("RSA/ECB/OAEPPadding", kp);
    assertArrayEquals(SECRET, keyringDecrypt("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", kp, ct));
  }

  @Test
  void oaep_decryptingIntoAnOutputTooSmall_keepsTheInput_soTheCallerCanRetry() throws Exception {
    KeyPair kp = rsaOnKeyring();
    byte[] ct = jdkEncrypt("RSA/ECB/OAEPPadding", kp);
    Cipher c = keyringCipher("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
    c.init(Cipher.DECRYPT_MODE, kp.getPrivate());
    c.update(ct, 0, 10);
    byte[] small = new byte[SECRET.length - 1];
    assertThrows(ShortBufferException.class, () -> c.doFinal(ct, 10, ct.length - 10, small, 0));
    byte[] out = new byte[SECRET.length];
    assertEquals(SECRET.length, c.doFinal(ct, 10, ct.length - 10, out, 0));
    assertArrayEquals(SECRET, out);
  }

  @Test
  void oaep_encryptsOnTheKeyringWithAJdkPublicKey_forItsPrivateKey() throws Exception {
    KeyPair kp = rsaOnKeyring();
    Cipher enc = keyringCipher("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
    enc.init(Cipher.ENCRYPT_MODE, kp.getPublic());
    byte[] ct = enc.doFinal(SECRET);
    Cipher dec = keyringCipher("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
    dec.init(Cipher.DECRYPT_MODE, kp.getPrivate());
    assertArrayEquals(SECRET, dec.doFinal(ct));
    // only the key pair stays: the public key for the encryption was a session object
    assertEquals(2, fake.cluster().objects(FakeClusterProvider.KEYRING).size());
  }

  @Test
  void pkcs1_decryptsOnTheKeyring_whatTheJdkEncrypted() throws Exception {
    KeyPair kp = rsaOnKeyring();
    byte[] ct = jdkEncrypt("RSA/ECB/PKCS1Padding", kp);
    assertArrayEquals(SECRET, keyringDecrypt("RSA/ECB/PKCS1Padding", kp, ct));
  }

  @Test
  void pkcs1_makesNoNewCiphertexts() throws Exception {
    KeyPair kp = rsaOnKeyring();
    Cipher c = keyringCipher("RSA/ECB/PKCS1Padding");
    assertThrows(InvalidKeyException.class, () -> c.init(Cipher.ENCRYPT_MODE, kp.getPublic()));
  }

  @Test
  void oaep_ofAnAlteredCiphertext_failsWithBadPadding() throws Exception {
    KeyPair kp = rsaOnKeyring();
    byte[] ct = jdkEncrypt("RSA/ECB/OAEPPadding", kp);
    ct[10] ^= 0x40;
    assertThrows(
        BadPaddingException.class,
        () -> keyringDecrypt("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", kp, ct));
  }
}
