package dev.keyring.protocol;

import java.io.ByteArrayOutputStream;

/**
 * The input of one multi-part operation, gathered part by part up to {@link
 * KeyringLimits#MAX_MULTIPART_BYTES} and used whole with the last part. Thread-safe.
 */
public final class MultiPartInput {
  private final ByteArrayOutputStream data = new ByteArrayOutputStream();

  /**
   * Adds a part ({@code null} adds nothing).
   *
   * @throws HsmException CKR_DATA_LEN_RANGE if the input would exceed the limit; nothing is added
   */
  public synchronized void append(byte[] part) {
    if (part == null) {
      return;
    }
    if ((long) data.size() + part.length > KeyringLimits.MAX_MULTIPART_BYTES) {
      throw new HsmException(
          ResultCode.CKR_DATA_LEN_RANGE,
          "a multi-part operation takes at most "
              + (KeyringLimits.MAX_MULTIPART_BYTES >> 20)
              + " MiB in all");
    }
    data.writeBytes(part);
  }

  /** Everything appended so far. */
  public synchronized byte[] all() {
    return data.toByteArray();
  }
}
