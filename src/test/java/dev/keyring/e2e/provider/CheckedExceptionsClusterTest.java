package dev.keyring.e2e.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.e2e.WatchedClusters;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec.Purpose;
import dev.keyring.provider.api.KeyringProviderException;
import dev.keyring.samples.LocalCluster;
import dev.keyring.sim.server.Member;
import java.nio.file.Path;
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
import javax.crypto.AEADBadTagException;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.KeyAgreement;
import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every refusal, by the member or by the provider, reaches the caller of the public JCA API as the
 * checked exception the JCA method declares, against a real one-member cluster over mutual TLS: a
 * key the keyring no longer holds, a key used for what it was not made for, a ciphertext that does
 * not open, the member unreachable. A refusal by the member keeps its PKCS#11 code in the message
 * and the member's exception as the cause. The mapping is in docs/provider.md ("Exceptions").
 */
class CheckedExceptionsClusterTest {
  private static final String PASSWORD = "checked-exc-pw-1";
  private static final char[] PW = PASSWORD.toCharArray();

  @TempDir static Path dir;
  static LocalCluster cluster;
  static KeyringProvider provider;
  static KeyStore ks;

  @BeforeAll
  static void start() throws Exception {
    cluster = WatchedClusters.start(dir.resolve("home"));
    provider = new KeyringProvider(cluster.clientConfig());
    cluster.createKeyring("checked", PASSWORD);
    ks = KeyStore.getInstance("Keyring", provider);
    ks.load(cluster.slotProperties("checked"), PW);
  }

  @AfterAll
  static void stop() {
    if (provider != null) {
      provider.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private static KeyPair pair(String algorithm, String label, Purpose purpose) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm, provider);
    KeyringKeyGenParameterSpec.Builder b =
        KeyringKeyGenParameterSpec.builder().label(label).purpose(purpose);
    g.initialize(algorithm.equals("EC") ? b.curve("secp256r1").build() : b.build());
    return g.generateKeyPair();
  }

  private static SecretKey aes(String label, Purpose purpose) throws Exception {
    KeyGenerator g = KeyGenerator.getInstance("AES", provider);
    g.init(KeyringKeyGenParameterSpec.builder().label(label).keySize(256).purpose(purpose).build());
    return g.generateKey();
  }

  /** The entry leaves the keyring: handles made before now name an object the member lacks. */
  private static void destroy(String alias) throws Exception {
    assertTrue(ks.containsAlias(alias), alias);
    ks.deleteEntry(alias);
    assertFalse(ks.containsAlias(alias), alias);
  }

  /** The member refused: its code in the message, its exception as the cause. */
  private static void assertRefusedByMember(Exception e) {
    assertTrue(e.getMessage().contains("CKR_"), e.getMessage());
    assertInstanceOf(HsmException.class, e.getCause(), "cause of " + e);
  }

