package dev.keyring.client;

import dev.keyring.client.internal.routing.MemberLink;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.CryptoMessages;
import java.io.ByteArrayOutputStream;
import java.util.Objects;

/**
 * A multi-part sign, verify, encrypt or decrypt, started with {@link
 * KeyringSessionHandle#startOperation}. Input given to {@link #update} is gathered locally and sent
 * in parts of {@value #PART_BYTES} bytes; the last part goes with {@link #finish()} (or {@link
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

  private final KeyringSessionHandle session;
  private final MemberLink member;
  private final String sessionId;
  private final String id;
  private final Kind kind;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private long sent;
  private boolean done;

  KeyringOperation(
      KeyringSessionHandle session, MemberLink member, String sessionId, String id, Kind kind) {
    this.session = session;
    this.member = member;
    this.sessionId = sessionId;
    this.id = id;
    this.kind = kind;
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
    CryptoMessages.CryptoResult r = sendPart(true, null);
    return r.data();
  }

  /** Sends the rest with the signature; true when it verifies. */
  public boolean finishVerify(byte[] signature) throws TransportException {
    Objects.requireNonNull(signature, "signature");
    if (kind != Kind.VERIFY) {
      throw new IllegalStateException("a " + kind + " operation ends with finish()");
    }
    requireActive();
    CryptoMessages.VerifyResult r = sendPart(true, signature);
    return r.valid();
  }

  @SuppressWarnings("unchecked")
  private <T> T sendPart(boolean last, byte[] signature) throws TransportException {
    byte[] part = pending.toByteArray();
    pending.reset();
    Class<?> answer =
        !last
            ? Void.class
            : kind == Kind.VERIFY
                ? CryptoMessages.VerifyResult.class
                : CryptoMessages.CryptoResult.class;
    session.requireOpen();
    boolean ok = false;
    boolean answered = false;
    member.begin();
    try {
      T result =
          (T)
              member
                  .transport()
                  .post(
                      new CryptoMessages.OperationPart(part, last, signature),
                      answer,
                      false,
                      "v1",
                      "sessions",
                      sessionId,
                      "operations",
                      id);
      answered = true;
      sent += part.length;
      ok = true;
      return result;
    } catch (HsmException e) {
      answered = true;
      throw e;
    } finally {
      member.end(answered);
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
