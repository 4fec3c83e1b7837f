package dev.keyring.e2e.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.KeyringPrivateKey;
import dev.keyring.provider.api.KeyringSecretKey;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.samples.LocalCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Security;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Instant;
import java.util.Collections;
import java.util.Date;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The provider's engines and KeyStore against a real one-member cluster over mutual TLS. */
class ProviderBasicsTest {
  private static final String KEYRING = "basics";
  private static final String PASSWORD = "basics-password-1";
  @TempDir static Path dir;
  static LocalCluster cluster;
  static KeyringProvider provider;
  static KeyStore ks;

  @BeforeAll
  static void start() throws Exception {
    cluster = WatchedClusters.start(dir);
    cluster.createKeyring(KEYRING, PASSWORD);
    provider = new KeyringProvider(cluster.clientConfig());
    ks = KeyStore.getInstance("Keyring", provider);
    ks.load(cluster.slotProperties(KEYRING), PASSWORD.toCharArray());
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

  @Test
  void load_withWrongPassword_failsWithUnrecoverableKeyCause() throws Exception {
    KeyStore other = KeyStore.getInstance("Keyring", provider);
    IOException e =
        assertThrows(
            IOException.class,
            () -> other.load(cluster.slotProperties(KEYRING), "wrong-password-1".toCharArray()));
    assertInstanceOf(UnrecoverableKeyException.class, e.getCause());
    assertTrue(e.getMessage().contains("CKR_PIN_INCORRECT"), e.getMessage());
  }

  @Test
  void load_withUnknownProperty_namesIt() throws Exception {
    KeyStore other = KeyStore.getInstance("Keyring", provider);
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                other.load(
                    new java.io.ByteArrayInputStream("slot=x\nslto=y\n".getBytes()),
                    PASSWORD.toCharArray()));
    assertTrue(e.getMessage().contains("slto"), e.getMessage());
  }

  @Test
  void rsaKeyPair_signsPkcs1AndPss_jdkVerifies() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", provider);
    g.initialize(2048);
    KeyPair kp = g.generateKeyPair();
    PrivateKey priv = kp.getPrivate();
    assertInstanceOf(KeyringPrivateKey.class, priv);
    assertInstanceOf(RSAKey.class, priv);
    assertFalse(priv instanceof java.security.interfaces.RSAPrivateKey);
    assertEquals("RSA", priv.getAlgorithm());
    assertNull(priv.getFormat());
    assertNull(priv.getEncoded());
    assertEquals(((RSAKey) kp.getPublic()).getModulus(), ((RSAKey) priv).getModulus());
    assertThrows(
        NotSerializableException.class,
        () -> new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(priv));
    byte[] msg = "hello keyring".getBytes(StandardCharsets.UTF_8);

    Signature s = Signature.getInstance("SHA256withRSA", provider);
    s.initSign(priv);
    s.update(msg);
    byte[] sig = s.sign();
    Signature v = Signature.getInstance("SHA256withRSA");
    v.initVerify(kp.getPublic());
    v.update(msg);
    assertTrue(v.verify(sig));

