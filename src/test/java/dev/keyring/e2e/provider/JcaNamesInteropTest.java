package dev.keyring.e2e.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec.Purpose;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.samples.LocalCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The JCA names that real libraries call, against the JDK's providers, on a one-member cluster over
 * mutual TLS: raw RSA PKCS#1 v1.5 ({@code NONEwithRSA}, and {@code RSA/ECB/PKCS1Padding} in encrypt
 * mode with the private key, what a TLS 1.2 stack falls back to) against SunJCE and SunRsaSign;
 * SHA-224 and SHA-1 against SunRsaSign and SunEC; the P1363 names against SunEC; AES/KW/NoPadding
 * against SunJCE (SunJCE wraps under a KEK of known value, the keyring unwraps). Each direction is
 * checked: what the keyring makes the JDK verifies, what the JDK makes the keyring verifies. The
 * number of cross-checks is printed at the end.
 */
class JcaNamesInteropTest {
  private static final String KEYRING = "interop";
  private static final String PASSWORD = "interop-password-1";
  private static final int MESSAGES = 10;
  private static final byte[] SHA256_PREFIX =
      HexFormat.of().parseHex("3031300d060960864801650304020105000420");
  private static final AtomicInteger CHECKS = new AtomicInteger();

  @TempDir static Path dir;
  static LocalCluster cluster;
  static KeyringProvider provider;
  static KeyPair rsa;
  static KeyStore ks;

  @BeforeAll
  static void start() throws Exception {
    cluster = WatchedClusters.start(dir);
    cluster.createKeyring(KEYRING, PASSWORD);
    provider = new KeyringProvider(cluster.clientConfig());
    ks = KeyStore.getInstance("Keyring", provider);
    ks.load(cluster.slotProperties(KEYRING), PASSWORD.toCharArray());
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", provider);
    g.initialize(2048);
    rsa = g.generateKeyPair();
  }

