package dev.keyring.client.internal.transport;

import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.PartResult;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.channel.MemberChannel;
import dev.keyring.client.channel.SessionInfo;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CloningMessages;
import dev.keyring.protocol.wire.CryptoMessages;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The calls one member answers on its REST/JSON crypto API ({@code /v1/sessions/...}), over its
 * {@link HttpTransport}: one HTTP exchange per call, never repeated here. The crypto channel sends
 * the calls it has no binary form for through the same class, as its JSON opcode.
 */
public final class HttpMemberChannel implements MemberChannel {
  private final JsonCalls transport;

  public HttpMemberChannel(HttpTransport transport) {
    this((JsonCalls) transport);
  }

  HttpMemberChannel(JsonCalls transport) {
    this.transport = Objects.requireNonNull(transport, "transport");
  }

  @Override
  public String name() {
    return transport.name();
  }

  @Override
  public void health() throws TransportException {
    transport.get(Map.class, "v1", "health");
  }

  @Override
  public List<Slot> slots() throws TransportException {
    CryptoMessages.SlotList list = transport.get(CryptoMessages.SlotList.class, "v1", "slots");
    return each(list.slots(), WireTypes::slot);
  }

  @Override
  public SessionInfo openSession(String keyringLabelOrId, String sessionId)
      throws TransportException {
    CryptoMessages.SessionInfo info =
        transport.post(
            new CryptoMessages.OpenSession(keyringLabelOrId, sessionId),
            CryptoMessages.SessionInfo.class,
            "v1",
            "sessions");
    if (info.sessionId() == null || info.sessionId().isEmpty()) {
      throw new TransportException(
          TransportException.Kind.PROTOCOL,
          transport.name() + ": the member opened a session without an id");
    }
    if (info.keyringId() == null || info.label() == null) {
      throw new TransportException(
          TransportException.Kind.PROTOCOL,
          transport.name() + ": the member opened a session without its keyring's id and label");
    }
    return new SessionInfo(info.sessionId(), info.keyringId(), info.label());
  }

  @Override
  public void closeSession(String sessionId) throws TransportException {
    transport.delete("v1", "sessions", sessionId);
  }

  @Override
  public void login(String sessionId, Role role, String password) throws TransportException {
    post(
        sessionId,
        new CryptoMessages.Login(role.name().toLowerCase(Locale.ROOT), password),
        Void.class,
        "login");
  }

  @Override
  public void logout(String sessionId) throws TransportException {
    post(sessionId, null, Void.class, "logout");
  }

  @Override
  public void changePassword(String sessionId, String oldPassword, String newPassword)
      throws TransportException {
    post(
        sessionId,
        new CryptoMessages.ChangePassword(oldPassword, newPassword),
        Void.class,
        "password");
  }

  @Override
  public void initKrco(String sessionId, String password) throws TransportException {
    post(sessionId, new CryptoMessages.InitKrco(password), Void.class, "init-krco");
  }

  @Override
  public KeyringKeyPair generateKeyPair(
      String sessionId, KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate)
      throws TransportException {
    CryptoMessages.KeyPairInfo kp =
        post(
            sessionId,
            new CryptoMessages.GenerateKeyPair(
                WireTypes.keySpec(params),
                WireTypes.template(publicTemplate),
                WireTypes.template(privateTemplate)),
            CryptoMessages.KeyPairInfo.class,
            "keypairs");
    return new KeyringKeyPair(WireTypes.object(kp.publicKey()), WireTypes.object(kp.privateKey()));
  }

  @Override
  public KeyringObject generateKey(String sessionId, KeyGenParams params, Attributes template)
      throws TransportException {
    return WireTypes.object(
        post(
            sessionId,
            new CryptoMessages.GenerateKey(WireTypes.keySpec(params), WireTypes.template(template)),
            CryptoMessages.ObjectInfo.class,
            "keys"));
  }

  @Override
  public KeyringObject createObject(String sessionId, Attributes template)
      throws TransportException {
    return WireTypes.object(
        post(
            sessionId,
            new CryptoMessages.CreateObject(WireTypes.template(template)),
            CryptoMessages.ObjectInfo.class,
            "objects"));
  }

