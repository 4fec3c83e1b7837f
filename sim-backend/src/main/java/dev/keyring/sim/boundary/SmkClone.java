package dev.keyring.sim.boundary;

import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * The format of an SMK clone: the cluster's SMK encrypted by a member that holds it for one joining
 * member, and nothing else. The joiner makes a one-time EC P-256 key pair inside its boundary and
 * sends the public half; the sender makes another one-time pair, derives an AES-256 key with ECDH
 * and HKDF-SHA256, and encrypts the raw SMK with AES-256-GCM.
 *
 * <pre>
 * offset size
 *  0      4   magic "KSMC"
 *  4      1   format version (2)
 *  5      2   n, length of the sender's public key (big-endian)
 *  7      n   the sender's one-time public key (X.509 DER, EC P-256)
 *  7+n   12   IV
 * 19+n   48   ciphertext of the 32-byte SMK, then the 16-byte tag
 * </pre>
 *
 * HKDF: input the ECDH shared secret followed by the 32-byte cloning domain key ({@link
 * CloningDomainKey}, derived from the domain secret and held only inside the HSMs of the domain),
 * salt {@code "keyring smk clone v1"}, info {@code "keyring smk clone v1 aes-256-gcm"}. The
 * associated data is {@code "keyring smk clone v1" || version || cluster id (16 bytes) || for the
 * cloning domain fingerprint (UTF-8), the sender's and the joiner's public keys: a 2-byte length
 * and the bytes}; so a bundle opens only for the joiner whose pending key it was made for, for the
 * same cluster, and when both members name the same cloning domain.
 *
 * <p>The boundary does not authenticate the joiner's public key, and need not: a bundle made for a
 * key pair outside an HSM of the domain cannot be opened without the domain key, so an appliance
 * administrator who asks for a clone with a key pair of his own learns nothing (format version 1
 * derived the key from the ECDH secret alone, and so gave the SMK to any such caller; it is
 * refused).
 */
final class SmkClone {
  static final byte VERSION = 2;
  static final int IV_LENGTH = 12;
  static final Duration PENDING_LIFETIME = Duration.ofMinutes(10);
  static final String FAILED =
      "the SMK could not be cloned: cloning domains differ or the bundle was altered";

  private static final byte[] MAGIC = "KSMC".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LABEL = "keyring smk clone v1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] HKDF_INFO =
      "keyring smk clone v1 aes-256-gcm".getBytes(StandardCharsets.US_ASCII);
  private static final int SMK_CIPHERTEXT_LENGTH = 32 + 16;
  private static final int MAX_PUBLIC_KEY_LENGTH = 256;

  /** The parts of a bundle; nothing secret but the ciphertext, which is useless alone. */
  record Parsed(byte[] senderPublicKey, byte[] iv, byte[] ciphertext) {}

  private SmkClone() {}

