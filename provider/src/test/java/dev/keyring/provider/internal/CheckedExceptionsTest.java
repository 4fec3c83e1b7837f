package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec.Purpose;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.Signature;
import java.security.SignatureException;
import java.security.UnrecoverableKeyException;
import java.security.spec.ECGenParameterSpec;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A refusal reaches the caller as the checked exception the JCA method declares, one test per SPI
 * family: a wrong or unusable key is an {@link InvalidKeyException}, a failed signature operation a
 * {@link SignatureException}, a ciphertext that does not open a {@link BadPaddingException}, a key
 * store refusal a {@link KeyStoreException} or {@link UnrecoverableKeyException}.
 */
class CheckedExceptionsTest {
  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);

  private KeyPair ec(String curve, Purpose purpose) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", fake.provider());
    g.initialize(KeyringKeyGenParameterSpec.builder().curve(curve).purpose(purpose).build());
    return g.generateKeyPair();
  }

  private SecretKey aes(Purpose purpose) throws Exception {
    KeyGenerator g = KeyGenerator.getInstance("AES", fake.provider());
    g.init(KeyringKeyGenParameterSpec.builder().keySize(256).purpose(purpose).build());
    return g.generateKey();
  }

  private static KeyPair brainpool384() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", new BouncyCastleProvider());
    g.initialize(new ECGenParameterSpec("brainpoolP384r1"));
    return g.generateKeyPair();
  }

  @Test
  void signature_refusals_areInvalidKeyOrSignatureExceptions() throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA", fake.provider());
    KeyPairGenerator soft = KeyPairGenerator.getInstance("EC", "SunEC");
    assertThrows(InvalidKeyException.class, () -> s.initSign(soft.generateKeyPair().getPrivate()));
    assertThrows(InvalidKeyException.class, () -> s.initVerify(brainpool384().getPublic()));
    assertThrows(SignatureException.class, () -> s.update(new byte[1]));
    // an EC key made for key agreement does not sign: refused by the keyring, at sign()
    s.initSign(ec("secp256r1", Purpose.KEY_AGREEMENT).getPrivate());
    s.update(new byte[1]);
    SignatureException e = assertThrows(SignatureException.class, s::sign);
    assertTrue(e.getMessage().contains("CKR_"), e.getMessage());
    Signature sha1 = Signature.getInstance("SHA1withECDSA", fake.provider());
    assertThrows(
        InvalidKeyException.class,
        () -> sha1.initSign(ec("secp256r1", Purpose.DEFAULT).getPrivate()));
  }

  @Test
  void cipher_refusals_areInvalidKeyParameterOrPaddingExceptions() throws Exception {
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", fake.provider());
    KeyPair rsa = KeyPairGenerator.getInstance("RSA", fake.provider()).generateKeyPair();
    assertThrows(InvalidKeyException.class, () -> gcm.init(Cipher.ENCRYPT_MODE, rsa.getPrivate()));
    SecretKey key = aes(Purpose.DEFAULT);
    assertThrows(
        InvalidAlgorithmParameterException.class,
        () -> gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(64, new byte[12])));
    Cipher kw = Cipher.getInstance("AES/KW/NoPadding", fake.provider());
    kw.init(Cipher.UNWRAP_MODE, aes(Purpose.KEY_WRAP));
    assertThrows(
        InvalidKeyException.class, () -> kw.unwrap(new byte[24], "AES", Cipher.SECRET_KEY));
    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", fake.provider());
    oaep.init(Cipher.DECRYPT_MODE, rsa.getPrivate());
    assertThrows(BadPaddingException.class, () -> oaep.doFinal(new byte[256]));
  }

  @Test
  void keyAgreement_refusals_areInvalidKeyExceptions() throws Exception {
    KeyAgreement ka = KeyAgreement.getInstance("ECDH", fake.provider());
    ka.init(ec("secp384r1", Purpose.KEY_AGREEMENT).getPrivate());
    assertThrows(InvalidKeyException.class, () -> ka.doPhase(brainpool384().getPublic(), true));
    KeyPairGenerator soft = KeyPairGenerator.getInstance("EC", "SunEC");
    soft.initialize(new ECGenParameterSpec("secp384r1"));
    ka.doPhase(soft.generateKeyPair().getPublic(), true);
    // the keyring refuses a 48-byte P-384 secret as an AES key: a checked refusal, not a
    // ProviderException
    InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> ka.generateSecret("AES"));
    assertTrue(e.getMessage().contains("CKR_"), e.getMessage());
    KeyAgreement signing = KeyAgreement.getInstance("ECDH", fake.provider());
    signing.init(ec("secp256r1", Purpose.DEFAULT).getPrivate());
    KeyPairGenerator soft256 = KeyPairGenerator.getInstance("EC", "SunEC");
    signing.doPhase(soft256.generateKeyPair().getPublic(), true);
    assertThrows(InvalidKeyException.class, () -> signing.generateSecret("HmacSHA256"));
  }

  @Test
  void keyStore_refusals_areKeyStoreOrUnrecoverableKeyExceptions() throws Exception {
    KeyStore ks = fake.keyStore();
    ec("secp256r1", Purpose.DEFAULT);
    KeyGenerator g = KeyGenerator.getInstance("AES", fake.provider());
    g.init(KeyringKeyGenParameterSpec.builder().label("named").keySize(128).build());
    g.generateKey();
    assertThrows(UnrecoverableKeyException.class, () -> ks.getKey("named", "not-it".toCharArray()));
    // a key type keyrings do not hold
    assertThrows(
        KeyStoreException.class,
        () ->
            ks.setKeyEntry(
                "des", new javax.crypto.spec.SecretKeySpec(new byte[24], "DESede"), null, null));
  }

  @Test
  void generator_refusals_areInvalidAlgorithmParameterExceptions() throws Exception {
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC", fake.provider());
    assertThrows(
        InvalidAlgorithmParameterException.class,
        () -> ec.initialize(new ECGenParameterSpec("brainpoolP256r1")));
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA", fake.provider());
    assertThrows(
        InvalidAlgorithmParameterException.class,
        () -> rsa.initialize(KeyringKeyGenParameterSpec.builder().keySize(1024).build()));
    KeyGenerator aes = KeyGenerator.getInstance("AES", fake.provider());
    assertThrows(
        InvalidAlgorithmParameterException.class,
        () -> aes.init(KeyringKeyGenParameterSpec.builder().keySize(100).build()));
  }

  @Test
  void mac_refusals_areInvalidKeyExceptions() throws Exception {
    Mac m = Mac.getInstance("HmacSHA256", fake.provider());
    assertThrows(InvalidKeyException.class, () -> m.init(aes(Purpose.DEFAULT)));
  }
}