  @Override
  public List<KeyringObject> findObjects(String sessionId, Attributes template)
      throws TransportException {
    CryptoMessages.ObjectList list =
        post(
            sessionId,
            new CryptoMessages.FindObjects(WireTypes.template(template)),
            CryptoMessages.ObjectList.class,
            "objects",
            "find");
    return each(list.objects(), WireTypes::object);
  }

  @Override
  public List<KeyringObject> findObjectsOnPrimary(String sessionId, Attributes template)
      throws TransportException {
    CryptoMessages.ObjectList list =
        transport.postToPrimary(
            new CryptoMessages.FindObjects(WireTypes.template(template)),
            CryptoMessages.ObjectList.class,
            "v1",
            "sessions",
            sessionId,
            "objects",
            "find");
    return each(list.objects(), WireTypes::object);
  }

  @Override
  public CloningMessages.CloningOffer cloningOffer(String sessionId) throws TransportException {
    return transport.get(
        CloningMessages.CloningOffer.class, "v1", "sessions", sessionId, "cloning");
  }

  @Override
  public List<CloningMessages.ClonableObject> clonableObjects(String sessionId)
      throws TransportException {
    return transport
        .get(
            CloningMessages.ClonableObjects.class,
            "v1",
            "sessions",
            sessionId,
            "cloning",
            "objects")
        .objects();
  }

  @Override
  public byte[] cloneOut(String sessionId, long handle, CloningMessages.CloningOffer offer)
      throws TransportException {
    return post(
            sessionId,
            new CloningMessages.CloneOut(handle, offer),
            CloningMessages.ObjectCloneBundle.class,
            "cloning",
            "out")
        .bundle();
  }

  @Override
  public KeyringObject cloneIn(String sessionId, byte[] bundle) throws TransportException {
    return WireTypes.object(
        post(
            sessionId,
            new CloningMessages.ObjectCloneBundle(bundle),
            CryptoMessages.ObjectInfo.class,
            "cloning",
            "in"));
  }

  @Override
  public KeyringObject getObject(String sessionId, long handle) throws TransportException {
    return WireTypes.object(
        transport.get(
            CryptoMessages.ObjectInfo.class,
            "v1",
            "sessions",
            sessionId,
            "objects",
            Long.toString(handle)));
  }

  @Override
  public KeyringObject setAttributes(String sessionId, long handle, Attributes changes)
      throws TransportException {
    return WireTypes.object(
        transport.patch(
            new CryptoMessages.SetAttributes(WireTypes.template(changes)),
            CryptoMessages.ObjectInfo.class,
            "v1",
            "sessions",
            sessionId,
            "objects",
            Long.toString(handle)));
  }

  @Override
  public void destroyObject(String sessionId, long handle) throws TransportException {
    transport.delete("v1", "sessions", sessionId, "objects", Long.toString(handle));
  }

  @Override
  public byte[] sign(
      String sessionId, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return crypto(sessionId, "sign", key, mechanism, params, data);
  }

  @Override
  public boolean verify(
      String sessionId,
      long key,
      Mechanism mechanism,
      MechanismParams params,
      byte[] data,
      byte[] signature)
      throws TransportException {
    return post(
            sessionId,
            new CryptoMessages.CryptoRequest(
                key, WireTypes.mechanism(mechanism, params), requireData(data), signature),
            CryptoMessages.VerifyResult.class,
            "verify")
        .valid();
  }

  @Override
  public byte[] encrypt(
      String sessionId, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return crypto(sessionId, "encrypt", key, mechanism, params, data);
  }

  @Override
  public byte[] decrypt(
      String sessionId, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    return crypto(sessionId, "decrypt", key, mechanism, params, data);
  }

  @Override
  public byte[] wrapKey(
      String sessionId, long wrappingKey, Mechanism mechanism, MechanismParams params, long key)
      throws TransportException {
    return post(
            sessionId,
            new CryptoMessages.Wrap(wrappingKey, WireTypes.mechanism(mechanism, params), key),
            CryptoMessages.CryptoResult.class,
            "wrap")
        .data();
  }

