package dev.keyring.protocol.wire;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Requests and answers of the crypto API (port 50052, mutual TLS, {@code /v1/...}). Attribute
 * templates are the JSON form of {@code Attributes} (name to boolean, string or hex string).
 */
public final class CryptoMessages {
  private CryptoMessages() {}

  /** One keyring as a slot. */
  public record Slot(
      long slotId,
      UUID keyringId,
      String label,
      boolean locked,
      boolean krcoInitialized,
      boolean passwordChangeRequired) {
    /** The keyring's serial number ({@link dev.keyring.protocol.KeyringSerial}). */
    public String serialNumber() {
      return dev.keyring.protocol.KeyringSerial.of(keyringId);
    }
  }

  /** {@code GET /v1/slots}. */
  public record SlotList(List<Slot> slots) {}

  /**
   * {@code POST /v1/sessions}: a keyring by UUID or label, and optionally the id the new session is
   * to have (32 lowercase hex digits the client picked at random), so that the client can close it
   * by that id even when the answer is lost; without one the member picks the id.
   */
  public record OpenSession(String keyring, String sessionId) {
    /** An open whose session id the member picks. */
    public OpenSession(String keyring) {
      this(keyring, null);
    }
  }

  public record SessionInfo(String sessionId, UUID keyringId, String label) {}

  /**
   * {@code POST /v1/sessions/{id}/login}: role {@code po}/{@code krso} or {@code co}/{@code krco}.
   */
  public record Login(String role, String password) {}

  /** {@code POST /v1/sessions/{id}/password}. */
  public record ChangePassword(String oldPassword, String newPassword) {}

  /** {@code POST /v1/sessions/{id}/init-krco}. */
  public record InitKrco(String password) {}

  /** {@code POST /v1/sessions/{id}/objects/find}. */
  public record FindObjects(Map<String, Object> template) {}

  /** {@code POST /v1/sessions/{id}/objects}. */
  public record CreateObject(Map<String, Object> template) {}

  /** {@code PATCH /v1/sessions/{id}/objects/{handle}}. */
  public record SetAttributes(Map<String, Object> attributes) {}

  public record ObjectInfo(long handle, String objectClass, Map<String, Object> attributes) {}

  public record ObjectList(List<ObjectInfo> objects) {}

  /**
   * What to generate: type {@code RSA} (bits 2048/3072/4096), {@code EC} (curve P-256/P-384/P-521),
   * {@code EC_EDWARDS} (curve Ed25519), {@code AES} (bits 128/192/256), {@code GENERIC_SECRET}
   * (bits).
   */
  public record KeySpec(String type, Integer bits, String curve) {}

  /** {@code POST /v1/sessions/{id}/keys}. */
  public record GenerateKey(KeySpec spec, Map<String, Object> template) {}

  /** {@code POST /v1/sessions/{id}/keypairs}. */
  public record GenerateKeyPair(
      KeySpec spec, Map<String, Object> publicTemplate, Map<String, Object> privateTemplate) {}

  public record KeyPairInfo(ObjectInfo publicKey, ObjectInfo privateKey) {}

  /**
   * {@code POST /v1/sessions/{id}/sign|verify|encrypt|decrypt}: {@code signature} only for verify.
   */
  public record CryptoRequest(long key, MechanismSpec mechanism, byte[] data, byte[] signature) {}

  /** The output of sign, encrypt, decrypt, wrap and random. */
  public record CryptoResult(byte[] data) {}

  /** The answer of verify: valid, or else the code says why not. */
  public record VerifyResult(boolean valid, String code) {}

  /** {@code POST /v1/sessions/{id}/wrap}. */
  public record Wrap(long wrappingKey, MechanismSpec mechanism, long key) {}

  /** {@code POST /v1/sessions/{id}/unwrap}. */
  public record Unwrap(
      long unwrappingKey, MechanismSpec mechanism, byte[] wrapped, Map<String, Object> template) {}

  /** {@code POST /v1/sessions/{id}/derive}. */
  public record Derive(long baseKey, MechanismSpec mechanism, Map<String, Object> template) {}

  /** {@code POST /v1/sessions/{id}/random}. */
  public record RandomRequest(int length) {}

  /**
   * {@code POST /v1/sessions/{id}/operations}: starts a multi-part operation ({@code sign}, {@code
   * verify}, {@code encrypt} or {@code decrypt}).
   */
  public record StartOperation(String kind, long key, MechanismSpec mechanism) {}

  public record OperationInfo(String operationId) {}

  /**
   * {@code POST /v1/sessions/{id}/operations/{op}}: one part; {@code last} finishes the operation
   * ({@code signature} with the last part of a verify).
   */
  public record OperationPart(byte[] data, boolean last, byte[] signature) {}

  /**
   * {@code GET /v1/cluster}: the cluster view a client routes by. {@code version} grows with every
   * membership change; {@code epoch} with every change of primary.
   */
  public record ClusterView(
      UUID clusterId, String label, long epoch, long version, List<ClusterMember> members) {}

  /**
   * One member in the cluster view: where its crypto API is reached ({@code host}, {@code port}),
   * its affinity group, whether it is the primary, whether it accepts writes ({@code readOnly}
   * false), whether the member that answered sees it ({@code visible}), and the port of its binary
   * crypto channel at {@code host} ({@code channelPort}; 0 or absent: it has none).
   */
  public record ClusterMember(
      String memberId,
      String name,
      String host,
      int port,
      String group,
      boolean primary,
      boolean readOnly,
      boolean visible,
      int channelPort) {}
}