  @AfterAll
  static void stop() {
    System.out.println("JCA names interop: " + CHECKS.get() + " cross-checks against the JDK");
    try {
      if (provider != null) {
        provider.close();
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  private static byte[] message(int i) {
    return ("message " + i + " for the interop check").getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] sha256DigestInfo(byte[] message) throws Exception {
    byte[] h = MessageDigest.getInstance("SHA-256").digest(message);
    byte[] out = new byte[SHA256_PREFIX.length + h.length];
    System.arraycopy(SHA256_PREFIX, 0, out, 0, SHA256_PREFIX.length);
    System.arraycopy(h, 0, out, SHA256_PREFIX.length, h.length);
    return out;
  }

  private static byte[] sign(String alg, Provider p, KeyPair kp, byte[] data) throws Exception {
    Signature s = Signature.getInstance(alg, p);
    s.initSign(kp.getPrivate());
    s.update(data);
    return s.sign();
  }

  private static void assertVerifies(String alg, Provider p, KeyPair kp, byte[] data, byte[] sig)
      throws Exception {
    Signature v = Signature.getInstance(alg, p);
    v.initVerify(kp.getPublic());
    v.update(data);
    assertTrue(v.verify(sig), alg + " by " + p.getName());
    CHECKS.incrementAndGet();
  }

  private static Provider jdk(String name) {
    return java.security.Security.getProvider(name);
  }

  @Test
  void noneWithRsa_ofADigestInfo_verifiesWithSunRsaSignsSha256WithRsa_andSunJcesNoneWithRsa()
      throws Exception {
    long signs = provider.operationCount(ProviderOperation.SIGN);
    for (int i = 0; i < MESSAGES; i++) {
      byte[] di = sha256DigestInfo(message(i));
      byte[] sig = sign("NONEwithRSA", provider, rsa, di);
      assertVerifies("SHA256withRSA", jdk("SunRsaSign"), rsa, message(i), sig);
      assertVerifies("NONEwithRSA", jdk("SunJCE"), rsa, di, sig);
      assertVerifies("NONEwithRSA", provider, rsa, di, sig);
    }
    assertEquals(signs + MESSAGES, provider.operationCount(ProviderOperation.SIGN));
  }

  @Test
  void pkcs1CipherEncrypt_withThePrivateKey_isOpenedBySunJceWithThePublicKey() throws Exception {
    for (int i = 0; i < MESSAGES; i++) {
      byte[] di = sha256DigestInfo(message(i));
      Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding", provider);
      c.init(Cipher.ENCRYPT_MODE, rsa.getPrivate());
      byte[] out = c.doFinal(di);
      Cipher open = Cipher.getInstance("RSA/ECB/PKCS1Padding", jdk("SunJCE"));
      open.init(Cipher.DECRYPT_MODE, rsa.getPublic());
      assertArrayEquals(di, open.doFinal(out));
      CHECKS.incrementAndGet();
      assertVerifies("SHA256withRSA", jdk("SunRsaSign"), rsa, message(i), out);
    }
  }

  @Test
  void pkcs1CipherEncrypt_andNoneWithRsa_withThePrivateKey_areChosenByDelayedSelection()
      throws Exception {
    // no provider named, as JSSE asks: the keyring key picks the Keyring provider, last in the
    // list, past SunJCE (whose RSA cipher takes RSAPrivateKey, which keyring handles are not)
    java.security.Security.addProvider(provider);
    try {
      Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
      c.init(Cipher.ENCRYPT_MODE, rsa.getPrivate());
      byte[] di = sha256DigestInfo(message(0));
      byte[] out = c.doFinal(di);
      assertEquals(provider, c.getProvider());
      assertVerifies("SHA256withRSA", jdk("SunRsaSign"), rsa, message(0), out);
      // and NONEwithRSA by name alone, as JSSE asks for it
      Signature s = Signature.getInstance("NONEwithRSA");
      s.initSign(rsa.getPrivate());
      s.update(di);
      byte[] sig = s.sign();
      assertEquals(provider, s.getProvider());
      assertArrayEquals(out, sig);
      CHECKS.incrementAndGet();
    } finally {
      java.security.Security.removeProvider(provider.getName());
    }
  }

  @Test
  void sha224WithRsa_bothWays_andSha1WithRsa_verifiesOnly() throws Exception {
    KeyPair soft = KeyPairGenerator.getInstance("RSA", jdk("SunRsaSign")).generateKeyPair();
    for (int i = 0; i < MESSAGES; i++) {
      byte[] ours = sign("SHA224withRSA", provider, rsa, message(i));
      assertVerifies("SHA224withRSA", jdk("SunRsaSign"), rsa, message(i), ours);
      for (String alg : new String[] {"SHA224withRSA", "SHA1withRSA"}) {
        byte[] theirs = sign(alg, jdk("SunRsaSign"), soft, message(i));
        assertVerifies(alg, provider, soft, message(i), theirs);
      }
    }
    Signature s = Signature.getInstance("SHA1withRSA", provider);
    assertThrows(InvalidKeyException.class, () -> s.initSign(rsa.getPrivate()));
  }

  @Test
  void aesKw_sunJceWrapsUnderAKnownKek_theKeyringUnwraps_andAGeneratedKekRoundTrips()
      throws Exception {
    // RFC 3394 4.6, then random keys: SunJCE wraps, the keyring unwraps under the imported KEK
    byte[][] keks = {
      HexFormat.of().parseHex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"),
      random(16),
      random(32)
    };
    byte[][] keys = {
      HexFormat.of().parseHex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F"),
      random(32),
      random(16)
    };
    for (int i = 0; i < keks.length; i++) {
      Cipher jdkWrap = Cipher.getInstance("AES/KW/NoPadding", jdk("SunJCE"));
      jdkWrap.init(Cipher.WRAP_MODE, new SecretKeySpec(keks[i], "AES"));
      byte[] wrapped = jdkWrap.wrap(new SecretKeySpec(keys[i], "AES"));
      if (i == 0) {
        assertArrayEquals(
            HexFormat.of()
                .parseHex(
                    "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"),
            wrapped);
      }
      ks.setKeyEntry("kw-kek-" + i, new SecretKeySpec(keks[i], "AES"), null, null);
      Cipher u = Cipher.getInstance(i == 1 ? "AESWrap" : "AES/KW/NoPadding", provider);
      u.init(Cipher.UNWRAP_MODE, (SecretKey) ks.getKey("kw-kek-" + i, null));
      SecretKey unwrapped = (SecretKey) u.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
      assertArrayEquals(jdkGcm(keys[i]), keyringGcm(unwrapped));
      CHECKS.incrementAndGet();
      ks.deleteEntry("kw-kek-" + i);
    }
    KeyGenerator g = KeyGenerator.getInstance("AES", provider);
    g.init(KeyringKeyGenParameterSpec.builder().keySize(256).purpose(Purpose.KEY_WRAP).build());
    SecretKey kek = g.generateKey();
    KeyGenerator d = KeyGenerator.getInstance("AES", provider);
    d.init(128);
    SecretKey data = d.generateKey();
    Cipher w = Cipher.getInstance("AES/KW/NoPadding", provider);
    w.init(Cipher.WRAP_MODE, kek);
    byte[] wrapped = w.wrap(data);
    assertEquals(24, wrapped.length);
    Cipher u = Cipher.getInstance("AES/KW/NoPadding", provider);
    u.init(Cipher.UNWRAP_MODE, kek);
    SecretKey back = (SecretKey) u.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
    assertArrayEquals(keyringGcm(data), keyringGcm(back));
    CHECKS.incrementAndGet();
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new java.security.SecureRandom().nextBytes(b);
    return b;
  }

  private static final byte[] GCM_IV = new byte[12];

  private static byte[] jdkGcm(byte[] raw) throws Exception {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding", jdk("SunJCE"));
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(raw, "AES"), new GCMParameterSpec(128, GCM_IV));
    return c.doFinal(message(0));
  }

  private static byte[] keyringGcm(SecretKey k) throws Exception {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
    c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, GCM_IV));
    return c.doFinal(message(0));
  }

