package dev.keyring.sim.boundary;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.Digest;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.ObjectRecord;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How one kind of Wycheproof test runs through the {@link Boundary}: which cases the boundary
 * deliberately does not offer ({@link #notCovered}), and how a case runs ({@link #run}). The
 * operation under test always happens inside the boundary; keys enter the way a client's would
 * (wrapped, then {@code unwrapKey}; public keys as objects), and the JDK only prepares inputs or
 * computes an expected value the boundary cannot reveal.
 */
enum WycheproofFamily {
  AES_GCM("AeadTest") {
    @Override
    String notCovered(JsonNode group, JsonNode test) {
      String key = aesKeySize(group.path("keySize").asInt());
      if (key != null) {
        return key;
      }
      int tag = group.path("tagSize").asInt();
      if (tag < 96 || tag > 128 || tag % 8 != 0) {
        return "GCM tag of " + tag + " bits: the boundary takes 96 to 128 bits in steps of 8";
      }
      return null;
    }

    @Override
    Outcome run(Case c) throws GeneralSecurityException {
      byte[] msg = c.hex("msg");
      byte[] iv = c.hex("iv");
      byte[] ctTag = concat(c.hex("ct"), c.hex("tag"));
      long key = c.secretKey(KeyType.AES, c.hex("key"), AttributeType.CKA_DECRYPT);
      var gcm = new MechanismParams.Gcm(iv, c.hex("aad"), c.group.path("tagSize").asInt());
      if (iv.length == 0) {
        // MechanismParams.Gcm reads an empty IV as "generate one inside (encrypt) / it leads the
        // ciphertext (decrypt)": an encryption under a zero-length IV cannot even be asked for.
        // Check that asking for it yields a fresh 12-byte IV, never an empty one.
        byte[] out = c.b().encrypt(c.keyring(), key, Mechanism.CKM_AES_GCM, gcm, msg);
        c.expect(
            out.length == 12 + ctTag.length,
            "encrypt with an empty IV must return a fresh 12-byte IV || ct || tag ("
                + (12 + ctTag.length)
                + " bytes), got "
                + out.length);
        c.expectEqual(
            "round trip of an encryption under a boundary-generated IV",
            msg,
            c.b().decrypt(c.keyring(), key, Mechanism.CKM_AES_GCM, gcm, out));
      }
      byte[] plain =
          c.op(
              DECRYPT_FAILURES,
              () -> c.b().decrypt(c.keyring(), key, Mechanism.CKM_AES_GCM, gcm, ctTag));
      c.expectEqual("decrypted plaintext", msg, plain);
      if (iv.length > 0) {
        c.expectEqual(
            "ct || tag from encrypt with the vector's IV",
            ctTag,
            c.b().encrypt(c.keyring(), key, Mechanism.CKM_AES_GCM, gcm, msg));
      }
      return Outcome.SUCCEEDED;
    }
  },

  AES_KWP("KeywrapTest") {
    @Override
    String notCovered(JsonNode group, JsonNode test) {
      String key = aesKeySize(group.path("keySize").asInt());
      if (key != null) {
        return key;
      }
      int len = test.path("msg").asText().length() / 2;
      if (!"invalid".equals(test.path("result").asText()) && (len < 1 || len > 512)) {
        return "a wrapped key of " + len + " bytes: generic secrets are 1 to 512 bytes";
      }
      return null;
    }

    @Override
    Outcome run(Case c) throws GeneralSecurityException {
      byte[] ct = c.hex("ct");
      // The vector's KEK is known, so it enters as an unwrapping key only: a key whose value is
      // known outside the keyring never wraps. The unwrapped key is checked through an HMAC.
      long kek = c.secretKey(KeyType.AES, c.hex("key"), AttributeType.CKA_UNWRAP);
      Attributes template =
          Attributes.builder()
              .objectClass(ObjectClass.SECRET_KEY)
              .keyType(KeyType.GENERIC_SECRET)
              .label("wycheproof-kwp-unwrapped")
              .build();
      ObjectRecord unwrapped =
          c.track(
              c.op(
                  null,
                  () ->
                      c.b()
                          .unwrapKey(
                              c.keyring(),
                              kek,
                              Mechanism.CKM_AES_KEY_WRAP_KWP,
                              MechanismParams.NONE,
                              ct,
                              template)));
      expectSameSecret(c, unwrapped, c.hex("msg"), "the unwrapped key vs. the vector's msg");
      return Outcome.SUCCEEDED;
    }
  },

  ECDH("EcdhTest") {
    @Override
    String notCovered(JsonNode group, JsonNode test) {
      Curve curve = curve(group.path("curve").asText());
      if (curve == null || curve.isEdwards()) {
        return "curve " + group.path("curve").asText() + ": ECDH is offered on P-256/384/521";
      }
      String enc = group.path("encoding").asText();
      if (!enc.equals("asn") && !enc.equals("ecpoint")) {
        return "peer key encoding '"
            + enc
            + "': the boundary takes SPKI DER or an uncompressed point";
      }
      return null;
    }

    @Override
    Outcome run(Case c) throws GeneralSecurityException {
      Curve curve = curve(c.group.path("curve").asText());
      byte[] pkcs8 =
          KeyFactory.getInstance("EC")
              .generatePrivate(
                  new ECPrivateKeySpec(
                      new BigInteger(c.test.path("private").asText(), 16),
                      PublicKeyAttributes.ecParams(curve)))
              .getEncoded();
      long priv = c.keyAgreementKey(pkcs8);
      byte[] peer = c.hex("public");
      Attributes template =
          Attributes.builder()
              .objectClass(ObjectClass.SECRET_KEY)
              .keyType(KeyType.GENERIC_SECRET)
              .label("wycheproof-ecdh-derived")
              .flag(AttributeType.CKA_SIGN, true)
              .build();
      ObjectRecord derived =
          c.track(
              c.op(
                  null,
                  () ->
                      c.b()
                          .deriveKey(
                              c.keyring(),
                              priv,
                              Mechanism.CKM_ECDH1_DERIVE,
                              new MechanismParams.Ecdh(peer),
                              template)));
      byte[] shared = c.hex("shared");
      if (shared.length == 0) {
        return Outcome.SUCCEEDED; // the vector has no secret to compare: an accepted invalid case
      }
      expectSameSecret(c, derived, shared, "the derived key vs. the expected shared secret");
      return Outcome.SUCCEEDED;
    }
  },

  ECDSA("EcdsaVerify") {
    @Override
    String notCovered(JsonNode group, JsonNode test) {
      Curve curve = curve(group.path("publicKey").path("curve").asText());
      if (curve == null || curve.isEdwards()) {
        return "curve " + group.path("publicKey").path("curve").asText() + " is not offered";
      }
      if (ecdsaMechanism(group.path("sha").asText()) == null) {
        return "ECDSA with " + group.path("sha").asText() + ": no such mechanism";
      }
      return null;
    }

    @Override
    Outcome run(Case c) throws GeneralSecurityException {
      return verify(c, "EC", ecdsaMechanism(c.group.path("sha").asText()), MechanismParams.NONE);
    }
  },

  ED25519("EddsaVerify") {
    @Override
    String notCovered(JsonNode group, JsonNode test) {
      String curve = group.path("publicKey").path("curve").asText();
      return curve.equals("edwards25519") ? null : "EdDSA on " + curve + " is not offered";
    }

    @Override
    Outcome run(Case c) throws GeneralSecurityException {
      return verify(c, "Ed25519", Mechanism.CKM_EDDSA, MechanismParams.NONE);
    }
  },

  HMAC("MacTest") {
    @Override
    String notCovered(JsonNode group, JsonNode test) {
      int keyBytes = test.path("key").asText().length() / 2;
      if (keyBytes < 1 || keyBytes > 512) {
        return "an HMAC key of " + keyBytes + " bytes: generic secrets are 1 to 512 bytes";
      }
      int tag = group.path("tagSize").asInt();
      if (tag < 8 || tag > 256 || tag % 8 != 0) {
        return "a " + tag + "-bit tag from HMAC-SHA256";
      }
      return null;
    }

    @Override
    Outcome run(Case c) {
      byte[] msg = c.hex("msg");
      byte[] tag = c.hex("tag");
      int tagBytes = c.group.path("tagSize").asInt() / 8;
      long key = c.secretKey(KeyType.GENERIC_SECRET, c.hex("key"), AttributeType.CKA_SIGN);
      byte[] mac =
          c.op(
              null,
              () ->
                  c.b()
                      .sign(
                          c.keyring(), key, Mechanism.CKM_SHA256_HMAC, MechanismParams.NONE, msg));
      c.expect(mac.length == 32, "HMAC-SHA256 must be 32 bytes, got " + mac.length);
      boolean equal = Arrays.equals(Arrays.copyOf(mac, tagBytes), tag);
      if (tag.length == 32) {
        // a full-length tag can also go through the boundary's own verification
        HsmException refused = null;
        try {
          c.b().verify(c.keyring(), key, Mechanism.CKM_SHA256_HMAC, MechanismParams.NONE, msg, tag);
        } catch (HsmException e) {
          refused = e;
        }
        c.expect(
            (refused == null) == equal,
            "sign says the tag "
                + (equal ? "matches" : "differs")
                + " but verify "
                + (refused == null ? "accepted it" : "refused it: " + refused.getMessage()));
        if (refused != null) {
          c.expect(
              VERIFY_FAILURES.contains(refused.code()),
              "verify refused a bad MAC with "
                  + refused.code()
                  + ", expected one of "
                  + VERIFY_FAILURES);
          throw new Rejection(refused);
        }
      }
      if (!equal) {
        throw new Rejection("the computed tag differs from the vector's tag");
      }
      return Outcome.SUCCEEDED;
    }
  },

  RSA_OAEP("RsaesOaepDecrypt") {
    @Override
    String notCovered(JsonNode group, JsonNode test) {
      String size = rsaKeySize(group.path("keySize").asInt());
      if (size != null) {
        return size;
      }
      if (!group.path("mgf").asText().equals("MGF1")) {
        return "mask generation " + group.path("mgf").asText() + ": only MGF1 is offered";
      }
      if (digest(group.path("sha").asText()) == null
          || digest(group.path("mgfSha").asText()) == null) {
        return "OAEP with "
            + group.path("sha").asText()
            + "/MGF1-"
            + group.path("mgfSha").asText()
            + ": hashes offered are SHA-256/384/512";
      }
      return null;
    }

    @Override
    Outcome run(Case c) {
      long key =
          c.privateKey(KeyType.RSA, c.groupHex("privateKeyPkcs8"), AttributeType.CKA_DECRYPT);
      var oaep =
          new MechanismParams.Oaep(
              digest(c.group.path("sha").asText()),
              digest(c.group.path("mgfSha").asText()),
              c.hex("label"));
      byte[] ct = c.hex("ct");
      byte[] plain =
          c.op(
              DECRYPT_FAILURES,
              () -> c.b().decrypt(c.keyring(), key, Mechanism.CKM_RSA_PKCS_OAEP, oaep, ct));
      c.expectEqual("decrypted message", c.hex("msg"), plain);
      return Outcome.SUCCEEDED;
    }
  },

  RSA_PKCS1_SIGN("RsassaPkcs1Generate") {
    @Override
    String notCovered(JsonNode group, JsonNode test) {
      String size = rsaKeySize(group.path("keySize").asInt());
      if (size != null) {
        return size;
      }
      if (rsaPkcs1Mechanism(group.path("sha").asText()) == null) {
        return "RSA PKCS#1 v1.5 with " + group.path("sha").asText() + ": no such mechanism";
      }
      return null;
    }

    @Override
    Outcome run(Case c) {
      Mechanism m = rsaPkcs1Mechanism(c.group.path("sha").asText());
      long key = c.privateKey(KeyType.RSA, c.groupHex("privateKeyPkcs8"), AttributeType.CKA_SIGN);
      byte[] msg = c.hex("msg");
      byte[] sig = c.op(null, () -> c.b().sign(c.keyring(), key, m, MechanismParams.NONE, msg));
      c.expectEqual("signature", c.hex("sig"), sig);
      c.b().verify(c.keyring(), key, m, MechanismParams.NONE, msg, sig);
      return Outcome.SUCCEEDED;
    }
  },

  RSA_PSS_VERIFY("RsassaPssVerify") {
    @Override
    String notCovered(JsonNode group, JsonNode test) {
      if (!group.path("mgf").asText().equals("MGF1")) {
        return "mask generation " + group.path("mgf").asText() + ": only MGF1 is offered";
      }
      if (rsaPssMechanism(group.path("sha").asText()) == null
          || digest(group.path("mgfSha").asText()) == null) {
        return "RSA-PSS with "
            + group.path("sha").asText()
            + "/MGF1-"
            + group.path("mgfSha").asText()
            + ": hashes offered are SHA-256/384/512";
      }
      int salt = group.path("sLen").asInt();
      if (salt < 0 || salt > 512) {
        return "PSS salt of " + salt + " bytes: the boundary takes 0 to 512";
      }
      return null;
    }

    @Override
    Outcome run(Case c) throws GeneralSecurityException {
      var pss =
          new MechanismParams.Pss(
              digest(c.group.path("sha").asText()),
              digest(c.group.path("mgfSha").asText()),
              c.group.path("sLen").asInt());
      return verify(c, "RSA", rsaPssMechanism(c.group.path("sha").asText()), pss);
    }
  },

  RSA_PKCS1_VERIFY("RsassaPkcs1Verify") {
    @Override
    String notCovered(JsonNode group, JsonNode test) {
      if (rsaPkcs1Mechanism(group.path("sha").asText()) == null) {
        return "RSA PKCS#1 v1.5 with " + group.path("sha").asText() + ": no such mechanism";
      }
      return null;
    }

    @Override
    Outcome run(Case c) throws GeneralSecurityException {
      return verify(
          c, "RSA", rsaPkcs1Mechanism(c.group.path("sha").asText()), MechanismParams.NONE);
    }
  };

  /** What a covered case came to when it did not fail. */
  enum Outcome {
    /** The operation succeeded and its output was checked. */
    SUCCEEDED,
    /** The boundary refused the operation (an HsmException), or its MAC did not match. */
    REJECTED
  }

  /** Thrown inside {@link #run} when the operation under test is refused. */
  static final class Rejection extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final ResultCode code;

    Rejection(HsmException e) {
      super(e.getMessage(), e);
      this.code = e.code();
    }

    Rejection(String why) {
      super(why);
      this.code = null;
    }
  }

  /** The documented refusals of {@link Boundary#verify}. */
  static final Set<ResultCode> VERIFY_FAILURES =
      EnumSet.of(ResultCode.CKR_SIGNATURE_INVALID, ResultCode.CKR_SIGNATURE_LEN_RANGE);

  /** The documented refusals of {@link Boundary#decrypt} for bad ciphertexts. */
  static final Set<ResultCode> DECRYPT_FAILURES =
      EnumSet.of(ResultCode.CKR_ENCRYPTED_DATA_INVALID, ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE);

  private static final byte[] PROBE =
      "wycheproof: is the key on the keyring the expected secret?"
          .getBytes(StandardCharsets.US_ASCII);

  private final String groupType;

  WycheproofFamily(String groupType) {
    this.groupType = groupType;
  }

  /** The {@code type} every test group of this family has. */
  String groupType() {
    return groupType;
  }

  /** Why the boundary deliberately does not offer this case, or null when it does. */
  abstract String notCovered(JsonNode group, JsonNode test);

  /**
   * Runs a covered case. Returns {@link Outcome#SUCCEEDED} when the operation succeeded with the
   * expected output, throws {@link Rejection} when the boundary refused it, and throws anything
   * else (an AssertionError for a wrong output) when the case fails whatever its result.
   */
  abstract Outcome run(Case c) throws GeneralSecurityException;

  // ---------------------------------------------------------------- shared steps

  /**
   * A secret key never leaves the boundary: it equals {@code expected} when an HMAC-SHA256 under it
   * equals the JDK's under {@code expected}.
   */
  private static void expectSameSecret(Case c, ObjectRecord key, byte[] expected, String what)
      throws GeneralSecurityException {
    byte[] mac =
        c.b()
            .sign(
                c.keyring(), key.handle(), Mechanism.CKM_SHA256_HMAC, MechanismParams.NONE, PROBE);
    Mac jdk = Mac.getInstance("HmacSHA256");
    jdk.init(new SecretKeySpec(expected, "HmacSHA256"));
    c.expectEqual("HMAC-SHA256 under " + what, jdk.doFinal(PROBE), mac);
  }

  private static Outcome verify(Case c, String keyAlg, Mechanism m, MechanismParams params)
      throws GeneralSecurityException {
    PublicKey pub =
        KeyFactory.getInstance(keyAlg)
            .generatePublic(new X509EncodedKeySpec(c.groupHex("publicKeyDer")));
    long key = c.publicKey(pub);
    byte[] msg = c.hex("msg");
    byte[] sig = c.hex("sig");
    c.op(
        VERIFY_FAILURES,
        () -> {
          c.b().verify(c.keyring(), key, m, params, msg, sig);
          return null;
        });
    return Outcome.SUCCEEDED;
  }

  private static String aesKeySize(int bits) {
    return bits == 128 || bits == 192 || bits == 256
        ? null
        : "a " + bits + "-bit AES key: AES keys are 128, 192 or 256 bits";
  }

  private static String rsaKeySize(int bits) {
    return bits >= 2048 && bits <= 4096
        ? null
        : "a " + bits + "-bit RSA key: imported RSA keys are 2048 to 4096 bits";
  }

  /** The boundary's digest for a Wycheproof hash name, or null when it has none. */
  static Digest digest(String name) {
    switch (name) {
      case "SHA-256":
        return Digest.SHA256;
      case "SHA-384":
        return Digest.SHA384;
      case "SHA-512":
        return Digest.SHA512;
      default:
        return null;
    }
  }

  private static Curve curve(String name) {
    try {
      return Curve.parse(name);
    } catch (HsmException e) {
      return null;
    }
  }

  private static Mechanism ecdsaMechanism(String sha) {
    Digest d = digest(sha);
    return d == null ? null : Mechanism.valueOf("CKM_ECDSA_" + d.name());
  }

  private static Mechanism rsaPkcs1Mechanism(String sha) {
    Digest d = digest(sha);
    return d == null ? null : Mechanism.valueOf("CKM_" + d.name() + "_RSA_PKCS");
  }

  private static Mechanism rsaPssMechanism(String sha) {
    Digest d = digest(sha);
    return d == null ? null : Mechanism.valueOf("CKM_" + d.name() + "_RSA_PKCS_PSS");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  // ---------------------------------------------------------------- one case

  /** One test case on a keyring: its inputs, and the objects it made (destroyed when done). */
  static final class Case {
    private static final HexFormat HEX = HexFormat.of();

    final JsonNode group;
    final JsonNode test;
    private final TestKeyring keyring;
    private final Deque<Long> objects = new ArrayDeque<>();

    Case(TestKeyring keyring, JsonNode group, JsonNode test) {
      this.keyring = keyring;
      this.group = group;
      this.test = test;
    }

    Boundary b() {
      return keyring.boundary;
    }

    UUID keyring() {
      return keyring.keyringId;
    }

    byte[] hex(String field) {
      return HEX.parseHex(test.path(field).asText());
    }

    byte[] groupHex(String field) {
      return HEX.parseHex(group.path(field).asText());
    }

    long secretKey(KeyType type, byte[] raw, AttributeType... flags) {
      return track(keyring.importSecretKey(type, raw, flags(flags))).handle();
    }

    long privateKey(KeyType type, byte[] pkcs8, AttributeType... flags) {
      return track(keyring.importPrivateKey(type, pkcs8, flags(flags))).handle();
    }

    /** An EC private key imported without CKA_SIGN: a key-agreement key, which derives. */
    long keyAgreementKey(byte[] pkcs8) {
      Attributes noSign = flags().with(AttributeType.CKA_SIGN, false);
      return track(keyring.importPrivateKey(KeyType.EC, pkcs8, noSign)).handle();
    }

    long publicKey(PublicKey key) {
      return track(keyring.importPublicKey(key)).handle();
    }

    ObjectRecord track(ObjectRecord r) {
      objects.push(r.handle());
      return r;
    }

    /** Runs the operation under test: an HsmException from it is a rejection of the case. */
    <T> T op(Set<ResultCode> allowedCodes, java.util.function.Supplier<T> operation) {
      try {
        return operation.get();
      } catch (HsmException e) {
        if (allowedCodes != null && !allowedCodes.contains(e.code())) {
          throw new AssertionError(
              "refused with "
                  + e.code()
                  + ", but the documented refusals are "
                  + allowedCodes
                  + ": "
                  + e.getMessage(),
              e);
        }
        throw new Rejection(e);
      }
    }

    void expect(boolean ok, String what) {
      if (!ok) {
        throw new AssertionError(what);
      }
    }

    void expectEqual(String what, byte[] expected, byte[] actual) {
      if (!Arrays.equals(expected, actual)) {
        throw new AssertionError(
            what
                + " differs: expected "
                + HEX.formatHex(expected)
                + ", got "
                + HEX.formatHex(actual));
      }
    }

    /** Destroys every object the case made; returns the first failure, or null. */
    RuntimeException destroyAll() {
      RuntimeException first = null;
      while (!objects.isEmpty()) {
        long h = objects.pop();
        try {
          keyring.boundary.destroyObject(keyring.keyringId, h);
        } catch (RuntimeException e) {
          if (first == null) {
            first = e;
          }
        }
      }
      return first;
    }

    private static Attributes flags(AttributeType... flags) {
      Attributes.Builder b = Attributes.builder().label("wycheproof");
      for (AttributeType f : flags) {
        b.flag(f, true);
      }
      return b.build();
    }
  }
}
