package dev.keyring.client.internal.transport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.PartResult;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.MemberChannel;
import dev.keyring.client.channel.ReadYourWrites;
import dev.keyring.client.channel.SessionInfo;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFormatException;
import dev.keyring.protocol.channel.MechanismCodec;
import dev.keyring.protocol.channel.Opcode;
import dev.keyring.protocol.wire.CloningMessages;
import dev.keyring.protocol.wire.WireJson;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * The calls one member answers on its binary crypto channel: persistent mutual-TLS connections
 * ({@link ChannelWire}; one, and a second while calls overlap, see {@link ChannelPool}), opened at
 * the first call and again at the first call after one broke. Sign, verify, encrypt, decrypt, ping
 * and the session calls have binary frames (a sign, verify, encrypt or decrypt whose AES IV is
 * longer than the frame's 255 bytes goes as JSON); every other call is the REST API's JSON request
 * carried by the JSON opcode, decoded by the same code as over HTTP ({@link HttpMemberChannel}).
 * One attempt per call, never repeated here; the read-your-writes position travels in every frame
 * and is raised by every answer that reports one.
 */
public final class ChannelMemberChannel implements MemberChannel, AutoCloseable {
  private static final ObjectMapper JSON = WireJson.mapper();
  private static final System.Logger LOG = System.getLogger(ChannelMemberChannel.class.getName());

  private final TransportOptions options;
  private final int port;
  private final String name;
  private final ReadYourWrites positions;
  private final HttpMemberChannel json;
  private final ChannelPool connections;

  ChannelMemberChannel(
      ClientTls tls,
      TransportOptions options,
      String host,
      int port,
      String memberName,
      String name,
      ReadYourWrites positions) {
    this.options = options;
    this.port = port;
    this.name = name;
    this.connections = new ChannelPool(tls, options, host, port, memberName, name);
    this.positions = Objects.requireNonNull(positions, "positions");
    this.json = new HttpMemberChannel(new Json());
  }

  /** The member's channel port. */
  public int port() {
    return port;
  }

  /**
   * False once a connection could not be made (the member is down, or came back on another channel
   * port); {@link #retry()} clears it. The link to the member sends over HTTP meanwhile.
   */
  public boolean reachable() {
    return connections.reachable();
  }

  /** Lets the next call try to connect again (a fresh view lists this port still). */
  public void retry() {
    connections.retry();
  }

  /** Whether a connection is open now. */
  public boolean connected() {
    return connections.connected();
  }

  /** One request with its answer; a refusal is thrown as the member's HsmException. */
  private ChannelAnswer call(Opcode op, IntFunction<byte[]> frame, String what)
      throws TransportException {
    ChannelWire w = connections.wire();
    int id = w.nextId();
    ChannelAnswer a = w.call(id, frame.apply(id), options.callTimeout(), what);
    if (a.position != null && !positions.advance(a.position)) {
      LOG.log(
          System.Logger.Level.WARNING,
          name + " reported a log position of another cluster than " + positions.clusterId());
    }
    if (!a.ok()) {
      throw a.refusal();
    }
    if (a.opcode != op) {
      throw new TransportException(
          Kind.PROTOCOL, name + ": " + what + " was answered with opcode " + a.opcode);
    }
    return a;
  }

  private TransportException malformed(String what, ChannelFormatException e) {
    return new TransportException(
        Kind.PROTOCOL, name + ": the answer to " + what + " is malformed: " + e.getMessage(), e);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void health() throws TransportException {
    call(Opcode.PING, ChannelCodec::ping, "ping");
  }

  @Override
  public List<Slot> slots() throws TransportException {
    return json.slots();
  }

  @Override
  public SessionInfo openSession(String keyringLabelOrId, String sessionId)
      throws TransportException {
    Objects.requireNonNull(keyringLabelOrId, "keyringLabelOrId");
    ChannelAnswer a =
        call(
            Opcode.OPEN_SESSION,
            id -> ChannelCodec.openSession(id, positions.current(), keyringLabelOrId, sessionId),
            "open session");
    try {
      return new SessionInfo(
          a.body.text8("session"), a.body.uuid("keyring id"), a.body.text16("label"));
    } catch (ChannelFormatException e) {
      throw malformed("open session", e);
    } catch (IllegalArgumentException e) {
      throw new TransportException(
          Kind.PROTOCOL, name + ": the member opened a session without an id", e);
    }
  }

  @Override
  public void closeSession(String sessionId) throws TransportException {
    call(Opcode.CLOSE_SESSION, id -> ChannelCodec.closeSession(id, sessionId), "close session");
  }

  @Override
  public void login(String sessionId, Role role, String password) throws TransportException {
    call(
        Opcode.LOGIN,
        id -> ChannelCodec.login(id, positions.current(), sessionId, role, password),
        "login");
  }

  @Override
  public void logout(String sessionId) throws TransportException {
    json.logout(sessionId);
  }

  @Override
  public void changePassword(String sessionId, String oldPassword, String newPassword)
      throws TransportException {
    json.changePassword(sessionId, oldPassword, newPassword);
  }

  @Override
  public void initKrco(String sessionId, String password) throws TransportException {
    json.initKrco(sessionId, password);
  }

  @Override
  public KeyringKeyPair generateKeyPair(
      String sessionId, KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate)
      throws TransportException {
    return json.generateKeyPair(sessionId, params, publicTemplate, privateTemplate);
  }

  @Override
  public KeyringObject generateKey(String sessionId, KeyGenParams params, Attributes template)
      throws TransportException {
    return json.generateKey(sessionId, params, template);
  }

  @Override
  public KeyringObject createObject(String sessionId, Attributes template)
      throws TransportException {
    return json.createObject(sessionId, template);
  }

  @Override
  public List<KeyringObject> findObjects(String sessionId, Attributes template)
      throws TransportException {
    return json.findObjects(sessionId, template);
  }

  @Override
  public KeyringObject getObject(String sessionId, long handle) throws TransportException {
    return json.getObject(sessionId, handle);
  }

  @Override
  public List<KeyringObject> findObjectsOnPrimary(String sessionId, Attributes template)
      throws TransportException {
    return json.findObjectsOnPrimary(sessionId, template);
  }

  @Override
  public KeyringObject setAttributes(String sessionId, long handle, Attributes changes)
      throws TransportException {
    return json.setAttributes(sessionId, handle, changes);
  }

  @Override
  public void destroyObject(String sessionId, long handle) throws TransportException {
    json.destroyObject(sessionId, handle);
  }

  @Override
  public byte[] sign(
      String sessionId, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    if (!MechanismCodec.fits(params)) {
      return json.sign(sessionId, key, mechanism, params, data);
    }
    return crypto(Opcode.SIGN, sessionId, key, mechanism, params, data, null).body.rest();
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
    if (!MechanismCodec.fits(params)) {
      return json.verify(sessionId, key, mechanism, params, data, signature);
    }
    ChannelAnswer a =
        crypto(
            Opcode.VERIFY,
            sessionId,
            key,
            mechanism,
            params,
            data,
            Objects.requireNonNull(signature, "signature"));
    try {
      return a.body.u8("valid") == 1;
    } catch (ChannelFormatException e) {
      throw malformed("verify", e);
    }
  }

  @Override
  public byte[] encrypt(
      String sessionId, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    if (!MechanismCodec.fits(params)) {
      return json.encrypt(sessionId, key, mechanism, params, data);
    }
    return crypto(Opcode.ENCRYPT, sessionId, key, mechanism, params, data, null).body.rest();
  }

  @Override
  public byte[] decrypt(
      String sessionId, long key, Mechanism mechanism, MechanismParams params, byte[] data)
      throws TransportException {
    if (!MechanismCodec.fits(params)) {
      return json.decrypt(sessionId, key, mechanism, params, data);
    }
    return crypto(Opcode.DECRYPT, sessionId, key, mechanism, params, data, null).body.rest();
  }

  private ChannelAnswer crypto(
      Opcode op,
      String sessionId,
      long key,
      Mechanism mechanism,
      MechanismParams params,
      byte[] data,
      byte[] signature)
      throws TransportException {
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(mechanism, "mechanism");
    return call(
        op,
        id ->
            ChannelCodec.crypto(
                id, op, positions.current(), sessionId, key, mechanism, params, data, signature),
        op.label());
  }

  @Override
  public byte[] wrapKey(
      String sessionId, long wrappingKey, Mechanism mechanism, MechanismParams params, long key)
      throws TransportException {
    return json.wrapKey(sessionId, wrappingKey, mechanism, params, key);
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
    return json.unwrapKey(sessionId, unwrappingKey, mechanism, params, wrapped, template);
  }

  @Override
  public KeyringObject deriveKey(
      String sessionId,
      long baseKey,
      Mechanism mechanism,
      MechanismParams params,
      Attributes template)
      throws TransportException {
    return json.deriveKey(sessionId, baseKey, mechanism, params, template);
  }

  @Override
  public byte[] random(String sessionId, int length) throws TransportException {
    return json.random(sessionId, length);
  }

  @Override
  public CloningMessages.CloningOffer cloningOffer(String sessionId) throws TransportException {
    return json.cloningOffer(sessionId);
  }

  @Override
  public List<CloningMessages.ClonableObject> clonableObjects(String sessionId)
      throws TransportException {
    return json.clonableObjects(sessionId);
  }

  @Override
  public byte[] cloneOut(String sessionId, long handle, CloningMessages.CloningOffer offer)
      throws TransportException {
    return json.cloneOut(sessionId, handle, offer);
  }

  @Override
  public KeyringObject cloneIn(String sessionId, byte[] bundle) throws TransportException {
    return json.cloneIn(sessionId, bundle);
  }

  @Override
  public String startOperation(
      String sessionId,
      KeyringOperation.Kind kind,
      long key,
      Mechanism mechanism,
      MechanismParams params)
      throws TransportException {
    return json.startOperation(sessionId, kind, key, mechanism, params);
  }

  @Override
  public PartResult operationPart(
      String sessionId, String operationId, byte[] part, boolean last, byte[] signature)
      throws TransportException {
    return json.operationPart(sessionId, operationId, part, last, signature);
  }

  /** Closes the connection; calls under way fail with IO, later ones with CONNECT. */
  @Override
  public void close() {
    connections.close();
  }

  @Override
  public String toString() {
    return "ChannelMemberChannel[" + name + "]";
  }

  /** The REST API's calls as the JSON opcode. */
  private final class Json implements JsonCalls {
    @Override
    public String name() {
      return name;
    }

    @Override
    public <T> T get(Class<T> answer, String... path) throws TransportException {
      return exchange("GET", null, answer, false, path);
    }

    @Override
    public <T> T post(Object body, Class<T> answer, String... path) throws TransportException {
      return exchange("POST", body, answer, false, path);
    }

    @Override
    public <T> T postToPrimary(Object body, Class<T> answer, String... path)
        throws TransportException {
      return exchange("POST", body, answer, true, path);
    }

    @Override
    public <T> T patch(Object body, Class<T> answer, String... path) throws TransportException {
      return exchange("PATCH", body, answer, false, path);
    }

    @Override
    public void delete(String... path) throws TransportException {
      exchange("DELETE", null, Void.class, false, path);
    }

    private <T> T exchange(
        String method, Object body, Class<T> answer, boolean primary, String... path)
        throws TransportException {
      String p = "/" + String.join("/", path);
      byte[] bytes;
      try {
        bytes = body == null ? new byte[0] : JSON.writeValueAsBytes(body);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("cannot write " + body.getClass().getSimpleName(), e);
      }
      String what = method + " " + p;
      ChannelAnswer a =
          call(
              Opcode.JSON,
              id -> ChannelCodec.json(id, positions.current(), primary, method, p, bytes),
              what);
      if (answer == Void.class) {
        return null;
      }
      byte[] b = a.body.rest();
      if (b.length == 0) {
        throw new TransportException(Kind.PROTOCOL, name + ": " + what + " answered no body");
      }
      try {
        return JSON.readValue(b, answer);
      } catch (IOException e) {
        throw new TransportException(
            Kind.PROTOCOL,
            name + ": " + what + " answered something that is not a " + answer.getSimpleName(),
            e);
      }
    }
  }
}