  @Override
  public KeyringObject unwrapKey(
      String sessionId,
      long unwrappingKey,
      Mechanism mechanism,
      MechanismParams params,
      byte[] wrapped,
      Attributes template)
      throws TransportException {
    return WireTypes.object(
        post(
            sessionId,
            new CryptoMessages.Unwrap(
                unwrappingKey,
                WireTypes.mechanism(mechanism, params),
                Objects.requireNonNull(wrapped, "wrapped"),
                WireTypes.template(template)),
            CryptoMessages.ObjectInfo.class,
            "unwrap"));
  }

  @Override
  public KeyringObject deriveKey(
      String sessionId,
      long baseKey,
      Mechanism mechanism,
      MechanismParams params,
      Attributes template)
      throws TransportException {
    return WireTypes.object(
        post(
            sessionId,
            new CryptoMessages.Derive(
                baseKey, WireTypes.mechanism(mechanism, params), WireTypes.template(template)),
            CryptoMessages.ObjectInfo.class,
            "derive"));
  }

  @Override
  public byte[] random(String sessionId, int length) throws TransportException {
    return post(
            sessionId,
            new CryptoMessages.RandomRequest(length),
            CryptoMessages.CryptoResult.class,
            "random")
        .data();
  }

  @Override
  public String startOperation(
      String sessionId,
      KeyringOperation.Kind kind,
      long key,
      Mechanism mechanism,
      MechanismParams params)
      throws TransportException {
    CryptoMessages.OperationInfo op =
        post(
            sessionId,
            new CryptoMessages.StartOperation(
                kind.name().toLowerCase(Locale.ROOT), key, WireTypes.mechanism(mechanism, params)),
            CryptoMessages.OperationInfo.class,
            "operations");
    if (op.operationId() == null || op.operationId().isEmpty()) {
      throw new TransportException(
          TransportException.Kind.PROTOCOL,
          transport.name() + ": the member started an operation without an id");
    }
    return op.operationId();
  }

  @Override
  public PartResult operationPart(
      String sessionId, String operationId, byte[] part, boolean last, byte[] signature)
      throws TransportException {
    CryptoMessages.OperationPart body = new CryptoMessages.OperationPart(part, last, signature);
    if (!last) {
      post(sessionId, body, Void.class, "operations", operationId);
      return PartResult.NONE;
    }
    if (signature != null) {
      return new PartResult(
          null,
          post(sessionId, body, CryptoMessages.VerifyResult.class, "operations", operationId)
              .valid());
    }
    return new PartResult(
        post(sessionId, body, CryptoMessages.CryptoResult.class, "operations", operationId).data(),
        false);
  }

  @Override
  public String toString() {
    return "HttpMemberChannel[" + transport.name() + "]";
  }

  private byte[] crypto(
      String sessionId,
      String op,
      long key,
      Mechanism mechanism,
      MechanismParams params,
      byte[] data)
      throws TransportException {
    return post(
            sessionId,
            new CryptoMessages.CryptoRequest(
                key, WireTypes.mechanism(mechanism, params), requireData(data), null),
            CryptoMessages.CryptoResult.class,
            op)
        .data();
  }

  /** {@code wire} (none when absent) turned into the client's types. */
  private static <W, T> List<T> each(List<W> wire, Function<W, T> convert) {
    List<T> out = new ArrayList<>();
    if (wire != null) {
      for (W w : wire) {
        out.add(convert.apply(w));
      }
    }
    return List.copyOf(out);
  }

  private static byte[] requireData(byte[] data) {
    return Objects.requireNonNull(data, "data");
  }

  /** {@code POST /v1/sessions/{sessionId}/{path...}}. */
  private <T> T post(String sessionId, Object body, Class<T> answer, String... path)
      throws TransportException {
    String[] full = new String[3 + path.length];
    full[0] = "v1";
    full[1] = "sessions";
    full[2] = sessionId;
    System.arraycopy(path, 0, full, 3, path.length);
    return transport.post(body, answer, full);
  }
}
