package dev.keyring.e2e.provider;

import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.testing.wycheproof.WycheproofRejection;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;

/**
 * How one kind of Wycheproof test runs through the Keyring JCA provider: which cases the provider
 * deliberately does not offer ({@link #notCovered}), and how a case runs ({@link #run}). Every
 * engine is asked for by name <em>from the Keyring provider</em> ({@code getInstance(alg,
 * provider)}), so the operation under test happens on the cluster, never in the JDK; the JDK only
 * decodes inputs, checks outputs and computes values a keyring never reveals.
 *
 * <p>{@link #run} returns when the operation succeeded with the expected output, throws {@link
 * WycheproofRejection} when the provider refused it in a documented way, and throws anything else
 * (an {@link AssertionError} for a wrong output) when the case fails whatever its result.
 */
enum WycheproofProviderFamily {
  AES_GCM("AeadTest", ProviderOperation.DECRYPT) {
    @Override
    String notCovered(WycheproofCase c) {
      String key = aesKeySize(c.group.path("keySize").asInt());
      if (key != null) {
        return key;
      }
      int tag = c.group.path("tagSize").asInt();
      if (tag < 96 || tag > 128 || tag % 8 != 0) {
        return "GCM tag of " + tag + " bits: the provider takes 96 to 128 bits in steps of 8";
      }
      return null;
    }

    @Override
    void run(WycheproofCase c) throws Exception {
      SecretKey key = c.keyring.secretKey("AES", c.hex("key"));
      byte[] iv = c.hex("iv");
      byte[] aad = c.hex("aad");
      byte[] msg = c.hex("msg");
      byte[] ctTag = concat(c.hex("ct"), c.hex("tag"));
      int tagBits = c.group.path("tagSize").asInt();
      Cipher d = Cipher.getInstance("AES/GCM/NoPadding", c.provider());
      try {
        d.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(tagBits, iv));
      } catch (InvalidAlgorithmParameterException e) {
        // an empty IV: refused at init, as by the JDK
        throw WycheproofRejection.by("init", e);
      }
      d.updateAAD(aad);
      byte[] plain;
      try {
        plain = d.doFinal(ctTag);
      } catch (AEADBadTagException e) {
        throw WycheproofRejection.by("doFinal", unlessUnreachable(e));
      }
      c.expectEqual("decrypted plaintext", msg, plain);
      Cipher e = Cipher.getInstance("AES/GCM/NoPadding", c.provider());
      e.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(tagBits, iv));
      e.updateAAD(aad);
      c.expectEqual("ct || tag from encrypting with the vector's IV", ctTag, e.doFinal(msg));
    }
  },

  AES_KWP("KeywrapTest", ProviderOperation.UNWRAP) {
    @Override
    String notCovered(WycheproofCase c) {
      String key = aesKeySize(c.group.path("keySize").asInt());
      if (key != null) {
        return key;
      }
      int len = c.test.path("msg").asText().length() / 2;
      if (!"invalid".equals(c.test.path("result").asText())
          && (len < MIN_GENERIC_SECRET || len > MAX_GENERIC_SECRET)) {
        return "a wrapped key of "
            + len
            + " bytes: keyring generic secrets are "
            + MIN_GENERIC_SECRET
            + " to "
            + MAX_GENERIC_SECRET
            + " bytes";
      }
      return null;
    }

    @Override
    void run(WycheproofCase c) throws Exception {
      SecretKey kek = c.keyring.secretKey("AES", c.hex("key"));
      byte[] ct = c.hex("ct");
      Cipher u = Cipher.getInstance("AES/KWP/NoPadding", c.provider());
      u.init(Cipher.UNWRAP_MODE, kek);
      SecretKey unwrapped;
      try {
        unwrapped = c.made((SecretKey) u.unwrap(ct, "HmacSHA256", Cipher.SECRET_KEY));
      } catch (InvalidKeyException e) {
        throw WycheproofRejection.by("unwrap", unlessUnreachable(e));
      }
      // The vector's KEK is a key of known value, so it unwraps but never wraps on a keyring:
      // the unwrapped key is checked through an HMAC under it and the JDK's under the msg.
      Mac ours = Mac.getInstance("HmacSHA256", c.provider());
      ours.init(unwrapped);
      Mac jdk = Mac.getInstance("HmacSHA256");
      jdk.init(new SecretKeySpec(c.hex("msg"), "HmacSHA256"));
      c.expectEqual(
          "HMAC-SHA256 under the unwrapped key vs. the JDK's under the vector's msg",
          jdk.doFinal(PROBE),
          ours.doFinal(PROBE));
    }
  },

  ECDH("EcdhTest", ProviderOperation.DERIVE) {
    @Override
    String notCovered(WycheproofCase c) {
      String curve = c.groupText("curve");
      if (!NIST_CURVES.contains(curve)) {
        return "curve " + curve + ": the provider's ECDH takes P-256, P-384 and P-521 keys";
      }
      String enc = c.groupText("encoding");
      if (!enc.equals("asn") && !enc.equals("ecpoint")) {
        return "peer key encoding '"
            + enc
            + "': the test decodes X.509 SubjectPublicKeyInfo and uncompressed points";
      }
      return null;
    }

    @Override
    void run(WycheproofCase c) throws Exception {
      String curve = c.groupText("curve");
      ECParameterSpec params = ecParams(curve);
      BigInteger s = new BigInteger(c.test.path("private").asText(), 16);
      PrivateKey soft =
          KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(s, params));
      PrivateKey priv = c.keyring.keyAgreementKey(soft, ecPublicKey(curve, s, params));
      PublicKey peer;
      try {
        peer = peerKey(c.hex("public"), c.groupText("encoding"), params);
      } catch (GeneralSecurityException | RuntimeException e) {
        throw new WycheproofRejection(
            "the JDK cannot decode the peer key (" + e.getClass().getSimpleName() + ")",
            e.getMessage(),
            e);
      }
      KeyAgreement ka = KeyAgreement.getInstance("ECDH", c.provider());
      ka.init(priv);
      try {
        ka.doPhase(peer, true);
      } catch (InvalidKeyException e) {
        throw WycheproofRejection.by("doPhase", unlessUnreachable(e));
      }
      SecretKey derived;
      try {
        derived = c.made(ka.generateSecret("HmacSHA256"));
      } catch (InvalidKeyException e) {
        throw WycheproofRejection.by("generateSecret", unlessUnreachable(e));
      }
      byte[] shared = c.hex("shared");
      c.expect(
          shared.length > 0,
          "the keyring derived a key from a peer key for which the vector has no shared secret");
      // The derived secret never leaves the keyring: compare an HMAC under it with the JDK's
      // HMAC under the expected shared secret.
      Mac ours = Mac.getInstance("HmacSHA256", c.provider());
      ours.init(derived);
      Mac jdk = Mac.getInstance("HmacSHA256");
      jdk.init(new SecretKeySpec(shared, "HmacSHA256"));
      c.expectEqual(
          "HMAC-SHA256 under the derived key vs. the JDK's under the expected shared secret",
          jdk.doFinal(PROBE),
          ours.doFinal(PROBE));
    }
  },

  ECDSA("EcdsaVerify", ProviderOperation.VERIFY) {
    @Override
    String notCovered(WycheproofCase c) {
      String curve = c.group.path("publicKey").path("curve").asText();
      if (!NIST_CURVES.contains(curve)) {
        return "curve " + curve + ": the provider verifies ECDSA on P-256, P-384 and P-521";
      }
      if (jcaHash(c.groupText("sha")) == null) {
        return "ECDSA with " + c.groupText("sha") + ": the provider offers SHA256/384/512withECDSA";
      }
      return null;
    }

    @Override
    void run(WycheproofCase c) throws Exception {
      verify(c, "EC", jcaHash(c.groupText("sha")) + "withECDSA", null);
    }
  },

  ED25519("EddsaVerify", ProviderOperation.VERIFY) {
    @Override
    String notCovered(WycheproofCase c) {
      String curve = c.group.path("publicKey").path("curve").asText();
      return curve.equals("edwards25519") ? null : "EdDSA on " + curve + " is not offered";
    }

    @Override
    void run(WycheproofCase c) throws Exception {
      verify(c, "Ed25519", "Ed25519", null);
    }
  },

  HMAC("MacTest", ProviderOperation.MAC) {
    @Override
    String notCovered(WycheproofCase c) {
      int keyBytes = c.test.path("key").asText().length() / 2;
      if (keyBytes < MIN_GENERIC_SECRET || keyBytes > MAX_GENERIC_SECRET) {
        return "an HMAC key of "
            + keyBytes
            + " bytes: keyring generic secrets are "
            + MIN_GENERIC_SECRET
            + " to "
            + MAX_GENERIC_SECRET
            + " bytes";
      }
      int tag = c.group.path("tagSize").asInt();
      if (tag < 8 || tag > 256 || tag % 8 != 0) {
        return "a " + tag + "-bit tag from HMAC-SHA256";
      }
      return null;
    }

    @Override
    void run(WycheproofCase c) throws Exception {
      byte[] raw = c.hex("key");
      byte[] msg = c.hex("msg");
      byte[] tag = c.hex("tag");
      Mac ours = Mac.getInstance("HmacSHA256", c.provider());
      ours.init(c.keyring.secretKey("HmacSHA256", raw));
      byte[] mac = ours.doFinal(msg);
      Mac jdk = Mac.getInstance("HmacSHA256");
      jdk.init(new SecretKeySpec(raw, "HmacSHA256"));
      c.expectEqual("the keyring's HMAC-SHA256 vs. the JDK's", jdk.doFinal(msg), mac);
      if (!Arrays.equals(Arrays.copyOf(mac, c.group.path("tagSize").asInt() / 8), tag)) {
        throw new WycheproofRejection("the tag differs from the computed one");
      }
    }
  },

  RSA_OAEP("RsaesOaepDecrypt", ProviderOperation.DECRYPT) {
    @Override
    String notCovered(WycheproofCase c) {
      String size = rsaKeySize(c.group.path("keySize").asInt());
      if (size != null) {
        return size;
      }
      if (!c.groupText("mgf").equals("MGF1")) {
        return "mask generation " + c.groupText("mgf") + ": the provider offers MGF1 only";
      }
      if (jcaHash(c.groupText("sha")) == null || jcaHash(c.groupText("mgfSha")) == null) {
        return "OAEP with "
            + c.groupText("sha")
            + "/MGF1-"
            + c.groupText("mgfSha")
            + ": the provider hashes with SHA-256/384/512";
      }
      return null;
    }

    @Override
    void run(WycheproofCase c) throws Exception {
      String sha = c.groupText("sha");
      Cipher d = Cipher.getInstance("RSA/ECB/OAEPWith" + sha + "AndMGF1Padding", c.provider());
      d.init(
          Cipher.DECRYPT_MODE,
          rsaPrivateKey(c),
          new OAEPParameterSpec(
              sha,
              "MGF1",
              new MGF1ParameterSpec(c.groupText("mgfSha")),
              new PSource.PSpecified(c.hex("label"))));
      byte[] plain;
      try {
        plain = d.doFinal(c.hex("ct"));
      } catch (BadPaddingException | IllegalBlockSizeException e) {
        throw WycheproofRejection.by("doFinal", unlessUnreachable(e));
      }
      c.expectEqual("decrypted message", c.hex("msg"), plain);
    }
  },

  RSA_PKCS1_SIGN("RsassaPkcs1Generate", ProviderOperation.SIGN) {
    @Override
    String notCovered(WycheproofCase c) {
      String size = rsaKeySize(c.group.path("keySize").asInt());
      if (size != null) {
        return size;
      }
      if (c.groupText("sha").equals("SHA-1")) {
        return "RSA PKCS#1 v1.5 signing with SHA-1: keyring keys verify SHA-1 signatures only";
      }
      if (pkcs1Hash(c.groupText("sha")) == null) {
        return "RSA PKCS#1 v1.5 with "
            + c.groupText("sha")
            + ": the provider offers SHA224/256/384/512withRSA";
      }
      return null;
    }

    @Override
    void run(WycheproofCase c) throws Exception {
      String alg = pkcs1Hash(c.groupText("sha")) + "withRSA";
      PrivateKey key = rsaPrivateKey(c);
      PublicKey pub = rsaPublicKey(c);
      byte[] msg = c.hex("msg");
      Signature s = Signature.getInstance(alg, c.provider());
      s.initSign(key);
      s.update(msg);
      byte[] sig;
      try {
        sig = s.sign();
      } catch (SignatureException e) {
        throw WycheproofRejection.by("sign", unlessUnreachable(e));
      }
      c.expectEqual("signature (PKCS#1 v1.5 is deterministic)", c.hex("sig"), sig);
      Signature jdk = Signature.getInstance(alg);
      jdk.initVerify(pub);
      jdk.update(msg);
      c.expect(jdk.verify(sig), "the JDK does not verify the keyring's signature");
      Signature v = Signature.getInstance(alg, c.provider());
      v.initVerify(pub);
      v.update(msg);
      c.expect(v.verify(sig), "the provider does not verify its own signature");
    }
  },

  RSA_PSS_VERIFY("RsassaPssVerify", ProviderOperation.VERIFY) {
    @Override
    String notCovered(WycheproofCase c) {
      if (!c.groupText("mgf").equals("MGF1")) {
        return "mask generation " + c.groupText("mgf") + ": the provider offers MGF1 only";
      }
      if (jcaHash(c.groupText("sha")) == null || jcaHash(c.groupText("mgfSha")) == null) {
        return "RSA-PSS with "
            + c.groupText("sha")
            + "/MGF1-"
            + c.groupText("mgfSha")
            + ": the provider hashes with SHA-256/384/512";
      }
      int salt = c.group.path("sLen").asInt();
      if (salt < 0 || salt > 512) {
        return "PSS salt of " + salt + " bytes: the keyring takes 0 to 512";
      }
      return null;
    }

    @Override
    void run(WycheproofCase c) throws Exception {
      verify(
          c,
          "RSA",
          "RSASSA-PSS",
          new PSSParameterSpec(
              c.groupText("sha"),
              "MGF1",
              new MGF1ParameterSpec(c.groupText("mgfSha")),
              c.group.path("sLen").asInt(),
              PSSParameterSpec.TRAILER_FIELD_BC));
    }
  },

  RSA_PKCS1_VERIFY("RsassaPkcs1Verify", ProviderOperation.VERIFY) {
    @Override
    String notCovered(WycheproofCase c) {
      if (jcaHash(c.groupText("sha")) == null) {
        return "RSA PKCS#1 v1.5 with "
            + c.groupText("sha")
            + ": the provider offers SHA256/384/512withRSA";
      }
      return null;
    }

    @Override
    void run(WycheproofCase c) throws Exception {
      verify(c, "RSA", jcaHash(c.groupText("sha")) + "withRSA", null);
    }
  };

  /** Generic secrets on a keyring: 1 to 512 bytes (the member refuses others). */
  static final int MIN_GENERIC_SECRET = 1;

  static final int MAX_GENERIC_SECRET = 512;

  private static final Set<String> NIST_CURVES = Set.of("secp256r1", "secp384r1", "secp521r1");

  private static final byte[] PROBE =
      "wycheproof ECDH: is the derived key the expected shared secret?"
          .getBytes(StandardCharsets.US_ASCII);

  private final String groupType;
  private final ProviderOperation operation;

  WycheproofProviderFamily(String groupType, ProviderOperation operation) {
    this.groupType = groupType;
    this.operation = operation;
  }

  /** The {@code type} every test group of this family has. */
  String groupType() {
    return groupType;
  }

  /** The cluster operation each covered case asks for once. */
  ProviderOperation operation() {
    return operation;
  }

  /** Why the provider deliberately does not offer this case, or null when it does. */
  abstract String notCovered(WycheproofCase c);

  /** Runs a covered case; see the class comment for how it ends. */
  abstract void run(WycheproofCase c) throws Exception;

  // ---------------------------------------------------------------- shared steps

  /** Verification on the cluster through the provider, with the group's key as a JDK key. */
  private static void verify(
      WycheproofCase c, String keyAlg, String sigAlg, AlgorithmParameterSpec params)
      throws Exception {
    PublicKey pub =
        KeyFactory.getInstance(keyAlg)
            .generatePublic(new X509EncodedKeySpec(c.groupHex("publicKeyDer")));
    Signature s = Signature.getInstance(sigAlg, c.provider());
    if (params != null) {
      s.setParameter(params);
    }
    s.initVerify(pub);
    s.update(c.hex("msg"));
    boolean ok;
    try {
      ok = s.verify(c.hex("sig"));
    } catch (SignatureException e) {
      throw WycheproofRejection.by("verify", unlessUnreachable(e));
    }
    if (!ok) {
      throw new WycheproofRejection("verify() = false");
    }
  }

  /**
   * {@code e}, unless the cluster was not reached (a {@link
   * dev.keyring.client.api.TransportException} among its causes): then {@code e} is thrown as it
   * is, an error of the run, never a verdict on the vector.
   */
  static <T extends Exception> T unlessUnreachable(T e) throws T {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof dev.keyring.client.api.TransportException) {
        throw e;
      }
    }
    return e;
  }

  private static PrivateKey rsaPrivateKey(WycheproofCase c) throws GeneralSecurityException {
    PrivateKey soft =
        KeyFactory.getInstance("RSA")
            .generatePrivate(new PKCS8EncodedKeySpec(c.groupHex("privateKeyPkcs8")));
    return c.keyring.privateKey(soft, rsaPublicKey(c));
  }

  private static PublicKey rsaPublicKey(WycheproofCase c) throws GeneralSecurityException {
    RSAPrivateCrtKey crt =
        (RSAPrivateCrtKey)
            KeyFactory.getInstance("RSA")
                .generatePrivate(new PKCS8EncodedKeySpec(c.groupHex("privateKeyPkcs8")));
    return KeyFactory.getInstance("RSA")
        .generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
  }

  private static ECParameterSpec ecParams(String curve) throws GeneralSecurityException {
    AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
    p.init(new ECGenParameterSpec(curve));
    return p.getParameterSpec(ECParameterSpec.class);
  }

  /** The public key of private scalar {@code s} (for the import's certificate), by BouncyCastle. */
  private static PublicKey ecPublicKey(String curve, BigInteger s, ECParameterSpec params)
      throws GeneralSecurityException {
    X9ECParameters x9 = ECNamedCurveTable.getByName(curve);
    org.bouncycastle.math.ec.ECPoint q = x9.getG().multiply(s).normalize();
    return KeyFactory.getInstance("EC")
        .generatePublic(
            new ECPublicKeySpec(
                new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()),
                params));
  }

  /** The peer key as the JDK decodes it: X.509 SubjectPublicKeyInfo, or an uncompressed point. */
  private static PublicKey peerKey(byte[] encoded, String encoding, ECParameterSpec params)
      throws GeneralSecurityException {
    KeyFactory kf = KeyFactory.getInstance("EC");
    if (encoding.equals("asn")) {
      return kf.generatePublic(new X509EncodedKeySpec(encoded));
    }
    int n = (params.getCurve().getField().getFieldSize() + 7) / 8;
    if (encoded.length != 1 + 2 * n || encoded[0] != 4) {
      throw new InvalidKeySpecException(
          "not an uncompressed point of " + n + "-byte coordinates: " + encoded.length + " bytes");
    }
    BigInteger x = new BigInteger(1, Arrays.copyOfRange(encoded, 1, 1 + n));
    BigInteger y = new BigInteger(1, Arrays.copyOfRange(encoded, 1 + n, 1 + 2 * n));
    return kf.generatePublic(new ECPublicKeySpec(new ECPoint(x, y), params));
  }

  private static String aesKeySize(int bits) {
    return bits == 128 || bits == 192 || bits == 256
        ? null
        : "a " + bits + "-bit AES key: keyring AES keys are 128, 192 or 256 bits";
  }

  private static String rsaKeySize(int bits) {
    return bits >= 2048 && bits <= 4096
        ? null
        : "a " + bits + "-bit RSA key: imported RSA keys are 2048 to 4096 bits";
  }

  /** "SHA256" for "SHA-256" (and 384, 512), null for hashes the provider does not offer. */
  /** SHA224withRSA too: the provider signs it with a DigestInfo built on the client. */
  static String pkcs1Hash(String wycheproofName) {
    return wycheproofName.equals("SHA-224") ? "SHA224" : jcaHash(wycheproofName);
  }

  static String jcaHash(String wycheproofName) {
    switch (wycheproofName) {
      case "SHA-256":
        return "SHA256";
      case "SHA-384":
        return "SHA384";
      case "SHA-512":
        return "SHA512";
      default:
        return null;
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
