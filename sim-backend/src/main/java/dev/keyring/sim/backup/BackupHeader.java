package dev.keyring.sim.backup;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.boundary.BackupCipher;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;

/**
 * The clear header of a cluster backup file (format version 1). Everything in it is public: the key
 * derivation parameters, the cluster and the fingerprint of the SMK its objects' blobs are sealed
 * under, and how much it holds. The whole header is authenticated as associated data of every chunk
 * of the body, so no byte of it can change without the file failing to open. The byte layout is in
 * {@code docs/backup.md}.
 *
 * @param logN scrypt cost, log2 N
 * @param r scrypt block size
 * @param p scrypt parallelism
 * @param salt the scrypt salt (16 bytes)
 * @param noncePrefix the first 8 bytes of every chunk's nonce
 * @param chunkSize plaintext bytes per chunk (every chunk but the last is full)
 * @param clusterId the cluster backed up
 * @param smkFingerprint fingerprint of the SMK the blobs are sealed under (8 bytes)
 * @param createdAtMillis when the backup was made (ms since the epoch)
 * @param keyrings how many keyrings it holds
 * @param objects how many objects it holds
 * @param clusterLabel the cluster's label
 */
public record BackupHeader(
    int logN,
    int r,
    int p,
    byte[] salt,
    byte[] noncePrefix,
    int chunkSize,
    UUID clusterId,
    byte[] smkFingerprint,
    long createdAtMillis,
    int keyrings,
    int objects,
    String clusterLabel) {

  /** The file's first 8 bytes. */
  static final byte[] MAGIC = "KRBACKUP".getBytes(StandardCharsets.US_ASCII);

  /** The format version written and read. */
  static final int VERSION = 1;

  static final int KDF_SCRYPT = 1;
  static final int CIPHER_AES256_GCM_CHUNKED = 1;

  /** The fixed part's length; the cluster label follows it. */
  static final int FIXED_LENGTH = 85;

  static final int MIN_CHUNK = 4 << 10;
  static final int MAX_CHUNK = 1 << 20;
  static final int MAX_LABEL_BYTES = 256;

  /** Copies the arrays. */
  public BackupHeader {
    salt = salt.clone();
    noncePrefix = noncePrefix.clone();
    smkFingerprint = smkFingerprint.clone();
  }

  @Override
  public byte[] salt() {
    return salt.clone();
  }

  @Override
  public byte[] noncePrefix() {
    return noncePrefix.clone();
  }

  @Override
  public byte[] smkFingerprint() {
    return smkFingerprint.clone();
  }

  /** The SMK fingerprint as 16 hex digits (as the boundary reports it). */
  public String smkFingerprintHex() {
    return HexFormat.of().formatHex(smkFingerprint);
  }

  /** The header's bytes as written at the start of the file. */
  byte[] encode() {
    byte[] label = clusterLabel.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(FIXED_LENGTH + label.length);
    b.put(MAGIC)
        .putShort((short) VERSION)
        .put((byte) KDF_SCRYPT)
        .put((byte) logN)
        .put((byte) r)
        .put((byte) p)
        .put(salt)
        .put((byte) CIPHER_AES256_GCM_CHUNKED)
        .put(noncePrefix)
        .putInt(chunkSize)
        .putLong(clusterId.getMostSignificantBits())
        .putLong(clusterId.getLeastSignificantBits())
        .put(smkFingerprint)
        .putLong(createdAtMillis)
        .putInt(keyrings)
        .putInt(objects)
        .putShort((short) label.length)
        .put(label);
    return b.array();
  }

  /** A header read from a file: the values and the exact bytes (the associated data). */
  record Read(BackupHeader header, byte[] bytes) {}

  /**
   * Reads and checks the header at the start of {@code in}. Anything that is not a version 1 backup
   * header (magic, version, algorithms, sizes out of range, cut short) is refused with
   * CKR_ENCRYPTED_DATA_INVALID and the reason.
   */
  static Read read(InputStream in) throws IOException {
    DataInputStream d = new DataInputStream(in);
    byte[] fixed = new byte[FIXED_LENGTH];
    try {
      d.readFully(fixed);
    } catch (EOFException e) {
      throw invalid("it is shorter than a backup header");
    }
    ByteBuffer b = ByteBuffer.wrap(fixed);
    byte[] magic = new byte[8];
    b.get(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      throw invalid("it does not start with the backup file magic");
    }
    int version = b.getShort() & 0xffff;
    if (version != VERSION) {
      throw invalid("its format version " + version + " is not known (this member reads 1)");
    }
    int kdf = b.get() & 0xff;
    int logN = b.get() & 0xff;
    int r = b.get() & 0xff;
    int p = b.get() & 0xff;
    byte[] salt = new byte[BackupCipher.SALT_BYTES];
    b.get(salt);
    int cipher = b.get() & 0xff;
    if (kdf != KDF_SCRYPT || cipher != CIPHER_AES256_GCM_CHUNKED) {
      throw invalid("its key derivation or cipher is not known");
    }
    BackupCipher.checkCost(logN, r, p);
    byte[] noncePrefix = new byte[8];
    b.get(noncePrefix);
    int chunkSize = b.getInt();
    if (chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK) {
      throw invalid("its chunk size is outside " + MIN_CHUNK + " to " + MAX_CHUNK + " bytes");
    }
    UUID cluster = new UUID(b.getLong(), b.getLong());
    byte[] fingerprint = new byte[8];
    b.get(fingerprint);
    long created = b.getLong();
    int keyrings = b.getInt();
    int objects = b.getInt();
    int labelLength = b.getShort() & 0xffff;
    if (keyrings < 0 || objects < 0 || labelLength > MAX_LABEL_BYTES) {
      throw invalid("its counts or label length are out of range");
    }
    byte[] label = new byte[labelLength];
    try {
      d.readFully(label);
    } catch (EOFException e) {
      throw invalid("it is shorter than its header");
    }
    byte[] all = Arrays.copyOf(fixed, FIXED_LENGTH + labelLength);
    System.arraycopy(label, 0, all, FIXED_LENGTH, labelLength);
    return new Read(
        new BackupHeader(
            logN,
            r,
            p,
            salt,
            noncePrefix,
            chunkSize,
            cluster,
            fingerprint,
            created,
            keyrings,
            objects,
            new String(label, StandardCharsets.UTF_8)),
        all);
  }

  static HsmException invalid(String why) {
    return new HsmException(
        ResultCode.CKR_ENCRYPTED_DATA_INVALID, "the file is not a readable cluster backup: " + why);
  }

  /** Equal when every component is, arrays by content. */
  @Override
  public boolean equals(Object o) {
    return o instanceof BackupHeader h && Arrays.equals(encode(), h.encode());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encode());
  }

  /** The public facts, without the salt or nonce prefix. */
  @Override
  public String toString() {
    return "BackupHeader[cluster "
        + clusterId
        + ", SMK "
        + smkFingerprintHex()
        + ", "
        + keyrings
        + " keyrings, "
        + objects
        + " objects]";
  }
}
