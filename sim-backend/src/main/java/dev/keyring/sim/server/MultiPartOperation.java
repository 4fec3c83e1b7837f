package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import java.io.ByteArrayOutputStream;

/**
 * A multi-part sign, verify, encrypt or decrypt: the parts are gathered (up to {@link #MAX_BYTES})
 * and the whole input goes to the boundary with the last part. The buffer holds the caller's data,
 * never key material.
 */
final class MultiPartOperation {
  static final int MAX_BYTES = 64 << 20;

  enum Kind {
    SIGN,
    VERIFY,
    ENCRYPT,
    DECRYPT
  }

  final Kind kind;
  final long key;
  final Mechanism mechanism;
  final MechanismParams params;
  private final ByteArrayOutputStream data = new ByteArrayOutputStream();

  MultiPartOperation(Kind kind, long key, Mechanism mechanism, MechanismParams params) {
    this.kind = kind;
    this.key = key;
    this.mechanism = mechanism;
    this.params = params;
  }

  synchronized void append(byte[] part) {
    if (part == null) {
      return;
    }
    if ((long) data.size() + part.length > MAX_BYTES) {
      throw new HsmException(
          ResultCode.CKR_DATA_LEN_RANGE,
          "a multi-part operation takes at most " + (MAX_BYTES >> 20) + " MiB in all");
    }
    data.writeBytes(part);
  }

  synchronized byte[] all() {
    return data.toByteArray();
  }

  static Kind parseKind(String kind) {
    if (kind != null) {
      for (Kind k : Kind.values()) {
        if (k.name().equalsIgnoreCase(kind)) {
          return k;
        }
      }
    }
    throw new HsmException(
        ResultCode.CKR_ARGUMENTS_BAD,
        "operation kind must be sign, verify, encrypt or decrypt; got '" + kind + "'");
  }
}
