package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CryptoMessages;
import dev.keyring.protocol.wire.CryptoMessages.CryptoRequest;
import dev.keyring.protocol.wire.CryptoMessages.CryptoResult;
import dev.keyring.protocol.wire.CryptoMessages.VerifyResult;
import dev.keyring.protocol.wire.MechanismSpec;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.boundary.KeyPairObjects;
import dev.keyring.sim.keyring.KeyringSession;
import dev.keyring.store.KeyringRecord;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The crypto API, for registered clients only (the TLS layer has already refused any certificate
 * the cluster CA did not issue, or revoked). Every keyring is a slot; a session belongs to the
 * client certificate that opened it and to one keyring, so a client logged in to keyring A has no
 * way to name an object of keyring B. Every refusal is a PKCS#11-style code and a message. A
 * request's body is read in full, without holding a thread, before the request is handled (see
 * {@link BodyReader}).
 */
final class CryptoApi extends Handler.Abstract {
  static final int MAX_REQUEST_BYTES = 16 << 20;
  private static final Logger LOG = LoggerFactory.getLogger(CryptoApi.class);

  final Appliance appliance;
  final CryptoSessions sessions;
  private final java.util.function.Supplier<CryptoMessages.ClusterView> view;
  final java.util.concurrent.atomic.AtomicLong served;
  final PeerEndpoints peers; // also tells the per-client connection limit who is a member
  final ReadConsistency consistency;
  private final OperationEndpoints operations;
  private final CloningEndpoints cloning;
  private final ObjectEndpoints objects;
  final BufferBudget budget;
  private final BodyLimits bodyLimits;
  private final java.util.function.Supplier<dev.keyring.sim.cluster.ClusterNode> node;
  private final KeyringAssignments assignments;

  CryptoApi(
      Appliance appliance,
      CryptoSessions sessions,
      java.util.function.Supplier<CryptoMessages.ClusterView> view,
      java.util.function.Supplier<dev.keyring.sim.cluster.ClusterNode> node,
      KeyringAssignments assignments,
      java.util.concurrent.atomic.AtomicLong served,
      BufferBudget budget,
      BodyLimits bodyLimits) {
    this.peers = new PeerEndpoints(node);
    this.node = node;
    this.assignments = assignments;
    this.consistency = new ReadConsistency(appliance, node);
    this.operations = new OperationEndpoints(budget);
    this.cloning = new CloningEndpoints(appliance);
    this.objects = new ObjectEndpoints(appliance);
    this.budget = budget;
    this.bodyLimits = bodyLimits;
    this.served = served;
    this.appliance = appliance;
    this.sessions = sessions;
    this.view = view;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    // members' replication is never refused for want of memory: clients cannot starve it
    Lease lease = new Lease(peers.isMember(request) ? BufferBudget.UNBOUNDED : budget);
    JsonExchange x = new JsonExchange(request, response, lease.releasing(callback));
    if (x.path.startsWith("/v1/sessions")) {
      served.incrementAndGet();
    }
    String owner;
    try {
      owner = clientIdentity(request);
      requireCaughtUp(peers.isMember(request), x.path);
    } catch (HsmException e) {
      BodyReader.drain(
          request,
          bodyLimits,
          "crypto API",
          drained -> {
            if (!drained) {
              x.closeAfter();
            }
            x.fail(e);
          });
      return true;
    }
    BodyReader.read(
        request,
        bodyLimits,
        "crypto API",
        lease,
        MAX_REQUEST_BYTES,
        new BodyReader.Listener() {
          @Override
          public void onBody(RequestBytes body) {
            x.body(body);
            serve(x, owner, lease);
          }

          @Override
          public void onRefused(BodyReader.Refusal r) {
            x.fail(r);
          }
        });
    return true;
  }

