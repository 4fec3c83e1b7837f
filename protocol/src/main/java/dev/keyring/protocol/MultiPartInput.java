package dev.keyring.protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * The input of one multi-part operation, gathered part by part up to {@link
 * KeyringLimits#MAX_MULTIPART_BYTES} and used whole with the last part. The parts are kept as they
 * came (not copied, so the caller must not change one after adding it), so the input takes no more
 * memory than its bytes until {@link #all()} joins them. Thread-safe.
 */
public final class MultiPartInput {
  private final List<byte[]> parts = new ArrayList<>();
  private long size;

  /**
   * Adds a part ({@code null} adds nothing).
   *
   * @throws HsmException CKR_DATA_LEN_RANGE if the input would exceed the limit; nothing is added
   */
  public synchronized void append(byte[] part) {
    if (part == null) {
      return;
    }
    if (size + part.length > KeyringLimits.MAX_MULTIPART_BYTES) {
      throw new HsmException(
          ResultCode.CKR_DATA_LEN_RANGE,
          "a multi-part operation takes at most "
              + (KeyringLimits.MAX_MULTIPART_BYTES >> 20)
              + " MiB in all");
    }
    if (part.length > 0) {
      parts.add(part);
      size += part.length;
    }
  }

  /** Bytes gathered so far. */
  public synchronized long size() {
    return size;
  }

  /** Everything appended so far, in one array. */
  public synchronized byte[] all() {
    byte[] all = new byte[(int) size];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }
}
