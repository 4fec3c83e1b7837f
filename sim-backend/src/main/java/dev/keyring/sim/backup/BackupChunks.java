package dev.keyring.sim.backup;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** The nonce and associated data of one chunk of a backup body (see {@code docs/backup.md}). */
final class BackupChunks {
  private static final byte[] LABEL =
      "keyring cluster backup v1".getBytes(StandardCharsets.US_ASCII);

  /** Frame types of the plaintext body. */
  static final int FRAME_KEYRING = 1;

  static final int FRAME_END = 2;

  /** The largest frame accepted: a keyring of 256 objects is far smaller. */
  static final int MAX_FRAME = 16 << 20;

  private BackupChunks() {}

  /** nonce = nonce prefix (8 bytes) || chunk index (4 bytes, big-endian). */
  static byte[] nonce(byte[] prefix, int index) {
    return ByteBuffer.allocate(12).put(prefix).putInt(index).array();
  }

  /**
   * associated data = "keyring cluster backup v1" || header || chunk index (4 bytes) || last (1
   * byte: 1 for the final chunk, else 0). The index orders the chunks and the last flag ends the
   * body, so chunks cannot be reordered, dropped or cut off at the end.
   */
  static byte[] associatedData(byte[] header, int index, boolean last) {
    return ByteBuffer.allocate(LABEL.length + header.length + 5)
        .put(LABEL)
        .put(header)
        .putInt(index)
        .put((byte) (last ? 1 : 0))
        .array();
  }
}
