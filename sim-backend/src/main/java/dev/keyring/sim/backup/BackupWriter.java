package dev.keyring.sim.backup;

import dev.keyring.sim.boundary.BackupCipher;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Writes a backup file: the clear header, then the body in encrypted chunks as it is produced, so a
 * backup of any size streams through a buffer of one chunk. Frames (one per keyring, then the end
 * frame with the totals) are cut into chunks of the header's chunk size; only the last chunk may be
 * shorter, and only it is sealed with the "last" flag.
 */
final class BackupWriter {
  private final OutputStream out;
  private final BackupCipher cipher;
  private final BackupHeader header;
  private final byte[] headerBytes;
  private final byte[] buffer;
  private int filled;
  private int index;
  private int keyrings;
  private int objects;
  private boolean finished;

  BackupWriter(OutputStream out, BackupHeader header, BackupCipher cipher) throws IOException {
    this.out = out;
    this.cipher = cipher;
    this.header = header;
    this.headerBytes = header.encode();
    this.buffer = new byte[header.chunkSize()];
    out.write(headerBytes);
  }

  /** Appends one keyring. */
  void keyring(KeyringEntry entry) throws IOException {
    frame(BackupChunks.FRAME_KEYRING, entry.encode());
    keyrings++;
    objects += entry.objects().size();
  }

  /** Appends the end frame and seals the last chunk. The totals must match the header's. */
  void finish() throws IOException {
    if (keyrings != header.keyrings() || objects != header.objects()) {
      throw new IllegalStateException(
          "the backup holds "
              + keyrings
              + " keyrings and "
              + objects
              + " objects, but its header says "
              + header.keyrings()
              + " and "
              + header.objects());
    }
    String end = "{\"keyrings\":" + keyrings + ",\"objects\":" + objects + "}";
    frame(BackupChunks.FRAME_END, end.getBytes(StandardCharsets.UTF_8));
    seal(true);
    finished = true;
    out.flush();
  }

  private void frame(int type, byte[] body) throws IOException {
    if (finished) {
      throw new IllegalStateException("the backup is finished");
    }
    write(ByteBuffer.allocate(5).put((byte) type).putInt(body.length).array());
    write(body);
  }

  private void write(byte[] bytes) throws IOException {
    int at = 0;
    while (at < bytes.length) {
      if (filled == buffer.length) {
        seal(false); // more follows: this full chunk is not the last
      }
      int n = Math.min(bytes.length - at, buffer.length - filled);
      System.arraycopy(bytes, at, buffer, filled, n);
      filled += n;
      at += n;
    }
  }

  private void seal(boolean last) throws IOException {
    byte[] sealed =
        cipher.seal(
            BackupChunks.nonce(header.noncePrefix(), index),
            BackupChunks.associatedData(headerBytes, index, last),
            buffer,
            filled);
    out.write(sealed);
    java.util.Arrays.fill(buffer, 0, filled, (byte) 0);
    filled = 0;
    index++;
  }
}