  static KeyPair newKeyPair(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
      g.initialize(new ECGenParameterSpec(Curve.P256.jcaName()), random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "EC P-256 key generation failed");
    }
  }

  /**
   * A strict X.509 DER EC P-256 public key whose point is on the curve. Refused with
   * CKR_ARGUMENTS_BAD: naming {@code what} when given, else with {@link #FAILED}.
   */
  static PublicKey parsePublicKey(byte[] encoded, String what) {
    try {
      if (encoded == null || encoded.length > MAX_PUBLIC_KEY_LENGTH) {
        throw new GeneralSecurityException("missing or too long");
      }
      PublicKey k =
          KeyFactory.getInstance("EC", "SunEC").generatePublic(new X509EncodedKeySpec(encoded));
      if (!(k instanceof ECPublicKey)) {
        throw new GeneralSecurityException("not an EC key");
      }
      ECPublicKey ec = (ECPublicKey) k;
      if (!Arrays.equals(ec.getEncoded(), encoded)) {
        throw new GeneralSecurityException("not strict DER with a named curve");
      }
      if (PublicKeyAttributes.curveOf(ec.getParams()) != Curve.P256) {
        throw new GeneralSecurityException("not on P-256");
      }
      X9ECParameters x9 = ECNamedCurveTable.getByName(Curve.P256.jcaName());
      if (!x9.getCurve().createPoint(ec.getW().getAffineX(), ec.getW().getAffineY()).isValid()) {
        throw new GeneralSecurityException("the point is not on the curve");
      }
      return ec;
    } catch (GeneralSecurityException | RuntimeException e) {
      if (what == null) {
        throw failed(ResultCode.CKR_ARGUMENTS_BAD);
      }
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          what + " is not an EC P-256 public key in X.509 DER: " + reason(e));
    }
  }

  private static String reason(Exception e) {
    return e instanceof HsmException ? ((HsmException) e).detail() : e.getMessage();
  }

  static void requireBinding(UUID clusterId, String cloningDomainFingerprint) {
    if (clusterId == null) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "the cluster id is required");
    }
    if (cloningDomainFingerprint == null
        || cloningDomainFingerprint.isEmpty()
        || cloningDomainFingerprint.length() > 128) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "the cloning domain fingerprint must be 1 to 128 characters");
    }
  }

  static byte[] encode(byte[] senderPublicKey, byte[] iv, byte[] ciphertext) {
    return ByteBuffer.allocate(7 + senderPublicKey.length + iv.length + ciphertext.length)
        .put(MAGIC)
        .put(VERSION)
        .putShort((short) senderPublicKey.length)
        .put(senderPublicKey)
        .put(iv)
        .put(ciphertext)
        .array();
  }

  /** Splits a bundle; anything malformed is refused with CKR_ARGUMENTS_BAD and {@link #FAILED}. */
  static Parsed parse(byte[] bundle) {
    if (bundle == null || bundle.length < 7) {
      throw failed(ResultCode.CKR_ARGUMENTS_BAD);
    }
    ByteBuffer b = ByteBuffer.wrap(bundle);
    byte[] magic = new byte[4];
    b.get(magic);
    if (!Arrays.equals(magic, MAGIC) || b.get() != VERSION) {
      throw failed(ResultCode.CKR_ARGUMENTS_BAD);
    }
    int n = b.getShort() & 0xffff;
    if (n == 0
        || n > MAX_PUBLIC_KEY_LENGTH
        || b.remaining() != n + IV_LENGTH + SMK_CIPHERTEXT_LENGTH) {
      throw failed(ResultCode.CKR_ARGUMENTS_BAD);
    }
    byte[] sender = new byte[n];
    byte[] iv = new byte[IV_LENGTH];
    byte[] ct = new byte[SMK_CIPHERTEXT_LENGTH];
    b.get(sender).get(iv).get(ct);
    return new Parsed(sender, iv, ct);
  }

  static byte[] associatedData(
      UUID clusterId,
      String cloningDomainFingerprint,
      byte[] senderPublicKey,
      byte[] joinerPublicKey) {
    byte[] domain = cloningDomainFingerprint.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(
            LABEL.length
                + 1
                + 16
                + 6
                + domain.length
                + senderPublicKey.length
                + joinerPublicKey.length)
        .put(LABEL)
        .put(VERSION)
        .putLong(clusterId.getMostSignificantBits())
        .putLong(clusterId.getLeastSignificantBits())
        .putShort((short) domain.length)
        .put(domain)
        .putShort((short) senderPublicKey.length)
        .put(senderPublicKey)
        .putShort((short) joinerPublicKey.length)
        .put(joinerPublicKey)
        .array();
  }

  /**
   * HKDF-SHA256 of the ECDH shared secret followed by the cloning domain key ({@link
   * CloningDomainKey}): 32 bytes, which the caller wipes.
   */
  static byte[] deriveKey(byte[] sharedSecret, byte[] domainKey) {
    byte[] ikm = new byte[sharedSecret.length + domainKey.length];
    System.arraycopy(sharedSecret, 0, ikm, 0, sharedSecret.length);
    System.arraycopy(domainKey, 0, ikm, sharedSecret.length, domainKey.length);
    try {
      HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
      hkdf.init(new HKDFParameters(ikm, LABEL, HKDF_INFO));
      byte[] okm = new byte[32];
      hkdf.generateBytes(okm, 0, okm.length);
      return okm;
    } finally {
      java.util.Arrays.fill(ikm, (byte) 0);
    }
  }

  static HsmException failed(ResultCode code) {
    return new HsmException(code, FAILED);
  }
}
