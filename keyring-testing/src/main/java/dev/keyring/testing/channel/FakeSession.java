package dev.keyring.testing.channel;

import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.PartResult;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.MultiPartInput;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A physical session a fake member opened on one keyring: its login, and its multi-part operations.
 * As on a member, keys are used by a KRCO login only, and not while the initial password waits for
 * its change.
 */
final class FakeSession {
  /** Operations one session may run at once. */
  static final int MAX_OPERATIONS = 16;

  /** Input one multi-part operation may gather. */
  private final String id;

  private final FakeKeyring keyring;
  private final Map<String, Operation> operations = new ConcurrentHashMap<>();
  private Role role;

  FakeSession(String id, FakeKeyring keyring) {
    this.id = id;
    this.keyring = keyring;
  }

  String id() {
    return id;
  }

  FakeKeyring keyring() {
    return keyring;
  }

  synchronized void login(Role r, String password) {
    if (role != null) {
      throw new HsmException(
          ResultCode.CKR_USER_ALREADY_LOGGED_IN,
          "session is already logged in as " + role + "; log out first");
    }
    if (r == Role.KRCO && !keyring.krcoInitialized()) {
      throw new HsmException(
          ResultCode.CKR_USER_PIN_NOT_INITIALIZED,
          "the KRCO role of " + keyring + " is not initialized");
    }
    keyring.checkPassword(password);
    role = r;
  }

  synchronized void logout() {
    if (role == null) {
      throw new HsmException(ResultCode.CKR_USER_NOT_LOGGED_IN, "session is not logged in");
    }
    role = null;
    operations.clear();
  }

  /** The role logged in, or CKR_USER_NOT_LOGGED_IN. */
  synchronized Role requireLogin() {
    if (role == null) {
      throw new HsmException(
          ResultCode.CKR_USER_NOT_LOGGED_IN,
          "this session is not logged in: log in as the KRCO first");
    }
    return role;
  }

  /** The keyring, for a session that may use its keys (KRCO, password changed). */
  FakeKeyring requireCrypto() {
    Role r = requireLogin();
    if (keyring.passwordChangeRequired()) {
      throw new HsmException(
          ResultCode.CKR_PIN_EXPIRED, keyring + " still has its initial password: change it first");
    }
    if (r != Role.KRCO) {
      throw new HsmException(
          ResultCode.CKR_USER_NOT_LOGGED_IN,
          "keys of " + keyring + " are used by the KRCO (crypto officer); log in as KRCO");
    }
    return keyring;
  }

  void startOperation(String operationId, Operation op) {
    requireCrypto();
    synchronized (operations) {
      if (operations.size() >= MAX_OPERATIONS) {
        throw new HsmException(
            ResultCode.CKR_OPERATION_ACTIVE,
            "a session may run at most " + MAX_OPERATIONS + " operations at once");
      }
      operations.put(operationId, op);
    }
  }

  /** The operation, removed when {@code last} (or when it fails). */
  Operation operation(String operationId, boolean last) {
    Operation op = last ? operations.remove(operationId) : operations.get(operationId);
    if (op == null) {
      throw new HsmException(
          ResultCode.CKR_OPERATION_NOT_INITIALIZED,
          "no operation " + operationId + " in this session");
    }
    return op;
  }

  void dropOperation(String operationId) {
    operations.remove(operationId);
  }

  /** A multi-part operation: its input is gathered, and used whole with the last part. */
  static final class Operation {
    final KeyringOperation.Kind kind;
    final long key;
    final Mechanism mechanism;
    final MechanismParams params;
    private final MultiPartInput input = new MultiPartInput();

    Operation(KeyringOperation.Kind kind, long key, Mechanism mechanism, MechanismParams params) {
      this.kind = kind;
      this.key = key;
      this.mechanism = mechanism;
      this.params = params;
    }

    void append(byte[] part) {
      input.append(part);
    }

    /** Runs the operation with {@code key} on all its input: what the last part answers. */
    PartResult finish(FakeObject key, byte[] signature) {
      byte[] all = input.all();
      switch (kind) {
        case SIGN:
          return new PartResult(FakeCrypto.sign(key, mechanism, params, all), false);
        case VERIFY:
          if (signature == null) {
            throw new HsmException(
                ResultCode.CKR_ARGUMENTS_BAD, "the last part of a verify needs the signature");
          }
          return new PartResult(null, FakeCrypto.verify(key, mechanism, params, all, signature));
        case ENCRYPT:
          return new PartResult(FakeCrypto.encrypt(key, mechanism, params, all), false);
        default:
          return new PartResult(FakeCrypto.decrypt(key, mechanism, params, all), false);
      }
    }
  }

  @Override
  public String toString() {
    return "session " + id + " on " + keyring;
  }
}