  @ParameterizedTest
  @CsvSource({
    "secp256r1, SHA256withECDSAinP1363Format",
    "secp256r1, SHA224withECDSAinP1363Format",
    "secp384r1, SHA384withECDSAinP1363Format",
    "secp521r1, SHA512withECDSAinP1363Format",
    "secp256r1, SHA224withECDSA",
    "secp384r1, SHA1withECDSA",
    "secp256r1, SHA1withECDSAinP1363Format"
  })
  void ecdsaNames_againstSunEc_bothWays(String curve, String alg) throws Exception {
    KeyPairGenerator kg = KeyPairGenerator.getInstance("EC", provider);
    kg.initialize(new ECGenParameterSpec(curve));
    KeyPair ours = kg.generateKeyPair();
    KeyPairGenerator sg = KeyPairGenerator.getInstance("EC", jdk("SunEC"));
    sg.initialize(new ECGenParameterSpec(curve));
    KeyPair soft = sg.generateKeyPair();
    boolean sha1 = alg.startsWith("SHA1");
    for (int i = 0; i < MESSAGES; i++) {
      if (!sha1) {
        byte[] sig = sign(alg, provider, ours, message(i));
        assertVerifies(alg, jdk("SunEC"), ours, message(i), sig);
      }
      byte[] theirs = sign(alg, jdk("SunEC"), soft, message(i));
      assertVerifies(alg, provider, soft, message(i), theirs);
      Signature v = Signature.getInstance(alg, provider);
      v.initVerify(soft.getPublic());
      v.update(message(i + 1));
      assertFalse(v.verify(theirs));
      CHECKS.incrementAndGet();
    }
  }
}
