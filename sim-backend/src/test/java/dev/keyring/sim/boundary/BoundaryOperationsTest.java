package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.Digest;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.ObjectRecord;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Round trips and refusals of every operation family of the boundary, checked against the JDK: what
 * the boundary signs, encrypts or MACs is verified, decrypted or recomputed outside with the public
 * key (or the known imported key), and the other way round.
 */
class BoundaryOperationsTest {
  private static final byte[] DATA =
      "the quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8);
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir static Path dir;

  private static TestKeyring kr;
  private static KeyPairObjects rsa2048;
  private static KeyPairObjects rsa3072;

  @BeforeAll
  static void setUp() {
    kr = new TestKeyring(dir);
    rsa2048 =
        kr.boundary.generateKeyPair(
            kr.keyringId,
            KeyGenParams.rsa(2048),
            Attributes.builder().label("rsa2048").build(),
            Attributes.builder().label("rsa2048").build());
    rsa3072 =
        kr.boundary.generateKeyPair(
            kr.keyringId,
            KeyGenParams.rsa(3072),
            Attributes.builder().label("rsa3072").build(),
            Attributes.builder().label("rsa3072").build());
  }

  @AfterAll
  static void tearDown() {
    if (kr != null) {
      kr.close();
    }
  }

  // ---------------------------------------------------------------- helpers

  private static Boundary b() {
    return kr.boundary;
  }

  private static UUID ring() {
    return kr.keyringId;
  }

  private static HsmException assertRefused(ResultCode code, Executable op) {
    HsmException e = assertThrows(HsmException.class, op);
    assertEquals(code, e.code(), () -> "wrong result code: " + e.getMessage());
    return e;
  }

  private static PublicKey publicKey(KeyPairObjects kp) {
    return PublicKeyAttributes.toPublicKey(kp.publicKey().attributes());
  }

  private static byte[] sign(ObjectRecord key, Mechanism m, MechanismParams p, byte[] data) {
    return b().sign(ring(), key.handle(), m, p, data);
  }

  private static boolean jdkVerify(
      String alg, PSSParameterSpec pss, PublicKey pub, byte[] data, byte[] sig) throws Exception {
    Signature s = Signature.getInstance(alg);
    if (pss != null) {
      s.setParameter(pss);
    }
    s.initVerify(pub);
    s.update(data);
    return s.verify(sig);
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static ObjectRecord importAes(byte[] raw, Attributes extra) {
    return kr.importSecretKey(KeyType.AES, raw, extra);
  }

  private static KeyPairObjects generate(KeyGenParams params, Attributes privateTemplate) {
    return b().generateKeyPair(ring(), params, Attributes.empty(), privateTemplate);
  }

  /** Checks the boundary verifies its own signature, and refuses it once altered. */
  private static void assertBoundaryVerifies(
      KeyPairObjects kp, Mechanism m, MechanismParams p, byte[] data, byte[] sig) {
    // with the public key object and with the private key (its public part)
    b().verify(ring(), kp.publicKey().handle(), m, p, data, sig);
    b().verify(ring(), kp.privateKey().handle(), m, p, data, sig);
    byte[] otherData = data.clone();
    otherData[0] ^= 1;
    assertRefused(
        ResultCode.CKR_SIGNATURE_INVALID,
        () -> b().verify(ring(), kp.publicKey().handle(), m, p, otherData, sig));
    byte[] bad = sig.clone();
    bad[bad.length / 2] ^= 0x10;
    assertRefused(
        ResultCode.CKR_SIGNATURE_INVALID,
        () -> b().verify(ring(), kp.publicKey().handle(), m, p, data, bad));
  }

  // ---------------------------------------------------------------- RSA signatures

  @ParameterizedTest
  @ValueSource(ints = {2048, 3072})
  void rsaPkcs1Signatures_verifyWithTheJdk(int bits) throws Exception {
    KeyPairObjects kp = bits == 2048 ? rsa2048 : rsa3072;
    RSAPublicKey pub = (RSAPublicKey) publicKey(kp);
    assertEquals(bits, pub.getModulus().bitLength());
    String[] jdk = {"SHA256withRSA", "SHA384withRSA", "SHA512withRSA"};
    Mechanism[] mechs = {
      Mechanism.CKM_SHA256_RSA_PKCS, Mechanism.CKM_SHA384_RSA_PKCS, Mechanism.CKM_SHA512_RSA_PKCS
    };
    for (int i = 0; i < mechs.length; i++) {
      byte[] sig = sign(kp.privateKey(), mechs[i], MechanismParams.NONE, DATA);
      assertEquals(bits / 8, sig.length);
      assertTrue(jdkVerify(jdk[i], null, pub, DATA, sig), mechs[i].name());
      assertBoundaryVerifies(kp, mechs[i], MechanismParams.NONE, DATA, sig);
      // PKCS#1 v1.5 signatures are deterministic
      assertArrayEquals(sig, sign(kp.privateKey(), mechs[i], MechanismParams.NONE, DATA));
    }
    // a signature of the wrong length is refused as such
    byte[] sig = sign(kp.privateKey(), Mechanism.CKM_SHA256_RSA_PKCS, MechanismParams.NONE, DATA);
    assertRefused(
        ResultCode.CKR_SIGNATURE_LEN_RANGE,
        () ->
            b().verify(
                    ring(),
                    kp.publicKey().handle(),
                    Mechanism.CKM_SHA256_RSA_PKCS,
                    MechanismParams.NONE,
                    DATA,
                    Arrays.copyOf(sig, sig.length - 1)));
  }

  @Test
  void rsaPssSignatures_withDefaultAndExplicitParams_verifyWithTheJdk() throws Exception {
    PublicKey pub = publicKey(rsa2048);
    Mechanism[] mechs = {
      Mechanism.CKM_SHA256_RSA_PKCS_PSS,
      Mechanism.CKM_SHA384_RSA_PKCS_PSS,
      Mechanism.CKM_SHA512_RSA_PKCS_PSS
    };
    for (Mechanism m : mechs) {
      Digest d = m.digest();
      // no parameters: MGF1 with the same hash, salt = hash length
      byte[] sig = sign(rsa2048.privateKey(), m, MechanismParams.NONE, DATA);
      PSSParameterSpec defaults =
          new PSSParameterSpec(
              d.jcaName(), "MGF1", new MGF1ParameterSpec(d.jcaName()), d.length(), 1);
      assertTrue(jdkVerify("RSASSA-PSS", defaults, pub, DATA, sig), m + " default params");
      assertBoundaryVerifies(rsa2048, m, MechanismParams.NONE, DATA, sig);
      // PSS is randomized
      assertFalse(Arrays.equals(sig, sign(rsa2048.privateKey(), m, MechanismParams.NONE, DATA)));
    }
    // explicit: another MGF1 hash and salt length
    MechanismParams.Pss explicit = new MechanismParams.Pss(Digest.SHA256, Digest.SHA512, 20);
    byte[] sig = sign(rsa2048.privateKey(), Mechanism.CKM_SHA256_RSA_PKCS_PSS, explicit, DATA);
    PSSParameterSpec spec =
        new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA512, 20, 1);
    assertTrue(jdkVerify("RSASSA-PSS", spec, pub, DATA, sig));
    assertFalse(
        jdkVerify(
            "RSASSA-PSS",
            new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1),
            pub,
            DATA,
            sig),
        "the explicit parameters were used, not the defaults");
    assertBoundaryVerifies(rsa2048, Mechanism.CKM_SHA256_RSA_PKCS_PSS, explicit, DATA, sig);
    // salt 0: deterministic
    MechanismParams.Pss noSalt = new MechanismParams.Pss(Digest.SHA384, Digest.SHA384, 0);
    byte[] s1 = sign(rsa2048.privateKey(), Mechanism.CKM_SHA384_RSA_PKCS_PSS, noSalt, DATA);
    assertArrayEquals(
        s1, sign(rsa2048.privateKey(), Mechanism.CKM_SHA384_RSA_PKCS_PSS, noSalt, DATA));
    assertTrue(
        jdkVerify(
            "RSASSA-PSS",
            new PSSParameterSpec("SHA-384", "MGF1", MGF1ParameterSpec.SHA384, 0, 1),
            pub,
            DATA,
            s1));

