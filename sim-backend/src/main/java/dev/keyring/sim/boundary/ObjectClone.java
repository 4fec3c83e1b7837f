package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * The format of an object clone: one keyring object (its identity, class, public attributes and,
 * for a private or secret key, its value) encrypted by the source HSM for the target HSM, so that a
 * client can carry it between keyrings of different clusters without seeing the value.
 *
 * <p>The target offers its cluster's <em>cloning key</em>: an EC P-256 key pair every member of
 * that cluster derives from the cluster's SMK (HKDF-SHA256, info {@code "keyring object clone key
 * v1"}), so any member of the target cluster can open a clone made for its cluster, and nobody
 * without that SMK can. The source makes a one-time EC P-256 key pair for each clone, agrees an
 * AES-256 key by ECDH with the target's cloning key and HKDF-SHA256 over the ECDH secret followed
 * by the partition's cloning domain key (derived from the domain's secret when the partition was
 * initialized, kept sealed under the device key), and encrypts the object with AES-256-GCM. Without
 * the domain's secret nobody can make a clone a target accepts, nor open one.
 *
 * <pre>
 * offset size
 *  0      4   magic "KOCL"
 *  4      1   format version (1)
 *  5      2   n, length of the source's one-time public key (big-endian)
 *  7      n   the source's one-time public key (X.509 DER, EC P-256)
 *  7+n    2   m, length of the target's cloning public key
 *  9+n    m   the target's cloning public key (X.509 DER, EC P-256)
 *  9+n+m 12   IV
 * 21+n+m  …   AES-256-GCM ciphertext of the payload, then the 16-byte tag
 * </pre>
 *
 * The payload: object id (16 bytes), SKS blob kind (1; 0 without a secret part), origin (1), class
 * name (2-byte length, UTF-8), attributes as JSON (4-byte length, UTF-8), secret value (4-byte
 * length, bytes). HKDF: salt {@code "keyring object clone v1"}, info {@code "keyring object clone
 * v1 aes-256-gcm"}. The associated data is {@code "keyring object clone v1" || version || the
 * cloning domain fingerprint, the source's and the target's public keys, each with a 2-byte
 * length}: a clone opens only on an HSM of the same cloning domain as the one that made it, and
 * only in the cluster whose cloning key it was made for.
 */
final class ObjectClone {
  static final byte VERSION = 1;
  static final String FAILED =
      "the object clone could not be opened: the cloning domains differ, it was made for another"
          + " cluster, or it was altered";

  static final byte[] CLONING_KEY_INFO =
      "keyring object clone key v1".getBytes(StandardCharsets.US_ASCII);
  static final byte[] LABEL = "keyring object clone v1".getBytes(StandardCharsets.US_ASCII);
  static final byte[] HKDF_INFO =
      "keyring object clone v1 aes-256-gcm".getBytes(StandardCharsets.US_ASCII);

  private static final byte[] MAGIC = "KOCL".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_PUBLIC_KEY_LENGTH = 256;
  private static final int MAX_BUNDLE_LENGTH = 64 * 1024;
  private static final int TAG_LENGTH = 16;

  /** The parts of a bundle: nothing secret but the ciphertext, which is useless alone. */
  record Parsed(byte[] sourcePublicKey, byte[] targetPublicKey, byte[] iv, byte[] ciphertext) {}

  /**
   * The payload once opened. {@code secret} is plaintext key material (or null): whoever decodes it
   * owns it and must hand it to a {@link SecretBytes} or wipe it.
   */
  record Payload(
      UUID objectId,
      byte kind,
      byte origin,
      String objectClass,
      byte[] attributesJson,
      byte[] secret) {}

  private ObjectClone() {}

  static byte[] encode(byte[] source, byte[] target, byte[] iv, byte[] ciphertext) {
    return ByteBuffer.allocate(9 + source.length + target.length + iv.length + ciphertext.length)
        .put(MAGIC)
        .put(VERSION)
        .putShort((short) source.length)
        .put(source)
        .putShort((short) target.length)
        .put(target)
        .put(iv)
        .put(ciphertext)
        .array();
  }

