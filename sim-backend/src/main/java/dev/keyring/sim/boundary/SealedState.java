package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The format of a secret that belongs to the HSM itself rather than to a keyring object (the
 * appliance's TLS key, the member's TLS key, the cluster CA key), sealed with AES-256-GCM under the
 * device key or under the SMK. It is deliberately not an SKS blob: another magic, another
 * associated-data label, and a caller-chosen label bound into the associated data, so neither kind
 * of blob can be opened as the other, and a sealed state cannot be moved to another name.
 *
 * <pre>
 * offset size
 *  0      4   magic "KSST"
 *  4      1   format version (1)
 *  5      1   sealing key: 1 = device key, 2 = SMK
 *  6      2   reserved (0)
 *  8      8   fingerprint of the sealing key
 * 16     12   nonce
 * 28      n   ciphertext, then the 16-byte tag
 * </pre>
 *
 * The associated data is {@code "keyring sealed hsm state v1" || header || UTF-8(label)}.
 */
final class SealedState {
  static final byte UNDER_DEVICE_KEY = 1;
  static final byte UNDER_SMK = 2;
  private static final int HEADER_LENGTH = 28;
  private static final int TAG_LENGTH = 16;
  private static final byte VERSION = 1;
  private static final byte[] MAGIC = "KSST".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] AAD_LABEL =
      "keyring sealed hsm state v1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DEVICE_KEY_FINGERPRINT_LABEL =
      "keyring device key fingerprint".getBytes(StandardCharsets.US_ASCII);

  private SealedState() {}

  /** The first 8 bytes of HMAC-SHA256(device key, "keyring device key fingerprint"). */
  static byte[] deviceKeyFingerprint(SecretKeySpec deviceKey) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256", "SunJCE");
      mac.init(new SecretKeySpec(deviceKey.getEncoded(), "HmacSHA256"));
      return Arrays.copyOf(mac.doFinal(DEVICE_KEY_FINGERPRINT_LABEL), 8);
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "HMAC-SHA256 is not available");
    }
  }

  static byte[] seal(
      byte under,
      SecretKeySpec key,
      byte[] keyFingerprint,
      String label,
      SecretBytes plaintext,
      SecureRandom random,
      Provider gcmProvider) {
    byte[] nonce = new byte[12];
    random.nextBytes(nonce);
    ByteBuffer h = ByteBuffer.allocate(HEADER_LENGTH);
    h.put(MAGIC).put(VERSION).put(under).put((byte) 0).put((byte) 0);
    h.put(keyFingerprint, 0, 8).put(nonce);
    byte[] header = h.array();
    byte[] pt = plaintext.reveal(SecretKeyAccess.INSTANCE);
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", gcmProvider);
      gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
      gcm.updateAAD(associatedData(header, label));
      byte[] out = new byte[HEADER_LENGTH + pt.length + TAG_LENGTH];
      System.arraycopy(header, 0, out, 0, HEADER_LENGTH);
      gcm.doFinal(pt, 0, pt.length, out, HEADER_LENGTH);
      return out;
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "sealing " + label + " failed");
    } finally {
      Arrays.fill(pt, (byte) 0);
    }
  }

  static SecretBytes open(
      byte under,
      SecretKeySpec key,
      byte[] keyFingerprint,
      String label,
      byte[] sealed,
      Provider gcmProvider) {
    if (sealed == null || sealed.length < HEADER_LENGTH + TAG_LENGTH) {
      throw invalid(label, "it is too short");
    }
    if (!Arrays.equals(Arrays.copyOf(sealed, 4), MAGIC)) {
      throw invalid(label, "it does not start with the sealed-state magic");
    }
    if (sealed[4] != VERSION) {
      throw invalid(label, "format version " + (sealed[4] & 0xff) + " is not supported");
    }
    if (sealed[5] != under) {
      throw invalid(
          label,
          "it is sealed under the "
              + keyName(sealed[5])
              + ", not under the "
              + keyName(under)
              + " as expected");
    }
    byte[] header = Arrays.copyOf(sealed, HEADER_LENGTH);
    byte[] fp = Arrays.copyOfRange(header, 8, 16);
    if (!MessageDigest.isEqual(fp, Arrays.copyOf(keyFingerprint, 8))) {
      throw invalid(
          label,
          under == UNDER_SMK
              ? "it was sealed under another SMK (this member holds another SMK)"
              : "it was sealed under another HSM's device key (was the device key replaced?)");
    }
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", gcmProvider);
      gcm.init(
          Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, Arrays.copyOfRange(header, 16, 28)));
      gcm.updateAAD(associatedData(header, label));
      return SecretBytes.adopt(gcm.doFinal(sealed, HEADER_LENGTH, sealed.length - HEADER_LENGTH));
    } catch (AEADBadTagException e) {
      throw invalid(
          label, "authentication failed: it was altered, or it belongs to another name or owner");
    } catch (GeneralSecurityException e) {
      throw invalid(label, "decryption failed");
    }
  }

  private static byte[] associatedData(byte[] header, String label) {
    byte[] l = label.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(AAD_LABEL.length + HEADER_LENGTH + l.length)
        .put(AAD_LABEL)
        .put(header)
        .put(l)
        .array();
  }

  private static String keyName(byte under) {
    switch (under) {
      case UNDER_DEVICE_KEY:
        return "device key";
      case UNDER_SMK:
        return "SMK";
      default:
        return "unknown key " + (under & 0xff);
    }
  }

  private static HsmException invalid(String label, String why) {
    return new HsmException(
        ResultCode.CKR_ENCRYPTED_DATA_INVALID, "the sealed " + label + " is invalid: " + why);
  }
}
