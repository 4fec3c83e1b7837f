package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.CryptoMessages;
import dev.keyring.protocol.wire.CryptoMessages.CryptoResult;
import dev.keyring.sim.keyring.KeyringSession;
import java.util.UUID;

/**
 * Multi-part operations on the crypto API: {@code POST /v1/sessions/{id}/operations} starts one,
 * {@code POST /v1/sessions/{id}/operations/{op}} adds a part, and the last part answers. Each part
 * is reserved in the member's {@link BufferBudget}: a part the budget cannot hold is refused 409
 * {@code CKR_DEVICE_MEMORY} and ends its operation (what it gathered goes back), and nothing else
 * changes. The answer of an encrypt or decrypt is as large as its input, and is reserved too while
 * it is written.
 */
final class OperationEndpoints {
  static final int MAX_OPERATIONS_PER_SESSION = 16;

  /** Reserved for an encrypt or decrypt answer, per byte of input: the bytes and their Base64. */
  static final int ANSWER_FACTOR = 3;

  private final BufferBudget budget;

  OperationEndpoints(BufferBudget budget) {
    this.budget = budget;
  }

  void start(JsonExchange x, CryptoSessions.Entry s) {
    CryptoMessages.StartOperation req = x.read(CryptoMessages.StartOperation.class);
    s.requireLogin();
    MultiPartOperation.Kind kind = MultiPartOperation.parseKind(req.kind());
    if (s.operations.size() >= MAX_OPERATIONS_PER_SESSION) {
      throw new HsmException(
          ResultCode.CKR_OPERATION_ACTIVE,
          "a session may run at most " + MAX_OPERATIONS_PER_SESSION + " operations at once");
    }
    String id = UUID.randomUUID().toString();
    s.operations.put(
        id,
        new MultiPartOperation(
            kind,
            req.key(),
            CryptoApi.mechanism(req.mechanism()),
            CryptoApi.params(req.mechanism()),
            budget));
    x.ok(new CryptoMessages.OperationInfo(id));
  }

  void part(JsonExchange x, CryptoSessions.Entry s, String opId, Lease lease) {
    CryptoMessages.OperationPart req = x.read(CryptoMessages.OperationPart.class);
    MultiPartOperation op = s.operations.get(opId);
    if (op == null) {
      throw notInitialized(opId);
    }
    if (req.signature() != null && (!req.last() || op.kind != MultiPartOperation.Kind.VERIFY)) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "a signature goes only with the last part of a verify");
    }
    try {
      op.append(req.data());
    } catch (HsmException e) {
      s.operations.remove(opId, op);
      op.abort();
      throw e;
    }
    if (!req.last()) {
      x.noContent();
      return;
    }
    if (!s.operations.remove(opId, op)) {
      throw notInitialized(opId); // finished or aborted by another request meanwhile
    }
    try {
      finish(x, s.requireLogin(), op, req, lease);
    } finally {
      op.abort(); // nothing left once finished; otherwise its input goes back
    }
  }

  private static void finish(
      JsonExchange x,
      KeyringSession k,
      MultiPartOperation op,
      CryptoMessages.OperationPart req,
      Lease lease) {
    if (op.kind == MultiPartOperation.Kind.VERIFY && req.signature() == null) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "the last part of a verify needs the signature");
    }
    long size = op.size();
    if ((op.kind == MultiPartOperation.Kind.ENCRYPT || op.kind == MultiPartOperation.Kind.DECRYPT)
        && !lease.tryReserve(ANSWER_FACTOR * size)) {
      throw BufferBudget.refusal("the answer of a " + size + "-byte operation");
    }
    byte[] all = op.finish(lease);
    switch (op.kind) {
      case SIGN:
        x.ok(new CryptoResult(k.sign(op.key, op.mechanism, op.params, all)));
        return;
      case VERIFY:
        x.ok(CryptoApi.verify(k, op.key, op.mechanism, op.params, all, req.signature()));
        return;
      case ENCRYPT:
        x.ok(new CryptoResult(k.encrypt(op.key, op.mechanism, op.params, all)));
        return;
      default:
        x.ok(new CryptoResult(k.decrypt(op.key, op.mechanism, op.params, all)));
    }
  }

  private static HsmException notInitialized(String opId) {
    return new HsmException(
        ResultCode.CKR_OPERATION_NOT_INITIALIZED, "this session has no operation with that id");
  }
}