  /** Splits a bundle; anything malformed is refused with CKR_ARGUMENTS_BAD and {@link #FAILED}. */
  static Parsed parse(byte[] bundle) {
    if (bundle == null || bundle.length < 9 || bundle.length > MAX_BUNDLE_LENGTH) {
      throw failed(ResultCode.CKR_ARGUMENTS_BAD);
    }
    ByteBuffer b = ByteBuffer.wrap(bundle);
    byte[] magic = new byte[4];
    b.get(magic);
    if (!Arrays.equals(magic, MAGIC) || b.get() != VERSION) {
      throw failed(ResultCode.CKR_ARGUMENTS_BAD);
    }
    byte[] source = lengthPrefixed(b);
    if (b.remaining() < 2) {
      throw failed(ResultCode.CKR_ARGUMENTS_BAD);
    }
    byte[] target = lengthPrefixed(b);
    if (b.remaining() < SmkClone.IV_LENGTH + TAG_LENGTH) {
      throw failed(ResultCode.CKR_ARGUMENTS_BAD);
    }
    byte[] iv = new byte[SmkClone.IV_LENGTH];
    b.get(iv);
    byte[] ct = new byte[b.remaining()];
    b.get(ct);
    return new Parsed(source, target, iv, ct);
  }

  private static byte[] lengthPrefixed(ByteBuffer b) {
    int n = b.getShort() & 0xffff;
    if (n == 0 || n > MAX_PUBLIC_KEY_LENGTH || b.remaining() < n) {
      throw failed(ResultCode.CKR_ARGUMENTS_BAD);
    }
    byte[] out = new byte[n];
    b.get(out);
    return out;
  }

  static byte[] associatedData(String domainFingerprint, byte[] source, byte[] target) {
    byte[] domain = domainFingerprint.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(LABEL.length + 1 + 6 + domain.length + source.length + target.length)
        .put(LABEL)
        .put(VERSION)
        .putShort((short) domain.length)
        .put(domain)
        .putShort((short) source.length)
        .put(source)
        .putShort((short) target.length)
        .put(target)
        .array();
  }

  /** The plaintext payload; the caller wipes it once encrypted. */
  static byte[] encodePayload(Payload p) {
    byte[] cls = p.objectClass().getBytes(StandardCharsets.UTF_8);
    byte[] secret = p.secret() == null ? new byte[0] : p.secret();
    return ByteBuffer.allocate(
            16 + 2 + 2 + cls.length + 4 + p.attributesJson().length + 4 + secret.length)
        .putLong(p.objectId().getMostSignificantBits())
        .putLong(p.objectId().getLeastSignificantBits())
        .put(p.kind())
        .put(p.origin())
        .putShort((short) cls.length)
        .put(cls)
        .putInt(p.attributesJson().length)
        .put(p.attributesJson())
        .putInt(secret.length)
        .put(secret)
        .array();
  }

  /**
   * Decodes an opened payload (authenticated, so malformed means a faulty source); {@code plain} is
   * left for the caller to wipe.
   */
  static Payload decodePayload(byte[] plain) {
    try {
      ByteBuffer b = ByteBuffer.wrap(plain);
      UUID id = new UUID(b.getLong(), b.getLong());
      byte kind = b.get();
      byte origin = b.get();
      byte[] cls = new byte[b.getShort() & 0xffff];
      b.get(cls);
      int attrsLength = b.getInt();
      if (attrsLength < 0 || attrsLength > b.remaining()) {
        throw failed(ResultCode.CKR_ARGUMENTS_BAD);
      }
      byte[] attrs = new byte[attrsLength];
      b.get(attrs);
      int secretLength = b.getInt();
      if (secretLength < 0 || secretLength != b.remaining()) {
        throw failed(ResultCode.CKR_ARGUMENTS_BAD);
      }
      byte[] secret = null;
      if (secretLength > 0) {
        secret = new byte[secretLength];
        b.get(secret);
      }
      return new Payload(id, kind, origin, new String(cls, StandardCharsets.UTF_8), attrs, secret);
    } catch (java.nio.BufferUnderflowException e) {
      throw failed(ResultCode.CKR_ARGUMENTS_BAD);
    }
  }

  static HsmException failed(ResultCode code) {
    return new HsmException(code, FAILED);
  }
}
