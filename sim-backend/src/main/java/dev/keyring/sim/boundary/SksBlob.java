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
 * The SKS blob format, version 2: the secret part of one object, encrypted under the SMK, with
 * where the key came from.
 *
 * <pre>
 * offset size
 *  0      4   magic "KSKS"
 *  4      1   format version (2; 1 is still read)
 *  5      1   payload kind: 1 = PKCS#8 private key, 2 = raw secret key bytes
 *  6      1   CKA_KEY_TYPE value (low byte)
 *  7      1   cipher suite: 1 = AES-256-GCM, 96-bit nonce, 128-bit tag
 *  8      8   SMK fingerprint (first 8 bytes of HMAC-SHA256(SMK, "keyring smk fingerprint"))
 * 16     12   nonce
 * 28      1   origin: 1 = generated inside the boundary, 2 = entered from outside ({@link KeyOrigin})
 * 29      n   ciphertext, then the 16-byte tag
 * </pre>
 *
 * Version 1 is the same without the origin byte (its ciphertext starts at offset 28); a version 1
 * blob is read as {@link KeyOrigin#OUTSIDE}, since nothing recorded where its key came from.
 *
 * <p>The GCM associated data is {@code "keyring sks blob v1" || header (29 bytes, 28 in version 1)
 * || cluster id || keyring id || object id || length(attributes) ||
 * attributes.canonicalEncoding()}, so a blob moved to another object, keyring or cluster, stored
 * beside altered attributes, or given another origin, fails to open.
 */
final class SksBlob {
  /** The header length of the current version. */
  static final int HEADER_LENGTH = 29;

  /** The header length of version 1, which has no origin byte. */
  static final int V1_HEADER_LENGTH = 28;

  static final int TAG_LENGTH = 16;
  static final byte VERSION = 2;
  static final byte VERSION_1 = 1;
  static final byte KIND_PKCS8 = 1;
  static final byte KIND_RAW_SECRET = 2;
  static final byte SUITE_AES256_GCM = 1;
  private static final byte[] MAGIC = "KSKS".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] AAD_LABEL = "keyring sks blob v1".getBytes(StandardCharsets.US_ASCII);

  private SksBlob() {}

  /** The header of a new blob. */
  static byte[] header(
      byte kind, KeyType keyType, KeyOrigin origin, byte[] smkFingerprint, byte[] nonce) {
    ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH);
    b.put(MAGIC).put(VERSION).put(kind).put((byte) keyType.value()).put(SUITE_AES256_GCM);
    b.put(smkFingerprint, 0, 8).put(nonce, 0, 12).put(origin.code());
    return b.array();
  }

  /** The associated data that binds a blob to its place and attributes. */
  static byte[] associatedData(
      byte[] header, UUID clusterId, UUID keyringId, UUID objectId, Attributes attributes) {
    byte[] attrs = attributes.canonicalEncoding();
    ByteBuffer b = ByteBuffer.allocate(AAD_LABEL.length + header.length + 48 + 4 + attrs.length);
    b.put(AAD_LABEL).put(header);
    putUuid(b, clusterId);
    putUuid(b, keyringId);
    putUuid(b, objectId);
    b.putInt(attrs.length).put(attrs);
    return b.array();
  }

  /**
   * Checks the header's fixed fields and returns it (29 bytes, or 28 for version 1); refuses
   * anything that is not a version 1 or 2 blob.
   */
  static byte[] parseHeader(byte[] blob, String where) {
    if (blob == null || blob.length < V1_HEADER_LENGTH + TAG_LENGTH) {
      throw invalid(where, "it is too short to be an SKS blob");
    }
    if (!Arrays.equals(Arrays.copyOf(blob, 4), MAGIC)) {
      throw invalid(where, "it does not start with the SKS blob magic");
    }
    if (blob[4] != VERSION && blob[4] != VERSION_1) {
      throw invalid(where, "blob format version " + (blob[4] & 0xff) + " is not supported");
    }
    int headerLength = blob[4] == VERSION_1 ? V1_HEADER_LENGTH : HEADER_LENGTH;
    if (blob.length < headerLength + TAG_LENGTH) {
      throw invalid(where, "it is too short to be an SKS blob");
    }
    if (blob[5] != KIND_PKCS8 && blob[5] != KIND_RAW_SECRET) {
      throw invalid(where, "payload kind " + (blob[5] & 0xff) + " is unknown");
    }
    if (blob[7] != SUITE_AES256_GCM) {
      throw invalid(where, "cipher suite " + (blob[7] & 0xff) + " is unknown");
    }
    if (headerLength == HEADER_LENGTH && KeyOrigin.fromCode(blob[28]) == null) {
      throw invalid(where, "origin " + (blob[28] & 0xff) + " is unknown");
    }
    return Arrays.copyOf(blob, headerLength);
  }

  static byte kind(byte[] header) {
    return header[5];
  }

  static byte keyTypeByte(byte[] header) {
    return header[6];
  }

  /** Where the key came from: the origin byte, or OUTSIDE for a version 1 blob, which has none. */
  static KeyOrigin origin(byte[] header) {
    return header.length == HEADER_LENGTH ? KeyOrigin.fromCode(header[28]) : KeyOrigin.OUTSIDE;
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
