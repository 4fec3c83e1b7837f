package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.MultiPartInput;
import dev.keyring.protocol.ResultCode;

/**
 * A multi-part sign, verify, encrypt or decrypt: the parts are gathered (up to {@link
 * KeyringLimits#MAX_MULTIPART_BYTES}) and the whole input goes to the boundary with the last part.
 * The buffer holds the caller's data, never key material.
 */
final class MultiPartOperation {

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
  private final MultiPartInput input = new MultiPartInput();

  MultiPartOperation(Kind kind, long key, Mechanism mechanism, MechanismParams params) {
    this.kind = kind;
    this.key = key;
    this.mechanism = mechanism;
    this.params = params;
  }

  void append(byte[] part) {
    input.append(part);
  }

  byte[] all() {
    return input.all();
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
        ResultCode.CKR_ARGUMENTS_BAD, "operation kind must be sign, verify, encrypt or decrypt");
  }
}