  void serve(JsonExchange x, String owner, Lease lease) {
    try {
      route(x, owner, lease);
    } catch (HsmException e) {
      x.fail(e);
    } catch (JsonExchange.BadRequest e) {
      if (e.allow != null) {
        x.answerHeader("Allow", e.allow);
      }
      x.fail(e.status, ResultCode.CKR_ARGUMENTS_BAD, e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("crypto API {} {} failed", x.method, x.path, e);
      x.fail(500, ResultCode.CKR_GENERAL_ERROR, "internal error; see the member's log");
    }
  }

  /**
   * The serial of the client certificate: sessions belong to it. A certificate revoked after its
   * connection was opened is refused here, on every request.
   */
  private String clientIdentity(Request request) {
    Object data = request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
    if (data instanceof EndPoint.SslSessionData) {
      X509Certificate[] certs = ((EndPoint.SslSessionData) data).peerCertificates();
      if (certs != null && certs.length > 0) {
        return owner(certs[0]);
      }
    }
    throw new HsmException(
        ResultCode.CKR_FUNCTION_REJECTED, "the crypto API needs a registered client certificate");
  }

  /**
   * The owner of the sessions the client with certificate {@code leaf} opens: its serial. A
   * certificate revoked after its connection was opened is refused here, on every request (on the
   * crypto channel, every frame).
   */
  String owner(X509Certificate leaf) {
    if (leaf == null) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_REJECTED, "the crypto API needs a registered client certificate");
    }
    OwnerNames.Known k = OwnerNames.of(leaf);
    if (appliance.pki().isRevoked(k.serial())) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_REJECTED,
          "this client's certificate has been revoked; register the client again");
    }
    return k.name();
  }

  /**
   * Opens a session of {@code owner} on a keyring (label, UUID or serial) it may see, under the id
   * the client picked ({@code sessionId}; null: the member picks one).
   */
  CryptoMessages.SessionInfo openSession(String owner, String keyring, String sessionId) {
    KeyringRecord k = appliance.keyrings().keyring(keyring);
    assignments.requireAllowed(owner, k.id());
    CryptoSessions.Entry e = sessions.open(owner, k.id(), k.label(), sessionId);
    return new CryptoMessages.SessionInfo(e.id, k.id(), k.label());
  }

  /**
   * A member whose cluster service has not caught up with the primary since it started may lack
   * what changed while it was away (a revoked client certificate among it): it serves no slot or
   * session request of a client until it has, and the client asks another member. Other members'
   * calls, the cluster view and the health check are served. The crypto API opens just before the
   * cluster service starts: in between, the member counts as not caught up.
   */
  void requireCaughtUp(boolean peer, String path) {
    if (!path.startsWith("/v1/sessions") && !path.equals("/v1/slots")) {
      return;
    }
    dev.keyring.sim.cluster.ClusterNode n = node.get(); // null: the service is still starting
    if (peer || (n == null ? appliance.cluster().isEmpty() : n.caughtUp())) {
      return;
    }
    throw new HsmException(
        ResultCode.CKR_MEMBER_BEHIND,
        (n == null ? "this member (its cluster service still starting)" : "member " + n.name())
            + " has not caught up with the cluster's primary since it started; nothing was done:"
            + " ask the primary or another member");
  }

  private void route(JsonExchange x, String owner, Lease lease) {
    String[] p = x.path.split("/", -1);
    // p[0] is "" (leading slash)
    if (p.length < 3 || !p[1].equals("v1")) {
      throw notFound(x);
    }
    consistency.before(x, p);
    String m = x.method;
    if (p.length == 3 && p[2].equals("slots")) {
      requireMethod(x, "GET");
      x.noBody();
      x.ok(slots(owner));
      return;
    }
    if (p.length == 4 && p[2].equals("peer")) {
      peers.handle(x, p[3]);
      return;
    }
    if (p.length == 3 && p[2].equals("cluster")) {
      requireMethod(x, "GET");
      x.noBody();
      x.ok(view.get());
      return;
    }
    if (p.length == 3 && p[2].equals("health")) {
      requireMethod(x, "GET");
      x.noBody();
      x.ok(Map.of("status", "ok", "sessions", sessions.open()));
      return;
    }
    if (!p[2].equals("sessions")) {
      throw notFound(x);
    }
    if (p.length == 3) {
      requireMethod(x, "POST");
      CryptoMessages.OpenSession req = x.read(CryptoMessages.OpenSession.class);
      x.ok(openSession(owner, req.keyring(), req.sessionId()));
      return;
    }
    String sid = p[3];
    if (p.length == 4) {
      requireMethod(x, "DELETE");
      x.noBody();
      sessions.close(sid, owner);
      x.noContent();
      return;
    }
    CryptoSessions.Entry s = sessions.get(sid, owner);
    String op = p[4];
    if (p.length == 6 && op.equals("objects") && p[5].equals("find")) {
      requireMethod(x, "POST");
      CryptoMessages.FindObjects req = x.read(CryptoMessages.FindObjects.class);
      List<CryptoMessages.ObjectInfo> found =
          s.requireLogin().findObjects(WireMapping.attributes(req.template(), "template")).stream()
              .map(WireMapping::object)
              .collect(Collectors.toList());
      x.ok(new CryptoMessages.ObjectList(found));
      return;
    }
    if (p.length == 6 && op.equals("objects")) {
      objects.handle(x, s, p[5]);
      return;
    }
    if (p.length == 6 && op.equals("operations")) {
      requireMethod(x, "POST");
      operations.part(x, s, p[5], lease);
      return;
    }
    if (op.equals("cloning") && p.length <= 6) {
      cloning.handle(x, s, p.length == 6 ? p[5] : "");
      return;
    }
    if (p.length != 5) {
      throw notFound(x);
    }
    requireMethod(x, "POST");
    switch (op) {
      case "login":
        login(x, s);
        return;
      case "logout":
        x.noBody();
        if (s.login == null) {
          throw new HsmException(ResultCode.CKR_USER_NOT_LOGGED_IN, "session is not logged in");
        }
        s.logout();
        x.noContent();
        return;
      case "password":
        {
          CryptoMessages.ChangePassword req = x.read(CryptoMessages.ChangePassword.class);
          s.requireLogin().changePassword(req.oldPassword(), req.newPassword());
          x.noContent();
          return;
        }
      case "init-krco":
        {
          CryptoMessages.InitKrco req = x.read(CryptoMessages.InitKrco.class);
          s.requireLogin().initKrco(req.password());
          x.noContent();
          return;
        }
      case "objects":
        {
          CryptoMessages.CreateObject req = x.read(CryptoMessages.CreateObject.class);
          x.ok(
              WireMapping.object(
                  s.requireLogin()
                      .createObject(WireMapping.attributes(req.template(), "template"))));
          return;
        }
      case "keys":
        {
          CryptoMessages.GenerateKey req = x.read(CryptoMessages.GenerateKey.class);
          x.ok(
              WireMapping.object(
                  s.requireLogin()
                      .generateKey(
                          WireMapping.keyGen(req.spec()),
                          WireMapping.attributes(req.template(), "template"))));
          return;
        }
      case "keypairs":
        {
          CryptoMessages.GenerateKeyPair req = x.read(CryptoMessages.GenerateKeyPair.class);
          KeyPairObjects kp =
              s.requireLogin()
                  .generateKeyPair(
                      WireMapping.keyGen(req.spec()),
                      WireMapping.attributes(req.publicTemplate(), "publicTemplate"),
                      WireMapping.attributes(req.privateTemplate(), "privateTemplate"));
          x.ok(
              new CryptoMessages.KeyPairInfo(
                  WireMapping.object(kp.publicKey()), WireMapping.object(kp.privateKey())));
          return;
        }
      case "sign":
        {
          CryptoRequest req = x.read(CryptoRequest.class);
          noSignature(req);
          x.ok(
              new CryptoResult(
                  s.requireLogin()
                      .sign(
                          req.key(),
                          mechanism(req.mechanism()),
                          params(req.mechanism()),
                          data(req))));
          return;
        }
      case "verify":
        {
          CryptoRequest req = x.read(CryptoRequest.class);
          if (req.signature() == null) {
            throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "verify needs a signature");
          }
          x.ok(
              verify(
                  s.requireLogin(),
                  req.key(),
                  mechanism(req.mechanism()),
                  params(req.mechanism()),
                  data(req),
                  req.signature()));
          return;
        }
      case "encrypt":
        {
          CryptoRequest req = x.read(CryptoRequest.class);
          noSignature(req);
          x.ok(
              new CryptoResult(
                  s.requireLogin()
                      .encrypt(
                          req.key(),
                          mechanism(req.mechanism()),
                          params(req.mechanism()),
                          data(req))));
          return;
        }
      case "decrypt":
        {
          CryptoRequest req = x.read(CryptoRequest.class);
          noSignature(req);
          x.ok(
              new CryptoResult(
                  s.requireLogin()
                      .decrypt(
                          req.key(),
                          mechanism(req.mechanism()),
                          params(req.mechanism()),
                          data(req))));
          return;
        }
      case "wrap":
        {
          CryptoMessages.Wrap req = x.read(CryptoMessages.Wrap.class);
          x.ok(
              new CryptoResult(
                  s.requireLogin()
                      .wrapKey(
                          req.wrappingKey(),
                          mechanism(req.mechanism()),
                          params(req.mechanism()),
                          req.key())));
          return;
        }
      case "unwrap":
        {
          CryptoMessages.Unwrap req = x.read(CryptoMessages.Unwrap.class);
          if (req.wrapped() == null) {
            throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "unwrap needs the wrapped key");
          }
          x.ok(
              WireMapping.object(
                  s.requireLogin()
                      .unwrapKey(
                          req.unwrappingKey(),
                          mechanism(req.mechanism()),
                          params(req.mechanism()),
                          req.wrapped(),
                          WireMapping.attributes(req.template(), "template"))));
          return;
        }
      case "derive":
        {
          CryptoMessages.Derive req = x.read(CryptoMessages.Derive.class);
          x.ok(
              WireMapping.object(
                  s.requireLogin()
                      .deriveKey(
                          req.baseKey(),
                          mechanism(req.mechanism()),
                          params(req.mechanism()),
                          WireMapping.attributes(req.template(), "template"))));
          return;
        }
      case "random":
        {
          CryptoMessages.RandomRequest req = x.read(CryptoMessages.RandomRequest.class);
          x.ok(new CryptoResult(s.requireLogin().random(req.length())));
          return;
        }
      case "operations":
        operations.start(x, s);
        return;
      default:
        throw notFound(x);
    }
  }

  private void login(JsonExchange x, CryptoSessions.Entry s) {
    CryptoMessages.Login req = x.read(CryptoMessages.Login.class);
    if (req.role() == null) {
      throw new HsmException(ResultCode.CKR_USER_TYPE_INVALID, "login needs a role (po or co)");
    }
    login(s, Role.parse(req.role()), req.password());
    x.noContent();
  }

  /** Logs session {@code s} in as {@code role}. */
  void login(CryptoSessions.Entry s, Role role, String password) {
    assignments.requireAllowed(s.owner, s.keyringId); // before the password is looked at
    synchronized (s) {
      if (s.login != null) {
        throw new HsmException(
            ResultCode.CKR_USER_ALREADY_LOGGED_IN,
            "session is already logged in as " + s.login.role() + "; log out first");
      }
      s.login = appliance.keyrings().login(s.keyringId, role, password);
    }
  }

  static VerifyResult verify(
      KeyringSession k, long key, Mechanism m, MechanismParams p, byte[] data, byte[] sig) {
    try {
      k.verify(key, m, p, data, sig);
      return new VerifyResult(true, null);
    } catch (HsmException e) {
      if (e.code() == ResultCode.CKR_SIGNATURE_INVALID
          || e.code() == ResultCode.CKR_SIGNATURE_LEN_RANGE) {
        return new VerifyResult(false, e.code().name());
      }
      throw e;
    }
  }

  /** The keyrings {@code owner} may see, each a slot. */
  private CryptoMessages.SlotList slots(String owner) {
    List<CryptoMessages.Slot> out = new ArrayList<>();
    long slot = 0;
    for (KeyringRecord k : appliance.keyrings().keyrings()) {
      if (!assignments.allows(owner, k.id())) {
        continue;
      }
      out.add(
          new CryptoMessages.Slot(
              slot++,
              k.id(),
              k.label(),
              k.locked(),
              k.krcoInitialized(),
              k.passwordChangeRequired()));
    }
    return new CryptoMessages.SlotList(out);
  }

  static Mechanism mechanism(MechanismSpec spec) {
    if (spec == null) {
      throw new HsmException(ResultCode.CKR_MECHANISM_INVALID, "mechanism is required");
    }
    return spec.mechanism();
  }

  static MechanismParams params(MechanismSpec spec) {
    return spec.params();
  }

  private static byte[] data(CryptoRequest req) {
    if (req.data() == null) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "data is required");
    }
    return req.data();
  }

  private static void noSignature(CryptoRequest req) {
    if (req.signature() != null) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "signature belongs only to verify");
    }
  }

  static void requireMethod(JsonExchange x, String method) {
    if (!x.method.equals(method)) {
      throw wrongMethod(x, method);
    }
  }

  /** A 405 for a method the resource does not take, naming in {@code Allow} those it takes. */
  static JsonExchange.BadRequest wrongMethod(JsonExchange x, String... allowed) {
    int last = allowed.length - 1;
    String use =
        last == 0
            ? allowed[0]
            : String.join(", ", java.util.Arrays.asList(allowed).subList(0, last))
                + " or "
                + allowed[last];
    return new JsonExchange.BadRequest(
        405, "this method is not allowed on this resource; use " + use, String.join(", ", allowed));
  }

  static JsonExchange.BadRequest notFound(JsonExchange x) {
    return new JsonExchange.BadRequest(404, "no such resource");
  }
}
