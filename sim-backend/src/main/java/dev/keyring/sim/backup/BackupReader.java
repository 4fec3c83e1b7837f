package dev.keyring.sim.backup;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.boundary.BackupCipher;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads the body of a backup file chunk by chunk, each authenticated before any of its bytes is
 * used, and gives its keyrings one at a time. Whatever is wrong — password, an altered bit, a chunk
 * dropped, reordered or cut short, bytes after the end — fails with CKR_ENCRYPTED_DATA_INVALID. A
 * caller that must change nothing on a bad file reads the whole file once first ({@link
 * ClusterRestore} does).
 */
final class BackupReader {
  private final InputStream in;
  private final BackupHeader header;
  private final byte[] headerBytes;
  private final BackupCipher cipher;
  private final byte[] sealed;
  private byte[] plain = new byte[0];
  private int at;
  private int index;
  private boolean lastSeen;
  private boolean ended;
  private int keyrings;
  private int objects;

  /** Reads the header of {@code in}; the body is read by {@link #next()}. */
  static BackupHeader.Read header(InputStream in) throws IOException {
    return BackupHeader.read(in);
  }

  BackupReader(InputStream in, BackupHeader.Read header, BackupCipher cipher) {
    this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 1 << 16);
    this.header = header.header();
    this.headerBytes = header.bytes();
    this.cipher = cipher;
    this.sealed = new byte[this.header.chunkSize() + BackupCipher.TAG_BYTES];
  }

  /**
   * The next keyring, or null after the end frame (whose totals are checked against the keyrings
   * read and the header, and after which the file must end).
   */
  KeyringEntry next() throws IOException {
    if (ended) {
      return null;
    }
    byte[] head = take(5);
    int type = head[0] & 0xff;
    int length = ByteBuffer.wrap(head, 1, 4).getInt();
    if (length < 0 || length > BackupChunks.MAX_FRAME) {
      throw BackupHeader.invalid("a frame of the body has an impossible length");
    }
    byte[] body = take(length);
    if (type == BackupChunks.FRAME_KEYRING) {
      KeyringEntry e = KeyringEntry.decode(body);
      keyrings++;
      objects += e.objects().size();
      return e;
    }
    if (type != BackupChunks.FRAME_END) {
      throw BackupHeader.invalid("a frame of the body has an unknown type " + type);
    }
    String expected = "{\"keyrings\":" + keyrings + ",\"objects\":" + objects + "}";
    if (!expected.equals(new String(body, StandardCharsets.UTF_8))
        || keyrings != header.keyrings()
        || objects != header.objects()) {
      throw BackupHeader.invalid("its totals do not match what it holds");
    }
    if (at != plain.length || !lastSeen) {
      throw BackupHeader.invalid("data follows its end");
    }
    ended = true;
    return null;
  }

  private byte[] take(int n) throws IOException {
    byte[] out = new byte[n];
    int got = 0;
    while (got < n) {
      if (at == plain.length) {
        if (lastSeen) {
          throw BackupHeader.invalid("its body ends inside a frame");
        }
        nextChunk();
        continue;
      }
      int k = Math.min(n - got, plain.length - at);
      System.arraycopy(plain, at, out, got, k);
      at += k;
      got += k;
    }
    return out;
  }

  private void nextChunk() throws IOException {
    int read = in.readNBytes(sealed, 0, sealed.length);
    boolean last;
    if (read < sealed.length) {
      last = true;
    } else {
      in.mark(1);
      last = in.read() < 0;
      in.reset();
    }
    if (read < BackupCipher.TAG_BYTES) {
      throw new HsmException(
          ResultCode.CKR_ENCRYPTED_DATA_INVALID,
          "the backup file cannot be opened: the password is wrong, or the file was altered or"
              + " cut short");
    }
    Arrays.fill(plain, (byte) 0);
    plain =
        cipher.open(
            BackupChunks.nonce(header.noncePrefix(), index),
            BackupChunks.associatedData(headerBytes, index, last),
            sealed,
            read);
    at = 0;
    index++;
    lastSeen = last;
  }
}