    // a PSS hash that is not the mechanism's is refused
    assertRefused(
        ResultCode.CKR_MECHANISM_PARAM_INVALID,
        () ->
            sign(
                rsa2048.privateKey(),
                Mechanism.CKM_SHA256_RSA_PKCS_PSS,
                MechanismParams.Pss.of(Digest.SHA512),
                DATA));
    assertRefused(
        ResultCode.CKR_MECHANISM_PARAM_INVALID,
        () ->
            sign(
                rsa2048.privateKey(),
                Mechanism.CKM_SHA256_RSA_PKCS_PSS,
                new MechanismParams.Pss(Digest.SHA256, Digest.SHA256, -1),
                DATA));
  }

  @Test
  void rsa4096_generatesAndSigns() throws Exception {
    KeyPairObjects kp = generate(KeyGenParams.rsa(4096), Attributes.builder().label("4k").build());
    RSAPublicKey pub = (RSAPublicKey) publicKey(kp);
    assertEquals(4096, pub.getModulus().bitLength());
    assertEquals(BigInteger.valueOf(65537), pub.getPublicExponent());
    byte[] sig = sign(kp.privateKey(), Mechanism.CKM_SHA512_RSA_PKCS, MechanismParams.NONE, DATA);
    assertTrue(jdkVerify("SHA512withRSA", null, pub, DATA, sig));
  }

  // ---------------------------------------------------------------- EC and Ed25519 signatures

  @ParameterizedTest
  @EnumSource(
      value = Curve.class,
      names = {"P256", "P384", "P521"})
  void ecdsaSignatures_verifyWithTheJdk(Curve curve) throws Exception {
    KeyPairObjects kp = generate(KeyGenParams.ec(curve), Attributes.empty());
    ECPublicKey pub = (ECPublicKey) publicKey(kp);
    assertEquals(curve, PublicKeyAttributes.curveOf(pub.getParams()));
    assertArrayEquals(
        curve.oidDer(), kp.privateKey().attributes().bytes(AttributeType.CKA_ECDSA_PARAMS).get());
    String[] jdk = {"SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA"};
    Mechanism[] mechs = {
      Mechanism.CKM_ECDSA_SHA256, Mechanism.CKM_ECDSA_SHA384, Mechanism.CKM_ECDSA_SHA512
    };
    for (int i = 0; i < mechs.length; i++) {
      byte[] sig = sign(kp.privateKey(), mechs[i], MechanismParams.NONE, DATA);
      assertTrue(jdkVerify(jdk[i], null, pub, DATA, sig), curve + " " + mechs[i]);
      assertBoundaryVerifies(kp, mechs[i], MechanismParams.NONE, DATA, sig);
    }
    // CKM_ECDSA signs a hash computed outside
    for (Digest d : Digest.values()) {
      byte[] hash = MessageDigest.getInstance(d.jcaName()).digest(DATA);
      byte[] sig = sign(kp.privateKey(), Mechanism.CKM_ECDSA, MechanismParams.NONE, hash);
      assertTrue(
          jdkVerify("SHA" + d.jcaName().substring(4) + "withECDSA", null, pub, DATA, sig),
          curve + " prehash " + d);
      b().verify(
              ring(),
              kp.publicKey().handle(),
              Mechanism.CKM_ECDSA,
              MechanismParams.NONE,
              hash,
              sig);
    }
    // a JDK signature verifies in the boundary
    Signature s = Signature.getInstance("SHA256withECDSA");
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec(curve.jcaName()));
    KeyPair jdkPair = g.generateKeyPair();
    ObjectRecord jdkPub = kr.importPublicKey(jdkPair.getPublic());
    s.initSign(jdkPair.getPrivate());
    s.update(DATA);
    b().verify(
            ring(),
            jdkPub.handle(),
            Mechanism.CKM_ECDSA_SHA256,
            MechanismParams.NONE,
            DATA,
            s.sign());
  }

  @Test
  void ed25519Signatures_verifyWithTheJdk() throws Exception {
    KeyPairObjects kp = generate(KeyGenParams.ec(Curve.ED25519), Attributes.empty());
    assertEquals(KeyType.EC_EDWARDS, kp.privateKey().attributes().keyType().orElseThrow());
    PublicKey pub = publicKey(kp);
    byte[] sig = sign(kp.privateKey(), Mechanism.CKM_EDDSA, MechanismParams.NONE, DATA);
    assertEquals(64, sig.length);
    assertTrue(jdkVerify("Ed25519", null, pub, DATA, sig));
    assertArrayEquals(sig, sign(kp.privateKey(), Mechanism.CKM_EDDSA, MechanismParams.NONE, DATA));
    assertBoundaryVerifies(kp, Mechanism.CKM_EDDSA, MechanismParams.NONE, DATA, sig);
  }

  // ---------------------------------------------------------------- AES

  @Test
  void aesGcm_withGeneratedIv_returnsIvCiphertextAndTag_andDecryptsWithoutAnIvParam()
      throws Exception {
    byte[] raw = randomBytes(32);
    ObjectRecord key = importAes(raw, Attributes.empty());
    byte[] out =
        b().encrypt(ring(), key.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA);
    assertEquals(12 + DATA.length + 16, out.length);
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(
        Cipher.DECRYPT_MODE,
        new SecretKeySpec(raw, "AES"),
        new GCMParameterSpec(128, Arrays.copyOf(out, 12)));
    assertArrayEquals(DATA, c.doFinal(out, 12, out.length - 12));
    assertArrayEquals(
        DATA, b().decrypt(ring(), key.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, out));
    // every call a fresh IV
    byte[] again =
        b().encrypt(ring(), key.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA);
    assertFalse(Arrays.equals(Arrays.copyOf(out, 12), Arrays.copyOf(again, 12)));

    // with additional data, IV still generated
    byte[] aad = "header".getBytes(StandardCharsets.UTF_8);
    MechanismParams.Gcm withAad = MechanismParams.Gcm.generatedIv(aad);
    byte[] out2 = b().encrypt(ring(), key.handle(), Mechanism.CKM_AES_GCM, withAad, DATA);
    assertArrayEquals(
        DATA, b().decrypt(ring(), key.handle(), Mechanism.CKM_AES_GCM, withAad, out2));
    assertRefused(
        ResultCode.CKR_ENCRYPTED_DATA_INVALID,
        () -> b().decrypt(ring(), key.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, out2));
    byte[] tampered = out.clone();
    tampered[tampered.length - 1] ^= 1;
    assertRefused(
        ResultCode.CKR_ENCRYPTED_DATA_INVALID,
        () ->
            b().decrypt(
                    ring(), key.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, tampered));
  }

  @Test
  void aesGcm_withAGivenIv_matchesTheJdkBothWays() throws Exception {
    byte[] raw = randomBytes(32);
    ObjectRecord key = importAes(raw, Attributes.empty());
    byte[] iv = randomBytes(12);
    byte[] aad = randomBytes(20);
    MechanismParams.Gcm p = new MechanismParams.Gcm(iv, aad, 128);
    byte[] ct = b().encrypt(ring(), key.handle(), Mechanism.CKM_AES_GCM, p, DATA);
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(raw, "AES"), new GCMParameterSpec(128, iv));
    c.updateAAD(aad);
    byte[] jdk = c.doFinal(DATA);
    assertArrayEquals(jdk, ct, "no IV in front when the caller gave one");
    assertArrayEquals(DATA, b().decrypt(ring(), key.handle(), Mechanism.CKM_AES_GCM, p, jdk));

    // a 96-bit tag
    MechanismParams.Gcm shortTag = new MechanismParams.Gcm(iv, null, 96);
    byte[] ct96 = b().encrypt(ring(), key.handle(), Mechanism.CKM_AES_GCM, shortTag, DATA);
    assertEquals(DATA.length + 12, ct96.length);
    assertArrayEquals(
        DATA, b().decrypt(ring(), key.handle(), Mechanism.CKM_AES_GCM, shortTag, ct96));
    assertRefused(
        ResultCode.CKR_MECHANISM_PARAM_INVALID,
        () ->
            b().encrypt(
                    ring(),
                    key.handle(),
                    Mechanism.CKM_AES_GCM,
                    new MechanismParams.Gcm(iv, null, 64),
                    DATA));
  }

  @Test
  void aesCbcPad_matchesTheJdkBothWays() throws Exception {
    byte[] raw = randomBytes(16);
    ObjectRecord key = importAes(raw, Attributes.empty());
    SecretKeySpec k = new SecretKeySpec(raw, "AES");

    // generated IV, prepended
    byte[] out =
        b().encrypt(ring(), key.handle(), Mechanism.CKM_AES_CBC_PAD, MechanismParams.NONE, DATA);
    assertEquals(16 + (DATA.length / 16 + 1) * 16, out.length);
    Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
    c.init(Cipher.DECRYPT_MODE, k, new IvParameterSpec(Arrays.copyOf(out, 16)));
    assertArrayEquals(DATA, c.doFinal(out, 16, out.length - 16));
    assertArrayEquals(
        DATA,
        b().decrypt(ring(), key.handle(), Mechanism.CKM_AES_CBC_PAD, MechanismParams.NONE, out));

    // given IV, JDK encrypts, boundary decrypts; and the boundary's ciphertext equals the JDK's
    byte[] iv = randomBytes(16);
    c.init(Cipher.ENCRYPT_MODE, k, new IvParameterSpec(iv));
    byte[] jdk = c.doFinal(DATA);
    MechanismParams.Cbc p = new MechanismParams.Cbc(iv);
    assertArrayEquals(jdk, b().encrypt(ring(), key.handle(), Mechanism.CKM_AES_CBC_PAD, p, DATA));
    assertArrayEquals(DATA, b().decrypt(ring(), key.handle(), Mechanism.CKM_AES_CBC_PAD, p, jdk));

    // bad padding and bad lengths
    byte[] badPad = jdk.clone();
    badPad[badPad.length - 1] ^= 0x55;
    assertRefused(
        ResultCode.CKR_ENCRYPTED_DATA_INVALID,
        () -> b().decrypt(ring(), key.handle(), Mechanism.CKM_AES_CBC_PAD, p, badPad));
    assertRefused(
        ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE,
        () ->
            b().decrypt(
                    ring(),
                    key.handle(),
                    Mechanism.CKM_AES_CBC_PAD,
                    p,
                    Arrays.copyOf(jdk, jdk.length - 1)));
    assertRefused(
        ResultCode.CKR_MECHANISM_PARAM_INVALID,
        () ->
            b().encrypt(
                    ring(),
                    key.handle(),
                    Mechanism.CKM_AES_CBC_PAD,
                    new MechanismParams.Cbc(new byte[8]),
                    DATA));
  }

  // ---------------------------------------------------------------- RSA encryption

  @ParameterizedTest
  @EnumSource(Digest.class)
  void rsaOaep_encryptedByTheBoundaryOrTheJdk_decryptsInTheBoundary(Digest d) throws Exception {
    PublicKey pub = publicKey(rsa2048);
    byte[] label = d == Digest.SHA384 ? "a label".getBytes(StandardCharsets.UTF_8) : null;
    MechanismParams.Oaep p = new MechanismParams.Oaep(d, d, label);
    byte[] msg = Arrays.copyOf(DATA, 40);
    long priv = rsa2048.privateKey().handle();

    // the boundary encrypts, with the public key object or the private key's public part
    for (long handle : new long[] {rsa2048.publicKey().handle(), priv}) {
      byte[] ct = b().encrypt(ring(), handle, Mechanism.CKM_RSA_PKCS_OAEP, p, msg);
      assertEquals(256, ct.length);
      assertArrayEquals(msg, b().decrypt(ring(), priv, Mechanism.CKM_RSA_PKCS_OAEP, p, ct));
    }
    // the JDK encrypts
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
    c.init(
        Cipher.ENCRYPT_MODE,
        pub,
        new OAEPParameterSpec(
            d.jcaName(),
            "MGF1",
            new MGF1ParameterSpec(d.jcaName()),
            label == null ? PSource.PSpecified.DEFAULT : new PSource.PSpecified(label)));
    byte[] ct = c.doFinal(msg);
    assertArrayEquals(msg, b().decrypt(ring(), priv, Mechanism.CKM_RSA_PKCS_OAEP, p, ct));

    // other parameters do not decrypt it
    Digest other = d == Digest.SHA256 ? Digest.SHA512 : Digest.SHA256;
    assertRefused(
        ResultCode.CKR_ENCRYPTED_DATA_INVALID,
        () ->
            b().decrypt(
                    ring(),
                    priv,
                    Mechanism.CKM_RSA_PKCS_OAEP,
                    new MechanismParams.Oaep(other, other, label),
                    ct));
    // OAEP needs its parameters
    assertRefused(
        ResultCode.CKR_MECHANISM_PARAM_INVALID,
        () -> b().decrypt(ring(), priv, Mechanism.CKM_RSA_PKCS_OAEP, MechanismParams.NONE, ct));
    // too long for the modulus
    assertRefused(
        ResultCode.CKR_DATA_LEN_RANGE,
        () -> b().encrypt(ring(), priv, Mechanism.CKM_RSA_PKCS_OAEP, p, new byte[250]));
  }

  @Test
  void rsaPkcs1v15_decryptsAJdkCiphertext_butDoesNotEncrypt() throws Exception {
    Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
    c.init(Cipher.ENCRYPT_MODE, publicKey(rsa3072));
    byte[] ct = c.doFinal(DATA);
    long priv = rsa3072.privateKey().handle();
    assertArrayEquals(
        DATA, b().decrypt(ring(), priv, Mechanism.CKM_RSA_PKCS, MechanismParams.NONE, ct));
    byte[] bad = ct.clone();
    bad[5] ^= 1;
    assertRefused(
        ResultCode.CKR_ENCRYPTED_DATA_INVALID,
        () -> b().decrypt(ring(), priv, Mechanism.CKM_RSA_PKCS, MechanismParams.NONE, bad));
    assertRefused(
        ResultCode.CKR_MECHANISM_INVALID,
        () -> b().encrypt(ring(), priv, Mechanism.CKM_RSA_PKCS, MechanismParams.NONE, DATA));
  }

  // ---------------------------------------------------------------- HMAC

  @Test
  void hmac_matchesTheJdk_andVerifies() throws Exception {
    byte[] raw = randomBytes(32);
    ObjectRecord key = kr.importSecretKey(KeyType.GENERIC_SECRET, raw, Attributes.empty());
    Mechanism[] mechs = {
      Mechanism.CKM_SHA256_HMAC, Mechanism.CKM_SHA384_HMAC, Mechanism.CKM_SHA512_HMAC
    };
    for (Mechanism m : mechs) {
      String alg = "Hmac" + m.digest().name();
      Mac mac = Mac.getInstance(alg);
      mac.init(new SecretKeySpec(raw, alg));
      byte[] expected = mac.doFinal(DATA);
      byte[] got = b().sign(ring(), key.handle(), m, MechanismParams.NONE, DATA);
      assertArrayEquals(expected, got, m.name());
      b().verify(ring(), key.handle(), m, MechanismParams.NONE, DATA, expected);
      byte[] bad = expected.clone();
      bad[0] ^= 1;
      assertRefused(
          ResultCode.CKR_SIGNATURE_INVALID,
          () -> b().verify(ring(), key.handle(), m, MechanismParams.NONE, DATA, bad));
      assertRefused(
          ResultCode.CKR_SIGNATURE_LEN_RANGE,
          () ->
              b().verify(
                      ring(),
                      key.handle(),
                      m,
                      MechanismParams.NONE,
                      DATA,
                      Arrays.copyOf(expected, 16)));
    }
  }

  // ---------------------------------------------------------------- ECDH

  @Test
  void ecdhDerive_matchesAJdkEcdhWithThePeer() throws Exception {
    // a key-agreement key: an EC key without CKA_SIGN
    KeyPairObjects mine =
        generate(
            KeyGenParams.ec(Curve.P256),
            Attributes.builder().flag(AttributeType.CKA_SIGN, false).build());
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair peer = g.generateKeyPair();
    KeyAgreement ka = KeyAgreement.getInstance("ECDH");
    ka.init(peer.getPrivate());
    ka.doPhase(publicKey(mine), true);
    byte[] shared = ka.generateSecret();
    assertEquals(32, shared.length);

    // peer as SPKI, derived as a generic secret usable for HMAC
    ObjectRecord derived =
        b().deriveKey(
                ring(),
                mine.privateKey().handle(),
                Mechanism.CKM_ECDH1_DERIVE,
                new MechanismParams.Ecdh(peer.getPublic().getEncoded()),
                Attributes.builder().label("ecdh").build());
    assertEquals(ObjectClass.SECRET_KEY, derived.objectClass());
    assertEquals(KeyType.GENERIC_SECRET, derived.attributes().keyType().orElseThrow());
    assertFalse(derived.attributes().has(AttributeType.CKA_VALUE));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(shared, "HmacSHA256"));
    assertArrayEquals(
        mac.doFinal(DATA),
        b().sign(ring(), derived.handle(), Mechanism.CKM_SHA256_HMAC, MechanismParams.NONE, DATA));

    // peer as an uncompressed point, derived as an AES key
    byte[] point =
        PublicKeyAttributes.uncompressed(((ECPublicKey) peer.getPublic()).getW(), Curve.P256);
    ObjectRecord aes =
        b().deriveKey(
                ring(),
                mine.privateKey().handle(),
                Mechanism.CKM_ECDH1_DERIVE,
                new MechanismParams.Ecdh(point),
                Attributes.builder().keyType(KeyType.AES).build());
    byte[] iv = randomBytes(12);
    byte[] ct =
        b().encrypt(
                ring(),
                aes.handle(),
                Mechanism.CKM_AES_GCM,
                new MechanismParams.Gcm(iv, null, 128),
                DATA);
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(shared, "AES"), new GCMParameterSpec(128, iv));
    assertArrayEquals(DATA, c.doFinal(ct));

    // a peer on another curve, or a point not on the curve, is refused
    KeyPairGenerator g384 = KeyPairGenerator.getInstance("EC");
    g384.initialize(new ECGenParameterSpec("secp384r1"));
    byte[] otherCurve = g384.generateKeyPair().getPublic().getEncoded();
    assertRefused(
        ResultCode.CKR_MECHANISM_PARAM_INVALID,
        () ->
            b().deriveKey(
                    ring(),
                    mine.privateKey().handle(),
                    Mechanism.CKM_ECDH1_DERIVE,
                    new MechanismParams.Ecdh(otherCurve),
                    Attributes.empty()));
    byte[] offCurve = point.clone();
    offCurve[offCurve.length - 1] ^= 1;
    assertRefused(
        ResultCode.CKR_MECHANISM_PARAM_INVALID,
        () ->
            b().deriveKey(
                    ring(),
                    mine.privateKey().handle(),
                    Mechanism.CKM_ECDH1_DERIVE,
                    new MechanismParams.Ecdh(offCurve),
                    Attributes.empty()));
    // only EC private keys derive
    assertRefused(
        ResultCode.CKR_KEY_TYPE_INCONSISTENT,
        () ->
            b().deriveKey(
                    ring(),
                    rsa2048.privateKey().handle(),
                    Mechanism.CKM_ECDH1_DERIVE,
                    new MechanismParams.Ecdh(point),
                    Attributes.empty()));
  }

  // ---------------------------------------------------------------- wrap / unwrap

  @Test
  void wrapAndUnwrapKwp_ofASecretKey_roundTrips() throws Exception {
    ObjectRecord wrapper =
        b().generateKey(
                ring(),
                KeyGenParams.aes(256),
                Attributes.builder()
                    .label("kek")
                    .flag(AttributeType.CKA_WRAP, true)
                    .flag(AttributeType.CKA_UNWRAP, true)
                    .build());
    byte[] targetRaw = randomBytes(48);
    ObjectRecord target = kr.importSecretKey(KeyType.GENERIC_SECRET, targetRaw, Attributes.empty());

    byte[] wrapped =
        b().wrapKey(
                ring(),
                wrapper.handle(),
                Mechanism.CKM_AES_KEY_WRAP_KWP,
                MechanismParams.NONE,
                target.handle());
    assertEquals(48 + 8, wrapped.length, "AES-KWP adds one 8-byte block to 48 bytes");

    ObjectRecord back =
        b().unwrapKey(
                ring(),
                wrapper.handle(),
                Mechanism.CKM_AES_KEY_WRAP_KWP,
                MechanismParams.NONE,
                wrapped,
                Attributes.builder()
                    .objectClass(ObjectClass.SECRET_KEY)
                    .keyType(KeyType.GENERIC_SECRET)
                    .label("unwrapped")
                    .build());
    assertNotEquals(target.handle(), back.handle());
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(targetRaw, "HmacSHA256"));
    assertArrayEquals(
        mac.doFinal(DATA),
        b().sign(ring(), back.handle(), Mechanism.CKM_SHA256_HMAC, MechanismParams.NONE, DATA),
        "the unwrapped copy is the wrapped key");

    // a damaged wrapped key is refused
    byte[] bad = wrapped.clone();
    bad[3] ^= 1;
    assertRefused(
        ResultCode.CKR_WRAPPED_KEY_INVALID,
        () ->
            b().unwrapKey(
                    ring(),
                    wrapper.handle(),
                    Mechanism.CKM_AES_KEY_WRAP_KWP,
                    MechanismParams.NONE,
                    bad,
                    Attributes.builder()
                        .objectClass(ObjectClass.SECRET_KEY)
                        .keyType(KeyType.GENERIC_SECRET)
                        .build()));
  }

  @Test
  void unwrapRsaOaep_ofAKeyWrappedOutside_underTheKeyringsPublicKey() throws Exception {
    KeyPairObjects rsaKek =
        b().generateKeyPair(
                ring(),
                KeyGenParams.rsa(2048),
                Attributes.empty(),
                Attributes.builder().flag(AttributeType.CKA_UNWRAP, true).build());
    byte[] targetRaw = randomBytes(32);
    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
    oaep.init(
        Cipher.ENCRYPT_MODE,
        publicKey(rsaKek),
        new OAEPParameterSpec(
            "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    ObjectRecord viaRsa =
        b().unwrapKey(
                ring(),
                rsaKek.privateKey().handle(),
                Mechanism.CKM_RSA_PKCS_OAEP,
                new MechanismParams.Oaep(Digest.SHA256, Digest.SHA256, null),
                oaep.doFinal(targetRaw),
                Attributes.builder()
                    .objectClass(ObjectClass.SECRET_KEY)
                    .keyType(KeyType.GENERIC_SECRET)
                    .build());
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(targetRaw, "HmacSHA256"));
    assertArrayEquals(
        mac.doFinal(DATA),
        b().sign(ring(), viaRsa.handle(), Mechanism.CKM_SHA256_HMAC, MechanismParams.NONE, DATA));
  }

  @Test
  void wrapKey_ofAPrivateKey_isRefusedAsUnextractable() {
    ObjectRecord wrapper =
        b().generateKey(
                ring(),
                KeyGenParams.aes(256),
                Attributes.builder().flag(AttributeType.CKA_WRAP, true).build());
    KeyPairObjects ec = generate(KeyGenParams.ec(Curve.P256), Attributes.empty());
    for (ObjectRecord priv : List.of(ec.privateKey(), rsa2048.privateKey())) {
      HsmException e =
          assertRefused(
              ResultCode.CKR_KEY_UNEXTRACTABLE,
              () ->
                  b().wrapKey(
                          ring(),
                          wrapper.handle(),
                          Mechanism.CKM_AES_KEY_WRAP_KWP,
                          MechanismParams.NONE,
                          priv.handle()));
      assertTrue(e.detail().contains("never"), e.detail());
    }
  }

  // ---------------------------------------------------------------- permissions

  @Test
  void sign_withCkaSignFalse_isNotPermitted() {
    KeyPairObjects kp =
        generate(
            KeyGenParams.ec(Curve.P256),
            Attributes.builder().flag(AttributeType.CKA_SIGN, false).build());
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () -> sign(kp.privateKey(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA));
    // an AES key has no CKA_SIGN by default
    ObjectRecord aes = b().generateKey(ring(), KeyGenParams.aes(128), Attributes.empty());
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () -> sign(aes, Mechanism.CKM_SHA256_HMAC, MechanismParams.NONE, DATA));
  }

  @Test
  void decrypt_withoutCkaDecrypt_isNotPermitted() throws Exception {
    ObjectRecord aes =
        b().generateKey(
                ring(),
                KeyGenParams.aes(256),
                Attributes.builder().flag(AttributeType.CKA_DECRYPT, false).build());
    byte[] ct = new byte[12 + 16 + 16];
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () -> b().decrypt(ring(), aes.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, ct));
    KeyPairObjects rsa =
        generate(
            KeyGenParams.rsa(2048),
            Attributes.builder().flag(AttributeType.CKA_DECRYPT, false).build());
    Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
    c.init(Cipher.ENCRYPT_MODE, publicKey(rsa));
    byte[] rsaCt = c.doFinal(DATA);
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () ->
            b().decrypt(
                    ring(),
                    rsa.privateKey().handle(),
                    Mechanism.CKM_RSA_PKCS,
                    MechanismParams.NONE,
                    rsaCt));
  }

  @Test
  void unwrap_withoutCkaUnwrap_andWrap_withoutCkaWrap_areNotPermitted() {
    byte[] raw = randomBytes(32);
    ObjectRecord plain = importAes(raw, Attributes.empty()); // CKA_WRAP and CKA_UNWRAP false
    ObjectRecord target = b().generateKey(ring(), KeyGenParams.aes(128), Attributes.empty());
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () ->
            b().unwrapKey(
                    ring(),
                    plain.handle(),
                    Mechanism.CKM_AES_KEY_WRAP_KWP,
                    MechanismParams.NONE,
                    new byte[40],
                    Attributes.builder()
                        .objectClass(ObjectClass.SECRET_KEY)
                        .keyType(KeyType.AES)
                        .build()));
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () ->
            b().wrapKey(
                    ring(),
                    plain.handle(),
                    Mechanism.CKM_AES_KEY_WRAP_KWP,
                    MechanismParams.NONE,
                    target.handle()));
  }

  @Test
  void keyOfTheWrongTypeForTheMechanism_isInconsistent() {
    KeyPairObjects ec = generate(KeyGenParams.ec(Curve.P256), Attributes.empty());
    ObjectRecord aes = b().generateKey(ring(), KeyGenParams.aes(256), Attributes.empty());
    assertRefused(
        ResultCode.CKR_KEY_TYPE_INCONSISTENT,
        () -> sign(ec.privateKey(), Mechanism.CKM_SHA256_RSA_PKCS, MechanismParams.NONE, DATA));
    assertRefused(
        ResultCode.CKR_KEY_TYPE_INCONSISTENT,
        () -> sign(rsa2048.privateKey(), Mechanism.CKM_EDDSA, MechanismParams.NONE, DATA));
    assertRefused(
        ResultCode.CKR_KEY_TYPE_INCONSISTENT,
        () ->
            b().encrypt(
                    ring(),
                    ec.privateKey().handle(),
                    Mechanism.CKM_AES_GCM,
                    MechanismParams.NONE,
                    DATA));
    assertRefused(
        ResultCode.CKR_KEY_TYPE_INCONSISTENT,
        () ->
            b().encrypt(
                    ring(),
                    aes.handle(),
                    Mechanism.CKM_RSA_PKCS_OAEP,
                    new MechanismParams.Oaep(Digest.SHA256, Digest.SHA256, null),
                    DATA));
    assertRefused(
        ResultCode.CKR_KEY_TYPE_INCONSISTENT,
        () ->
            b().verify(
                    ring(),
                    aes.handle(),
                    Mechanism.CKM_ECDSA_SHA256,
                    MechanismParams.NONE,
                    DATA,
                    new byte[64]));
    assertRefused(
        ResultCode.CKR_KEY_TYPE_INCONSISTENT,
        () ->
            b().decrypt(
                    ring(),
                    rsa2048.privateKey().handle(),
                    Mechanism.CKM_AES_GCM,
                    MechanismParams.NONE,
                    new byte[40]));
    // the public key object cannot sign
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () -> sign(ec.publicKey(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA));
    // a mechanism that is not for signing
    assertRefused(
        ResultCode.CKR_MECHANISM_INVALID,
        () -> sign(ec.privateKey(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA));
  }

  @Test
  void unknownHandle_isInvalid() {
    long nope = 987_654_321L;
    assertRefused(
        ResultCode.CKR_OBJECT_HANDLE_INVALID,
        () -> b().sign(ring(), nope, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA));
    assertRefused(
        ResultCode.CKR_OBJECT_HANDLE_INVALID,
        () -> b().encrypt(ring(), nope, Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA));
    assertRefused(
        ResultCode.CKR_OBJECT_HANDLE_INVALID,
        () -> b().setAttributes(ring(), nope, Attributes.builder().label("x").build()));
    assertRefused(ResultCode.CKR_OBJECT_HANDLE_INVALID, () -> b().destroyObject(ring(), nope));
    // a handle of this keyring, asked for in another keyring
    long real = rsa2048.privateKey().handle();
    assertRefused(
        ResultCode.CKR_OBJECT_HANDLE_INVALID,
        () ->
            b().sign(
                    UUID.randomUUID(),
                    real,
                    Mechanism.CKM_SHA256_RSA_PKCS,
                    MechanismParams.NONE,
                    DATA));
  }

  // ---------------------------------------------------------------- templates

  @Test
  void valueGivenForAGeneratedKey_isInconsistent() {
    Attributes withValue = Attributes.builder().set(AttributeType.CKA_VALUE, new byte[32]).build();
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () -> b().generateKey(ring(), KeyGenParams.aes(256), withValue));
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () ->
            b().generateKeyPair(
                    ring(), KeyGenParams.ec(Curve.P256), Attributes.empty(), withValue));
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () ->
            b().generateKeyPair(
                    ring(),
                    KeyGenParams.ec(Curve.P256),
                    Attributes.builder()
                        .set(AttributeType.CKA_EC_POINT, new byte[] {4, 1, 2})
                        .build(),
                    Attributes.empty()));
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () ->
            b().generateKey(
                    ring(),
                    KeyGenParams.aes(256),
                    Attributes.builder().keyType(KeyType.GENERIC_SECRET).build()));
  }

  @Test
  void privateAndSecretKeys_cannotBeCreatedInTheClear() {
    for (ObjectClass c : List.of(ObjectClass.PRIVATE_KEY, ObjectClass.SECRET_KEY)) {
      int before = kr.store.objectCount(ring());
      HsmException e =
          assertRefused(
              ResultCode.CKR_TEMPLATE_INCONSISTENT,
              () ->
                  b().createObject(
                          ring(),
                          Attributes.builder()
                              .objectClass(c)
                              .keyType(c == ObjectClass.SECRET_KEY ? KeyType.AES : KeyType.EC)
                              .set(AttributeType.CKA_VALUE, new byte[32])
                              .build()));
      assertTrue(e.detail().contains("unwrapKey"), e.detail());
      assertEquals(before, kr.store.objectCount(ring()));
    }
  }

  @Test
  void certificateWithBadDer_isRefused() {
    assertRefused(
        ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
        () ->
            b().createObject(
                    ring(),
                    Attributes.builder()
                        .objectClass(ObjectClass.CERTIFICATE)
                        .set(AttributeType.CKA_VALUE, new byte[] {0x30, 0x03, 0x02, 0x01, 0x01})
                        .build()));
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCOMPLETE,
        () ->
            b().createObject(
                    ring(), Attributes.builder().objectClass(ObjectClass.CERTIFICATE).build()));
    // a data object works and has no blob
    ObjectRecord data =
        b().createObject(
                ring(),
                Attributes.builder()
                    .objectClass(ObjectClass.DATA)
                    .label("data")
                    .set(AttributeType.CKA_VALUE, new byte[] {1, 2, 3})
                    .build());
    assertEquals(null, data.blob());
    assertTrue(data.attributes().flag(AttributeType.CKA_TOKEN, false));
  }

  @Test
  void setAttributes_onLabelWorksAndKeepsTheKeyUsable_onSignIsReadOnly() throws Exception {
    KeyPairObjects kp =
        generate(KeyGenParams.ec(Curve.P256), Attributes.builder().label("before").build());
    ObjectRecord priv = kp.privateKey();
    byte[] blobBefore = priv.blob();
    ObjectRecord updated =
        b().setAttributes(ring(), priv.handle(), Attributes.builder().label("after").build());
    assertEquals("after", updated.attributes().label().orElseThrow());
    ObjectRecord stored = kr.store.object(ring(), priv.handle()).orElseThrow();
    assertEquals("after", stored.attributes().label().orElseThrow());
    assertFalse(Arrays.equals(blobBefore, stored.blob()), "the blob is sealed again");

    // usable, from the cache and after a reload from the store
    byte[] sig = sign(priv, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
    assertTrue(jdkVerify("SHA256withECDSA", null, publicKey(kp), DATA, sig));
    b().evictKeyring(ring());
    sig = sign(priv, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
    assertTrue(jdkVerify("SHA256withECDSA", null, publicKey(kp), DATA, sig));

    for (AttributeType t :
        List.of(
            AttributeType.CKA_SIGN,
            AttributeType.CKA_DECRYPT,
            AttributeType.CKA_UNWRAP,
            AttributeType.CKA_WRAP)) {
      assertRefused(
          ResultCode.CKR_ATTRIBUTE_READ_ONLY,
          () ->
              b().setAttributes(ring(), priv.handle(), Attributes.builder().flag(t, true).build()));
    }
    assertRefused(
        ResultCode.CKR_ATTRIBUTE_READ_ONLY,
        () ->
            b().setAttributes(
                    ring(),
                    priv.handle(),
                    Attributes.builder().keyType(KeyType.EC_EDWARDS).build()));
    assertEquals(
        stored.attributes(), kr.store.object(ring(), priv.handle()).orElseThrow().attributes());
  }

  @Test
  void destroyObject_removesIt_andEvictsItFromTheCache() {
    ObjectRecord key = b().generateKey(ring(), KeyGenParams.aes(256), Attributes.empty());
    b().encrypt(ring(), key.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA); // cached
    long missesBefore = b().cacheStats().misses();
    b().destroyObject(ring(), key.handle());
    assertTrue(kr.store.object(ring(), key.handle()).isEmpty());
    assertRefused(
        ResultCode.CKR_OBJECT_HANDLE_INVALID,
        () -> b().encrypt(ring(), key.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA));
    assertEquals(missesBefore + 1, b().cacheStats().misses(), "not served from the cache");
    assertRefused(
        ResultCode.CKR_OBJECT_HANDLE_INVALID, () -> b().destroyObject(ring(), key.handle()));
  }

  @Test
  void objectBeyondTheKeyringLimit_isRefusedWithDeviceMemory_andNothingChanges() {
    UUID full = UUID.randomUUID();
    kr.store.write(
        tx ->
            tx.createKeyrings(
                kr.clusterId,
                List.of(
                    new KeyringRecord(
                        full,
                        kr.clusterId,
                        "full-" + full,
                        "unused-verifier",
                        false,
                        true,
                        false,
                        0,
                        Instant.now()))));
    int max = KeyringLimits.MAX_OBJECTS_PER_KEYRING;
    assertEquals(256, max);
    long lastHandle = 0;
    for (int i = 0; i < max - 1; i++) {
      lastHandle =
          b().createObject(
                  full,
                  Attributes.builder()
                      .objectClass(ObjectClass.DATA)
                      .label("d" + i)
                      .set(AttributeType.CKA_VALUE, new byte[] {(byte) i})
                      .build())
              .handle();
    }
    assertEquals(max - 1, kr.store.objectCount(full));

    // one slot left: a key pair needs two, and neither half is kept
    String digest = kr.store.stateDigest();
    assertRefused(
        ResultCode.CKR_DEVICE_MEMORY,
        () ->
            b().generateKeyPair(
                    full, KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty()));
    assertEquals(max - 1, kr.store.objectCount(full));
    assertEquals(digest, kr.store.stateDigest());

    // the 256th fits
    ObjectRecord last = b().generateKey(full, KeyGenParams.aes(128), Attributes.empty());
    assertEquals(max, kr.store.objectCount(full));

    // the 257th, of any kind, does not
    String fullDigest = kr.store.stateDigest();
    assertRefused(
        ResultCode.CKR_DEVICE_MEMORY,
        () -> b().generateKey(full, KeyGenParams.aes(256), Attributes.empty()));
    assertRefused(
        ResultCode.CKR_DEVICE_MEMORY,
        () ->
            b().createObject(
                    full,
                    Attributes.builder()
                        .objectClass(ObjectClass.DATA)
                        .set(AttributeType.CKA_VALUE, new byte[] {1})
                        .build()));
    assertEquals(max, kr.store.objectCount(full));
    assertEquals(fullDigest, kr.store.stateDigest());

    // what is there still works, and freeing a slot makes room again
    b().encrypt(full, last.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA);
    b().destroyObject(full, lastHandle);
    b().createObject(
            full,
            Attributes.builder()
                .objectClass(ObjectClass.DATA)
                .set(AttributeType.CKA_VALUE, new byte[] {2})
                .build());
    assertEquals(max, kr.store.objectCount(full));
  }

  @Test
  void random_ofLength0Or65537_isRefused() {
    assertRefused(ResultCode.CKR_ARGUMENTS_BAD, () -> b().random(0));
    assertRefused(ResultCode.CKR_ARGUMENTS_BAD, () -> b().random(65537));
    assertRefused(ResultCode.CKR_ARGUMENTS_BAD, () -> b().random(-1));
    assertEquals(1, b().random(1).length);
    byte[] max = b().random(65536);
    assertEquals(65536, max.length);
    assertFalse(Arrays.equals(max, new byte[65536]));
    assertFalse(Arrays.equals(b().random(32), b().random(32)));
  }

  // ---------------------------------------------------------------- cache

  @Test
  void cache_firstSignAfterGenerateIsAHit_andAfterEvictKeyringAMissThenHits() {
    KeyPairObjects kp = generate(KeyGenParams.ec(Curve.P256), Attributes.empty());
    CacheStats s0 = b().cacheStats();
    sign(kp.privateKey(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
    CacheStats s1 = b().cacheStats();
    assertEquals(s0.hits() + 1, s1.hits(), "first sign after generate is a hit");
    assertEquals(s0.misses(), s1.misses());

    ObjectRecord aes = b().generateKey(ring(), KeyGenParams.aes(256), Attributes.empty());
    b().encrypt(ring(), aes.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA);
    CacheStats s2 = b().cacheStats();
    assertEquals(s1.hits() + 1, s2.hits(), "first use after generateKey is a hit");
    assertEquals(s1.misses(), s2.misses());

    b().evictKeyring(ring());
    sign(kp.privateKey(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
    CacheStats s3 = b().cacheStats();
    assertEquals(s2.misses() + 1, s3.misses(), "after evictKeyring the next sign is a miss");
    assertEquals(s2.hits(), s3.hits());
    sign(kp.privateKey(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
    sign(kp.privateKey(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
    CacheStats s4 = b().cacheStats();
    assertEquals(s3.hits() + 2, s4.hits(), "then hits again");
    assertEquals(s3.misses(), s4.misses());

    // evictObject drops that one key only
    b().encrypt(ring(), aes.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA); // miss
    b().evictObject(ring(), aes.handle());
    CacheStats s5 = b().cacheStats();
    sign(kp.privateKey(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA); // hit
    b().encrypt(ring(), aes.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA); // miss
    CacheStats s6 = b().cacheStats();
    assertEquals(s5.hits() + 1, s6.hits());
    assertEquals(s5.misses() + 1, s6.misses());
  }
}