  @Test
  void signature_refusalsAtSignTime_areSignatureExceptions_withTheCode() throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA", provider);
    // a key made for key agreement does not sign
    s.initSign(pair("EC", "sig-ka", Purpose.KEY_AGREEMENT).getPrivate());
    s.update(new byte[] {1});
    SignatureException notPermitted = assertThrows(SignatureException.class, s::sign);
    assertRefusedByMember(notPermitted);
    assertTrue(
        notPermitted.getMessage().contains(ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED.name()),
        notPermitted.getMessage());
    // a key gone from the keyring after initSign, for ECDSA, RSA and the raw NONEwithRSA
    for (String[] c :
        new String[][] {
          {"EC", "SHA256withECDSA"}, {"RSA", "SHA256withRSA"}, {"RSA", "NONEwithRSA"}
        }) {
      String label = "sig-gone-" + c[1];
      Signature g = Signature.getInstance(c[1], provider);
      g.initSign(pair(c[0], label, Purpose.DEFAULT).getPrivate());
      g.update(new byte[32]);
      destroy(label);
      assertRefusedByMember(assertThrows(SignatureException.class, g::sign));
    }
    // verification runs on the keyring a KeyStore logged in: none yet on a fresh provider
    KeyringProvider fresh = new KeyringProvider(cluster.clientConfig());
    try {
      Signature v = Signature.getInstance("SHA256withECDSA", fresh);
      v.initVerify(KeyPairGenerator.getInstance("EC", "SunEC").generateKeyPair().getPublic());
      v.update(new byte[] {1});
      SignatureException none = assertThrows(SignatureException.class, () -> v.verify(new byte[8]));
      assertTrue(none.getMessage().contains("load a KeyStore first"), none.getMessage());
    } finally {
      fresh.close();
    }
    // a signature engine never initialized, and a software key
    assertThrows(
        SignatureException.class,
        () -> Signature.getInstance("SHA256withECDSA", provider).update(new byte[1]));
    KeyPairGenerator soft = KeyPairGenerator.getInstance("EC", "SunEC");
    assertThrows(
        InvalidKeyException.class,
        () ->
            Signature.getInstance("SHA256withECDSA", provider)
                .initSign(soft.generateKeyPair().getPrivate()));
  }

  @Test
  void cipher_doFinalRefusals_areIllegalBlockSizeOrBadPaddingExceptions() throws Exception {
    SecretKey gcmKey = aes("c-gcm", Purpose.DEFAULT);
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", provider);
    byte[] iv = new byte[12];
    iv[0] = 7;
    gcm.init(Cipher.ENCRYPT_MODE, gcmKey, new GCMParameterSpec(128, iv));
    byte[] sealed = gcm.doFinal(new byte[40]);
    sealed[3] ^= 1;
    gcm.init(Cipher.DECRYPT_MODE, gcmKey, new GCMParameterSpec(128, iv));
    AEADBadTagException tag = assertThrows(AEADBadTagException.class, () -> gcm.doFinal(sealed));
    assertUniformDecryptionFailure(tag);

    // CBC: one block whose plaintext ends in a zero byte is never valid PKCS#7 padding
    SecretKey cbcKey = aes("c-cbc", Purpose.DEFAULT);
    Cipher cbc = Cipher.getInstance("AES/CBC/PKCS5Padding", provider);
    IvParameterSpec cbcIv = new IvParameterSpec(new byte[16]);
    cbc.init(Cipher.ENCRYPT_MODE, cbcKey, cbcIv);
    byte[] firstBlock = java.util.Arrays.copyOf(cbc.doFinal(new byte[16]), 16);
    cbc.init(Cipher.DECRYPT_MODE, cbcKey, cbcIv);
    BadPaddingException padding =
        assertThrows(BadPaddingException.class, () -> cbc.doFinal(firstBlock));
    assertFalse(padding instanceof AEADBadTagException);
    assertUniformDecryptionFailure(padding);
    assertThrows(IllegalBlockSizeException.class, () -> cbc.doFinal(new byte[15]));

    // a key gone after init: the member's refusal at doFinal, in both directions
    cbc.init(Cipher.ENCRYPT_MODE, cbcKey, cbcIv);
    Cipher cbcDecrypt = Cipher.getInstance("AES/CBC/PKCS5Padding", provider);
    cbcDecrypt.init(Cipher.DECRYPT_MODE, cbcKey, cbcIv);
    destroy("c-cbc");
    assertRefusedByMember(
        assertThrows(IllegalBlockSizeException.class, () -> cbc.doFinal(new byte[5])));
    assertRefusedByMember(
        assertThrows(IllegalBlockSizeException.class, () -> cbcDecrypt.doFinal(new byte[16])));
  }

  @Test
  void rsaCipher_doFinalRefusals_areIllegalBlockSizeOrBadPaddingExceptions() throws Exception {
    KeyPair rsa = pair("RSA", "c-rsa", Purpose.DEFAULT);
    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", provider);
    oaep.init(Cipher.DECRYPT_MODE, rsa.getPrivate());
    BadPaddingException bad =
        assertThrows(BadPaddingException.class, () -> oaep.doFinal(new byte[256]));
    assertUniformDecryptionFailure(bad);
    assertThrows(IllegalBlockSizeException.class, () -> oaep.doFinal(new byte[255]));

    Cipher oaepEncrypt = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", provider);
    oaepEncrypt.init(Cipher.ENCRYPT_MODE, rsa.getPublic());
    IllegalBlockSizeException tooLong =
        assertThrows(IllegalBlockSizeException.class, () -> oaepEncrypt.doFinal(new byte[250]));
    assertRefusedByMember(tooLong);
    // keyrings make no PKCS#1 v1.5 ciphertexts: the JDK makes one to decrypt below
    Cipher pkcs1 = Cipher.getInstance("RSA/ECB/PKCS1Padding", "SunJCE");
    pkcs1.init(Cipher.ENCRYPT_MODE, rsa.getPublic());

    // ENCRYPT_MODE with the private key signs; with the key gone the member refuses it
    Cipher rawSign = Cipher.getInstance("RSA/ECB/PKCS1Padding", provider);
    rawSign.init(Cipher.ENCRYPT_MODE, rsa.getPrivate());
    Cipher decrypt = Cipher.getInstance("RSA/ECB/PKCS1Padding", provider);
    decrypt.init(Cipher.DECRYPT_MODE, rsa.getPrivate());
    byte[] ciphertext = pkcs1.doFinal(new byte[] {1, 2, 3});
    destroy("c-rsa");
    assertRefusedByMember(
        assertThrows(IllegalBlockSizeException.class, () -> rawSign.doFinal(new byte[35])));
    assertRefusedByMember(
        assertThrows(IllegalBlockSizeException.class, () -> decrypt.doFinal(ciphertext)));
  }

  @Test
  void keyWrap_refusals_areInvalidKeyExceptions() throws Exception {
    Cipher kw = Cipher.getInstance("AES/KW/NoPadding", provider);
    kw.init(Cipher.UNWRAP_MODE, aes("c-kw", Purpose.KEY_WRAP));
    InvalidKeyException e =
        assertThrows(
            InvalidKeyException.class, () -> kw.unwrap(new byte[24], "AES", Cipher.SECRET_KEY));
    assertRefusedByMember(e);
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", provider);
    assertThrows(
        InvalidKeyException.class, () -> gcm.init(Cipher.WRAP_MODE, aes("c-kw2", Purpose.DEFAULT)));
  }

  @Test
  void keyAgreement_refusals_areInvalidKeyOrIllegalStateExceptions() throws Exception {
    KeyAgreement ka = KeyAgreement.getInstance("ECDH", provider);
    ka.init(pair("EC", "ka-p256", Purpose.KEY_AGREEMENT).getPrivate());
    KeyPairGenerator bp = KeyPairGenerator.getInstance("EC", new BouncyCastleProvider());
    bp.initialize(new ECGenParameterSpec("brainpoolP256r1"));
    assertThrows(
        InvalidKeyException.class, () -> ka.doPhase(bp.generateKeyPair().getPublic(), true));
    KeyPairGenerator soft = KeyPairGenerator.getInstance("EC", "SunEC");
    soft.initialize(new ECGenParameterSpec("secp256r1"));
    ka.doPhase(soft.generateKeyPair().getPublic(), true);
    assertThrows(IllegalStateException.class, ka::generateSecret);

    // a signing key does not agree; a key gone after doPhase is refused by the member
    KeyAgreement signing = KeyAgreement.getInstance("ECDH", provider);
    signing.init(pair("EC", "ka-sign", Purpose.DEFAULT).getPrivate());
    signing.doPhase(soft.generateKeyPair().getPublic(), true);
    assertRefusedByMember(
        assertThrows(InvalidKeyException.class, () -> signing.generateSecret("AES")));
    KeyAgreement gone = KeyAgreement.getInstance("ECDH", provider);
    gone.init(pair("EC", "ka-gone", Purpose.KEY_AGREEMENT).getPrivate());
    gone.doPhase(soft.generateKeyPair().getPublic(), true);
    destroy("ka-gone");
    assertRefusedByMember(
        assertThrows(InvalidKeyException.class, () -> gone.generateSecret("AES")));
  }

  @Test
  void keyStore_refusals_areKeyStoreOrUnrecoverableKeyExceptions() throws Exception {
    pair("EC", "ks-key", Purpose.DEFAULT);
    assertThrows(
        UnrecoverableKeyException.class, () -> ks.getKey("ks-key", "not-it-1".toCharArray()));
    assertNotNull(ks.getKey("ks-key", PW));
    assertThrows(
        KeyStoreException.class,
        () -> ks.setKeyEntry("des", new SecretKeySpec(new byte[24], "DESede"), PW, null));
    KeyStore other = KeyStore.getInstance("Keyring", provider);
    KeyStoreException wrongLogin =
        assertThrows(
            KeyStoreException.class,
            () -> other.getKey("ks-key", PW)); // not loaded: the JDK's own check
    assertNotNull(wrongLogin.getMessage());
  }

  @Test
  void generatorsAndMac_refusals_areInvalidParameterOrInvalidKeyExceptions() throws Exception {
    assertThrows(
        InvalidAlgorithmParameterException.class,
        () ->
            KeyPairGenerator.getInstance("EC", provider)
                .initialize(new ECGenParameterSpec("brainpoolP256r1")));
    assertThrows(
        InvalidAlgorithmParameterException.class,
        () ->
            KeyGenerator.getInstance("AES", provider)
                .init(KeyringKeyGenParameterSpec.builder().keySize(100).build()));
    Mac m = Mac.getInstance("HmacSHA256", provider);
    assertThrows(InvalidKeyException.class, () -> m.init(aes("mac-aes", Purpose.DEFAULT)));
  }

  /**
   * The member's crypto API stopped: every engine whose method declares a checked exception that
   * fits reports the unreachable cluster with it; Cipher.doFinal, whose checked exceptions both
   * blame the input, and the methods that declare none (Mac.doFinal, KeyStore.size) throw {@link
   * KeyringProviderException} without a code.
   */
  @Test
  void memberUnreachable_isTheDeclaredCheckedException_whereOneFits() throws Exception {
    KeyPair ec = pair("EC", "net-ec", Purpose.DEFAULT);
    KeyPair ka = pair("EC", "net-ka", Purpose.KEY_AGREEMENT);
    SecretKey aesKey = aes("net-aes", Purpose.DEFAULT);
    SecretKey wrapKey = aes("net-kw", Purpose.KEY_WRAP);
    KeyGenerator hmacGen = KeyGenerator.getInstance("HmacSHA256", provider);
    hmacGen.init(KeyringKeyGenParameterSpec.builder().label("net-hmac").keySize(256).build());
    SecretKey hmacKey = hmacGen.generateKey();
    Signature sign = Signature.getInstance("SHA256withECDSA", provider);
    sign.initSign(ec.getPrivate());
    sign.update(new byte[] {1, 2});
    Signature verify = Signature.getInstance("SHA256withECDSA", provider);
    verify.initVerify(ec.getPublic());
    verify.update(new byte[] {1, 2});
    KeyAgreement agree = KeyAgreement.getInstance("ECDH", provider);
    agree.init(ka.getPrivate());
    KeyPairGenerator soft = KeyPairGenerator.getInstance("EC", "SunEC");
    soft.initialize(new ECGenParameterSpec("secp256r1"));
    agree.doPhase(soft.generateKeyPair().getPublic(), true);
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", provider);
    gcm.init(Cipher.ENCRYPT_MODE, aesKey, new GCMParameterSpec(128, new byte[12]));
    Cipher kw = Cipher.getInstance("AES/KW/NoPadding", provider);
    kw.init(Cipher.UNWRAP_MODE, wrapKey);
    Mac mac = Mac.getInstance("HmacSHA256", provider);
    mac.init(hmacKey);

    Member member = cluster.cluster().member(0);
    member.stopCryptoApi();
    try {
      assertUnreachable(assertThrows(SignatureException.class, sign::sign));
      assertUnreachable(assertThrows(SignatureException.class, () -> verify.verify(new byte[70])));
      assertUnreachable(assertThrows(InvalidKeyException.class, () -> agree.generateSecret("AES")));
      assertUnreachable(
          assertThrows(
              InvalidKeyException.class, () -> kw.unwrap(new byte[40], "AES", Cipher.SECRET_KEY)));
      assertUnreachable(
          assertThrows(UnrecoverableKeyException.class, () -> ks.getKey("net-ec", PW)));
      assertUnreachable(
          assertThrows(
              KeyStoreException.class,
              () -> ks.setKeyEntry("net-new", new SecretKeySpec(new byte[16], "AES"), PW, null)));
      KeyringProviderException cipher =
          assertThrows(KeyringProviderException.class, () -> gcm.doFinal(new byte[8]));
      assertEquals(null, cipher.code());
      assertUnreachable(cipher);
      KeyringProviderException macFailure =
          assertThrows(KeyringProviderException.class, () -> mac.doFinal(new byte[8]));
      assertEquals(null, macFailure.code());
      assertThrows(KeyringProviderException.class, ks::size);
    } finally {
      member.startCryptoApi();
    }
    sign.initSign(ec.getPrivate());
    sign.update(new byte[] {1, 2});
    assertEquals(true, sign.sign().length > 0, "signs again once the member is back");
  }

  /**
   * One message for every ciphertext that does not open (no padding oracle); the member's code is
   * in the cause.
   */
  private static void assertUniformDecryptionFailure(BadPaddingException e) {
    assertEquals("decryption failed", e.getMessage());
    HsmException cause = assertInstanceOf(HsmException.class, e.getCause());
    assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, cause.code());
  }

  /** The failure names the unreachable cluster and keeps the transport failure as its cause. */
  private static void assertUnreachable(Exception e) {
    assertTrue(e.getMessage().contains("could not be reached"), e.getMessage());
    Throwable c = e.getCause();
    while (c != null && !(c instanceof TransportException)) {
      c = c.getCause();
    }
    assertNotNull(c, "no TransportException among the causes of " + e);
  }
}