    // RSASSA-PSS: parameters before init, then after init
    PSSParameterSpec pss = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);
    Signature p = Signature.getInstance("RSASSA-PSS", provider);
    assertNull(p.getParameters());
    p.setParameter(pss);
    p.initSign(priv);
    p.update(msg);
    byte[] psig = p.sign();
    Signature pv = Signature.getInstance("RSASSA-PSS");
    pv.setParameter(pss);
    pv.initVerify(kp.getPublic());
    pv.update(msg);
    assertTrue(pv.verify(psig));
    Signature p2 = Signature.getInstance("RSASSA-PSS", provider);
    p2.initSign(priv);
    p2.setParameter(pss);
    p2.update(msg);
    assertEquals(256, p2.sign().length);
    assertNotNull(p2.getParameters());

    // the BouncyCastle name, parameters preset
    Signature mgf1 = Signature.getInstance("SHA256withRSAandMGF1", provider);
    mgf1.initSign(priv);
    mgf1.update(msg);
    byte[] msig = mgf1.sign();
    pv.initVerify(kp.getPublic());
    pv.update(msg);
    assertTrue(pv.verify(msig));

    // verification on the cluster with the JDK public key
    Signature cv = Signature.getInstance("SHA256withRSA", provider);
    cv.initVerify(kp.getPublic());
    cv.update(msg);
    assertTrue(cv.verify(sig));
    cv.update("other".getBytes(StandardCharsets.UTF_8));
    assertFalse(cv.verify(sig));
  }

  @Test
  void ecAndEd25519_sign_jdkVerifies() throws Exception {
    byte[] msg = new byte[5000];
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
    g.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair kp = g.generateKeyPair();
    assertInstanceOf(ECKey.class, kp.getPrivate());
    assertEquals("EC", kp.getPrivate().getAlgorithm());
    for (String alg : new String[] {"SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA"}) {
      Signature s = Signature.getInstance(alg, provider);
      s.initSign(kp.getPrivate());
      s.update(msg);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(kp.getPublic());
      v.update(msg);
      assertTrue(v.verify(sig), alg);
    }
    KeyPair ed = KeyPairGenerator.getInstance("Ed25519", provider).generateKeyPair();
    assertEquals("Ed25519", ed.getPrivate().getAlgorithm());
    Signature s = Signature.getInstance("Ed25519", provider);
    s.initSign(ed.getPrivate());
    s.update(msg);
    byte[] sig = s.sign();
    Signature v = Signature.getInstance("Ed25519");
    v.initVerify(ed.getPublic());
    v.update(msg);
    assertTrue(v.verify(sig));
    // verification on the cluster with a JDK Ed25519 key (its algorithm name is "EdDSA")
    java.security.spec.X509EncodedKeySpec spki =
        new java.security.spec.X509EncodedKeySpec(ed.getPublic().getEncoded());
    java.security.PublicKey jdkKey =
        java.security.KeyFactory.getInstance("Ed25519").generatePublic(spki);
    assertEquals("EdDSA", jdkKey.getAlgorithm());
    Signature cv = Signature.getInstance("Ed25519", provider);
    cv.initVerify(jdkKey);
    cv.update(msg);
    assertTrue(cv.verify(sig));
  }

  @Test
  void aes_gcmAndCbc_roundTrip_andMatchTheJdk() throws Exception {
    byte[] raw = new byte[32];
    new java.security.SecureRandom().nextBytes(raw);
    SecretKey soft = new SecretKeySpec(raw, "AES");
    ks.setKeyEntry("aes-imported", soft, PASSWORD.toCharArray(), null);
    SecretKey h = (SecretKey) ks.getKey("aes-imported", PASSWORD.toCharArray());
    assertInstanceOf(KeyringSecretKey.class, h);
    byte[] msg = "attack at dawn".getBytes(StandardCharsets.UTF_8);

    Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
    c.init(Cipher.ENCRYPT_MODE, h);
    byte[] iv = c.getIV();
    assertEquals(12, iv.length);
    c.updateAAD(new byte[] {1, 2});
    byte[] ct = c.doFinal(msg);
    Cipher j = Cipher.getInstance("AES/GCM/NoPadding");
    j.init(Cipher.DECRYPT_MODE, soft, new GCMParameterSpec(128, iv));
    j.updateAAD(new byte[] {1, 2});
    assertArrayEquals(msg, j.doFinal(ct));
    assertThrows(IllegalStateException.class, () -> c.doFinal(msg));

    Cipher d = Cipher.getInstance("AES/GCM/NoPadding", provider);
    d.init(Cipher.DECRYPT_MODE, h, new GCMParameterSpec(128, iv));
    d.updateAAD(new byte[] {1, 2});
    assertArrayEquals(msg, d.doFinal(ct));
    ct[0] ^= 1;
    d.init(Cipher.DECRYPT_MODE, h, new GCMParameterSpec(128, iv));
    d.updateAAD(new byte[] {1, 2});
    assertThrows(AEADBadTagException.class, () -> d.doFinal(ct));

    Cipher cbc = Cipher.getInstance("AES/CBC/PKCS5Padding", provider);
    cbc.init(Cipher.ENCRYPT_MODE, h);
    byte[] cbcCt = cbc.doFinal(msg);
    Cipher jc = Cipher.getInstance("AES/CBC/PKCS5Padding");
    jc.init(Cipher.DECRYPT_MODE, soft, new IvParameterSpec(cbc.getIV()));
    assertArrayEquals(msg, jc.doFinal(cbcCt));
  }

  @Test
  void kwp_wrapsAndUnwrapsKeyringKeys() throws Exception {
    KeyGenerator kg = KeyGenerator.getInstance("AES", provider);
    kg.init(
        KeyringKeyGenParameterSpec.builder()
            .purpose(KeyringKeyGenParameterSpec.Purpose.KEY_WRAP)
            .build());
    SecretKey kek = kg.generateKey();
    KeyGenerator hg = KeyGenerator.getInstance("HmacSHA256", provider);
    SecretKey mk = hg.generateKey();
    Cipher w = Cipher.getInstance("AES/KWP/NoPadding", provider);
    w.init(Cipher.WRAP_MODE, kek);
    byte[] wrapped = w.wrap(mk);
    w.init(Cipher.UNWRAP_MODE, kek);
    SecretKey back = (SecretKey) w.unwrap(wrapped, "HmacSHA256", Cipher.SECRET_KEY);
    byte[] data = "mac me".getBytes(StandardCharsets.UTF_8);
    Mac m1 = Mac.getInstance("HmacSHA256", provider);
    m1.init(mk);
    Mac m2 = Mac.getInstance("HmacSHA256", provider);
    m2.init(back);
    assertArrayEquals(m1.doFinal(data), m2.doFinal(data));
  }

  @Test
  void rsaCiphers_oaepAndPkcs1() throws Exception {
    KeyPair kp = KeyPairGenerator.getInstance("RSA", provider).generateKeyPair();
    byte[] msg = "secret".getBytes(StandardCharsets.UTF_8);
    Cipher je = Cipher.getInstance("RSA/ECB/OAEPPadding");
    je.init(
        Cipher.ENCRYPT_MODE,
        kp.getPublic(),
        new javax.crypto.spec.OAEPParameterSpec(
            "SHA-256",
            "MGF1",
            MGF1ParameterSpec.SHA256,
            javax.crypto.spec.PSource.PSpecified.DEFAULT));
    byte[] ct = je.doFinal(msg);
    Cipher d = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", provider);
    d.init(Cipher.DECRYPT_MODE, kp.getPrivate());
    assertArrayEquals(msg, d.doFinal(ct));
    // encryption on the cluster with the public key
    Cipher e = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", provider);
    e.init(Cipher.ENCRYPT_MODE, kp.getPublic());
    assertArrayEquals(msg, d.doFinal(e.doFinal(msg)));

    Cipher jp = Cipher.getInstance("RSA/ECB/PKCS1Padding");
    jp.init(Cipher.ENCRYPT_MODE, kp.getPublic());
    Cipher p = Cipher.getInstance("RSA/ECB/PKCS1Padding", provider);
    p.init(Cipher.DECRYPT_MODE, kp.getPrivate());
    assertArrayEquals(msg, p.doFinal(jp.doFinal(msg)));
    assertThrows(
        java.security.InvalidKeyException.class, () -> p.init(Cipher.ENCRYPT_MODE, kp.getPublic()));
  }

  @Test
  void hmac_withImportedKey_matchesTheJdk() throws Exception {
    byte[] raw = new byte[32];
    new java.security.SecureRandom().nextBytes(raw);
    SecretKey soft = new SecretKeySpec(raw, "HmacSHA256");
    ks.setKeyEntry("hmac-imported", soft, PASSWORD.toCharArray(), null);
    SecretKey h = (SecretKey) ks.getKey("hmac-imported", null);
    byte[] data = "message".getBytes(StandardCharsets.UTF_8);
    Mac ours = Mac.getInstance("HmacSHA256", provider);
    ours.init(h);
    Mac jdk = Mac.getInstance("HmacSHA256");
    jdk.init(soft);
    assertArrayEquals(jdk.doFinal(data), ours.doFinal(data));
  }

  @Test
  void ecdh_derivesOnTheKeyring_andRefusesRawSecret() throws Exception {
    KeyPairGenerator og = KeyPairGenerator.getInstance("EC", provider);
    og.initialize(
        KeyringKeyGenParameterSpec.builder()
            .purpose(KeyringKeyGenParameterSpec.Purpose.KEY_AGREEMENT)
            .build());
    KeyPair ours = og.generateKeyPair();
    KeyPairGenerator jg = KeyPairGenerator.getInstance("EC");
    jg.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair peer = jg.generateKeyPair();
    KeyAgreement ka = KeyAgreement.getInstance("ECDH", provider);
    ka.init(ours.getPrivate());
    ka.doPhase(peer.getPublic(), true);
    SecretKey derived = ka.generateSecret("HmacSHA256");
    KeyAgreement jka = KeyAgreement.getInstance("ECDH");
    jka.init(peer.getPrivate());
    jka.doPhase(ours.getPublic(), true);
    byte[] shared = jka.generateSecret();
    byte[] data = "derived".getBytes(StandardCharsets.UTF_8);
    Mac a = Mac.getInstance("HmacSHA256", provider);
    a.init(derived);
    Mac b = Mac.getInstance("HmacSHA256");
    b.init(new SecretKeySpec(shared, "HmacSHA256"));
    assertArrayEquals(b.doFinal(data), a.doFinal(data));
    ka.init(ours.getPrivate());
    ka.doPhase(peer.getPublic(), true);
    assertThrows(IllegalStateException.class, ka::generateSecret);
  }

  @Test
  void keyStore_entriesWithAndWithoutCertificates() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
    g.initialize(KeyringKeyGenParameterSpec.builder().label("no-cert").build());
    KeyPair bare = g.generateKeyPair();
    assertTrue(Collections.list(ks.aliases()).contains("no-cert"));
    assertTrue(ks.isKeyEntry("no-cert"));
    assertNull(ks.getCertificateChain("no-cert"));
    assertEquals(bare.getPrivate(), ks.getKey("no-cert", PASSWORD.toCharArray()));

    KeyPair kp = KeyPairGenerator.getInstance("EC", provider).generateKeyPair();
    KeyPair caKeys = KeyPairGenerator.getInstance("EC").generateKeyPair();
    X509Certificate ca = selfSigned("CN=Test CA", caKeys);
    X509Certificate leaf = issue("CN=leaf", kp.getPublic(), "CN=Test CA", caKeys.getPrivate());
    ks.setKeyEntry(
        "web",
        kp.getPrivate(),
        PASSWORD.toCharArray(),
        new java.security.cert.Certificate[] {leaf});
    assertEquals(leaf, ks.getCertificate("web"));
    assertEquals(1, ks.getCertificateChain("web").length);
    ks.setKeyEntry(
        "web",
        kp.getPrivate(),
        PASSWORD.toCharArray(),
        new java.security.cert.Certificate[] {leaf, ca});
    assertArrayEquals(
        new java.security.cert.Certificate[] {leaf, ca}, ks.getCertificateChain("web"));
    assertEquals("web", ks.getCertificateAlias(leaf));
    ks.setCertificateEntry("trusted-ca", ca);
    assertTrue(ks.isCertificateEntry("trusted-ca"));
    assertThrows(
        UnrecoverableKeyException.class, () -> ks.getKey("web", "not-the-password".toCharArray()));
    KeyStore.PrivateKeyEntry e =
        (KeyStore.PrivateKeyEntry)
            ks.getEntry("web", new KeyStore.PasswordProtection(PASSWORD.toCharArray()));
    assertEquals(kp.getPrivate(), e.getPrivateKey());

    // a software private key is imported
    KeyPairGenerator jg = KeyPairGenerator.getInstance("RSA");
    jg.initialize(2048);
    KeyPair soft = jg.generateKeyPair();
    X509Certificate softCert = selfSigned("CN=imported", soft);
    ks.setKeyEntry(
        "imported-rsa",
        soft.getPrivate(),
        PASSWORD.toCharArray(),
        new java.security.cert.Certificate[] {softCert});
    PrivateKey imported = (PrivateKey) ks.getKey("imported-rsa", PASSWORD.toCharArray());
    assertInstanceOf(KeyringPrivateKey.class, imported);
    Signature s = Signature.getInstance("SHA256withRSA", provider);
    s.initSign(imported);
    s.update(new byte[] {1});
    byte[] sig = s.sign();
    Signature v = Signature.getInstance("SHA256withRSA");
    v.initVerify(soft.getPublic());
    v.update(new byte[] {1});
    assertTrue(v.verify(sig));

    ks.deleteEntry("web");
    assertFalse(ks.containsAlias("web"));
    ks.store(null, null);
  }

  @Test
  void delayedSelection_givesSoftwareKeysToTheJdk_evenAtPositionOne() throws Exception {
    KeyringProvider first = new KeyringProvider(cluster.clientConfig());
    KeyStore fks = KeyStore.getInstance("Keyring", first);
    fks.load(cluster.slotProperties(KEYRING), PASSWORD.toCharArray());
    Security.insertProviderAt(first, 1);
    try {
      KeyPairGenerator jg = KeyPairGenerator.getInstance("EC", "SunEC");
      KeyPair soft = jg.generateKeyPair();
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(soft.getPrivate());
      assertEquals("SunEC", s.getProvider().getName());
      KeyPair ours = KeyPairGenerator.getInstance("EC", first).generateKeyPair();
      long before = first.operationCount(ProviderOperation.SIGN);
      Signature t = Signature.getInstance("SHA256withECDSA");
      t.initSign(ours.getPrivate());
      t.update(new byte[] {1});
      t.sign();
      assertEquals("Keyring", t.getProvider().getName());
      assertEquals(before + 1, first.operationCount(ProviderOperation.SIGN));
    } finally {
      Security.removeProvider("Keyring");
      first.close();
    }
  }

  @Test
  void macFixedBeforeInit_atPositionOne_computesSoftwareKeysWithTheJdk() throws Exception {
    // JSSE's TLS 1.3 HKDF calls getMacLength() before init(SecretKeySpec): the JDK then picks the
    // first provider without consulting SupportedKeyClasses.
    KeyringProvider first = new KeyringProvider(cluster.clientConfig());
    KeyStore.getInstance("Keyring", first)
        .load(cluster.slotProperties(KEYRING), PASSWORD.toCharArray());
    Security.insertProviderAt(first, 1);
    try {
      SecretKey soft = new SecretKeySpec(new byte[48], "HmacSHA384");
      byte[] data = "hkdf".getBytes(StandardCharsets.UTF_8);
      Mac m = Mac.getInstance("HmacSHA384");
      assertEquals(48, m.getMacLength());
      assertEquals("Keyring", m.getProvider().getName());
      m.init(soft);
      m.update(data);
      Mac jdk = Mac.getInstance("HmacSHA384", "SunJCE");
      jdk.init(soft);
      assertArrayEquals(jdk.doFinal(data), m.doFinal());
      assertEquals(0, first.operationCount(ProviderOperation.MAC));
    } finally {
      Security.removeProvider("Keyring");
      first.close();
    }
  }

  @Test
  void configure_onTheBareProvider_andRandom() throws Exception {
    java.security.Provider bare = new KeyringProvider();
    assertFalse(bare.isConfigured());
    java.security.KeyStoreException unconfigured =
        assertThrows(
            java.security.KeyStoreException.class, () -> KeyStore.getInstance("Keyring", bare));
    assertTrue(
        unconfigured.getCause().getMessage().contains("not configured"),
        unconfigured.getCause().getMessage());
    java.security.Provider p = bare.configure(cluster.clientConfig().toString());
    assertTrue(p.isConfigured());
    KeyStore.getInstance("Keyring", p)
        .load(cluster.slotProperties(KEYRING), PASSWORD.toCharArray());
    java.security.SecureRandom r = java.security.SecureRandom.getInstance("HSM", p);
    byte[] a = new byte[40];
    r.nextBytes(a);
    assertFalse(java.util.Arrays.equals(new byte[40], a));
    ((KeyringProvider) p).close();
    assertThrows(
        java.security.InvalidParameterException.class,
        () -> new KeyringProvider().configure(dir.resolve("missing.conf").toString()));
  }

  @Test
  void withoutGenerators_offersKeyUseOnly() {
    KeyringProvider keysOnly = KeyringProvider.withoutGenerators(cluster.clientConfig());
    try {
      assertNotNull(keysOnly.getService("KeyStore", "Keyring"));
      assertNotNull(keysOnly.getService("Signature", "SHA256withECDSA"));
      assertNull(keysOnly.getService("KeyPairGenerator", "EC"));
      assertNull(keysOnly.getService("KeyGenerator", "AES"));
      assertNull(keysOnly.getService("SecureRandom", "HSM"));
      assertNull(keysOnly.getService("KeyFactory", "EC"));
    } finally {
      keysOnly.close();
    }
  }

  static X509Certificate selfSigned(String dn, KeyPair kp) throws Exception {
    return issue(dn, kp.getPublic(), dn, kp.getPrivate());
  }

  static X509Certificate issue(
      String dn, java.security.PublicKey subject, String issuer, PrivateKey issuerKey)
      throws Exception {
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            new X500Name(issuer),
            BigInteger.valueOf(System.nanoTime()),
            Date.from(now.minusSeconds(60)),
            Date.from(now.plusSeconds(86400)),
            new X500Name(dn),
            subject);
    String alg = issuerKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
    JcaContentSignerBuilder sb = new JcaContentSignerBuilder(alg);
    return new JcaX509CertificateConverter().getCertificate(b.build(sb.build(issuerKey)));
  }
}
