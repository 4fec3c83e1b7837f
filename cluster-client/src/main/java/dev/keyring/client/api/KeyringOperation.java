package dev.keyring.client.api;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.io.ByteArrayOutputStream;
import java.util.Objects;

/**
 * A multi-part sign, verify, encrypt or decrypt, started with {@link
 * KeyringChannel#startOperation}. Input given to {@link #update} is gathered locally and sent in
 * parts of {@value #PART_BYTES} bytes; the last part goes with {@link #finish()} (or {@link
 * #finishVerify(byte[])}), which returns the result. The member holds up to 64 MiB of input for one
 * operation.
 *
 * <p>The operation lives on the member where it started: every part goes there, whatever the
 * routing of other calls, and is counted in that member's {@link MemberState} figures. Parts change
 * the member's state, so a part whose request was sent is never repeated after a network failure,
 * nor sent to another member: the operation then fails with a {@link TransportException} (or, if
 * the member restarted, an {@link HsmException}) and must be started again. Not thread-safe: one
 * thread feeds an operation.
 */
public final class KeyringOperation {
  /** What a multi-part operation does. */
  public enum Kind {
    SIGN,
    VERIFY,
    ENCRYPT,
    DECRYPT
  }

  /** Input is sent to the member in parts of this size. */
  public static final int PART_BYTES = 1 << 20;

  /**
   * Sends one part of the operation to the member it started on, by the rules of the channel that
   * started it: never to another member, never again once its request was sent.
   */
  @FunctionalInterface
  public interface Parts {
    /**
     * Sends {@code part}; {@code last} ends the operation (with {@code signature} for a verify) and
     * returns its result.
     */
    PartResult send(byte[] part, boolean last, byte[] signature) throws TransportException;
  }

  private final Kind kind;
  private final Parts parts;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private long sent;
  private boolean done;

  /**
   * An operation of {@code kind} that a {@link KeyringChannel} started; {@code parts} sends its
   * input.
   */
  public KeyringOperation(Kind kind, Parts parts) {
    this.kind = Objects.requireNonNull(kind, "kind");
    this.parts = Objects.requireNonNull(parts, "parts");
  }

  public Kind kind() {
    return kind;
  }

  /** Bytes given to {@link #update} so far. */
  public long length() {
    return sent + pending.size();
  }

  /** Adds input. */
  public void update(byte[] data) throws TransportException {
    Objects.requireNonNull(data, "data");
    update(data, 0, data.length);
  }

  /** Adds {@code len} bytes of {@code data} from {@code off}. */
  public void update(byte[] data, int off, int len) throws TransportException {
    Objects.checkFromIndexSize(off, len, data.length);
    requireActive();
    while (len > 0) {
      int n = Math.min(len, PART_BYTES - pending.size());
      pending.write(data, off, n);
      off += n;
      len -= n;
      if (pending.size() == PART_BYTES) {
        sendPart(false, null);
      }
    }
  }

  /** Sends the rest and returns the signature, ciphertext or plaintext. */
  public byte[] finish() throws TransportException {
    if (kind == Kind.VERIFY) {
      throw new IllegalStateException("a verify operation ends with finishVerify(signature)");
    }
    requireActive();
    return sendPart(true, null).data();
  }

  /** Sends the rest with the signature; true when it verifies. */
  public boolean finishVerify(byte[] signature) throws TransportException {
    Objects.requireNonNull(signature, "signature");
    if (kind != Kind.VERIFY) {
      throw new IllegalStateException("a " + kind + " operation ends with finish()");
    }
    requireActive();
    return sendPart(true, signature).valid();
  }

  private PartResult sendPart(boolean last, byte[] signature) throws TransportException {
    byte[] part = pending.toByteArray();
    pending.reset();
    boolean ok = false;
    try {
      PartResult result = parts.send(part, last, signature);
      sent += part.length;
      ok = true;
      return result;
    } finally {
      if (last || !ok) {
        done = true;
      }
    }
  }

  private void requireActive() {
    if (done) {
      throw new HsmException(
          ResultCode.CKR_OPERATION_NOT_INITIALIZED,
          "this "
              + kind.name().toLowerCase(java.util.Locale.ROOT)
              + " operation has finished or failed; start a new one");
    }
  }

  @Override
  public String toString() {
    return "KeyringOperation[" + kind + ", " + length() + " bytes" + (done ? ", done" : "") + "]";
  }
}
