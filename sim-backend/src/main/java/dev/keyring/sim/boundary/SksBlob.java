package dev.keyring.sim.boundary;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.ResultCode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;

/**
 * The SKS blob format, version 1: the secret part of one object, encrypted under the SMK.
 *
 * <pre>
 * offset size
 *  0      4   magic "KSKS"
 *  4      1   format version (1)
 *  5      1   payload kind: 1 = PKCS#8 private key, 2 = raw secret key bytes
 *  6      1   CKA_KEY_TYPE value (low byte)
 *  7      1   cipher suite: 1 = AES-256-GCM, 96-bit nonce, 128-bit tag
 *  8      8   SMK fingerprint (first 8 bytes of HMAC-SHA256(SMK, "keyring smk fingerprint"))
 * 16     12   nonce
 * 28      n   ciphertext, then the 16-byte tag
 * </pre>
 *
 * The GCM associated data is {@code "keyring sks blob v1" || header (28 bytes) || cluster id ||
 * keyring id || object id || length(attributes) || attributes.canonicalEncoding()}, so a blob moved
 * to another object, keyring or cluster, or stored beside altered attributes, fails to open.
 */
final class SksBlob {
  static final int HEADER_LENGTH = 28;
  static final int TAG_LENGTH = 16;
  static final byte VERSION = 1;
  static final byte KIND_PKCS8 = 1;
  static final byte KIND_RAW_SECRET = 2;
  static final byte SUITE_AES256_GCM = 1;
  private static final byte[] MAGIC = "KSKS".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] AAD_LABEL = "keyring sks blob v1".getBytes(StandardCharsets.US_ASCII);

  private SksBlob() {}

  /** The header of a new blob. */
  static byte[] header(byte kind, KeyType keyType, byte[] smkFingerprint, byte[] nonce) {
    ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH);
    b.put(MAGIC).put(VERSION).put(kind).put((byte) keyType.value()).put(SUITE_AES256_GCM);
    b.put(smkFingerprint, 0, 8).put(nonce, 0, 12);
    return b.array();
  }

  /** The associated data that binds a blob to its place and attributes. */
  static byte[] associatedData(
      byte[] header, UUID clusterId, UUID keyringId, UUID objectId, Attributes attributes) {
    byte[] attrs = attributes.canonicalEncoding();
    ByteBuffer b = ByteBuffer.allocate(AAD_LABEL.length + HEADER_LENGTH + 48 + 4 + attrs.length);
    b.put(AAD_LABEL).put(header, 0, HEADER_LENGTH);
    putUuid(b, clusterId);
    putUuid(b, keyringId);
    putUuid(b, objectId);
    b.putInt(attrs.length).put(attrs);
    return b.array();
  }

  /** Checks the header's fixed fields and returns it; refuses anything that is not a v1 blob. */
  static byte[] parseHeader(byte[] blob, String where) {
    if (blob == null || blob.length < HEADER_LENGTH + TAG_LENGTH) {
      throw invalid(where, "it is too short to be an SKS blob");
    }
    if (!Arrays.equals(Arrays.copyOf(blob, 4), MAGIC)) {
      throw invalid(where, "it does not start with the SKS blob magic");
    }
    if (blob[4] != VERSION) {
      throw invalid(where, "blob format version " + (blob[4] & 0xff) + " is not supported");
    }
    if (blob[5] != KIND_PKCS8 && blob[5] != KIND_RAW_SECRET) {
      throw invalid(where, "payload kind " + (blob[5] & 0xff) + " is unknown");
    }
    if (blob[7] != SUITE_AES256_GCM) {
      throw invalid(where, "cipher suite " + (blob[7] & 0xff) + " is unknown");
    }
    return Arrays.copyOf(blob, HEADER_LENGTH);
  }

  static byte kind(byte[] header) {
    return header[5];
  }

  static byte keyTypeByte(byte[] header) {
    return header[6];
  }

  static byte[] smkFingerprint(byte[] header) {
    return Arrays.copyOfRange(header, 8, 16);
  }

  static byte[] nonce(byte[] header) {
    return Arrays.copyOfRange(header, 16, 28);
  }

  static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  static HsmException invalid(String where, String why) {
    return new HsmException(
        ResultCode.CKR_ENCRYPTED_DATA_INVALID, "SKS blob of " + where + " is invalid: " + why);
  }

  private static void putUuid(ByteBuffer b, UUID id) {
    b.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
  }
}
