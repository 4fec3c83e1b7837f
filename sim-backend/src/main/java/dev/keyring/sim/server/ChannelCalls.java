package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelRequest;
import dev.keyring.protocol.channel.Opcode;
import dev.keyring.protocol.wire.ClusterPosition;
import dev.keyring.protocol.wire.CryptoHeaders;
import dev.keyring.protocol.wire.CryptoMessages;
import dev.keyring.protocol.wire.ErrorResponse;
import dev.keyring.protocol.wire.MechanismSpec;
import dev.keyring.sim.channel.ChannelService;
import dev.keyring.sim.keyring.KeyringSession;
import java.security.cert.X509Certificate;
import java.util.EnumMap;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The crypto channel's requests served by the crypto API: the same owner and revocation check, the
 * same "caught up" and read-your-writes rules ({@link ReadConsistency}), the same sessions and the
 * same boundary calls as its REST endpoints. The hot operations go straight from the frame's fields
 * to the keyring session; a JSON request goes through the REST routes themselves ({@link
 * CryptoApi#serve}). Every request is counted in the member's metrics with the wire label {@code
 * channel}: its operation (as the REST path it stands for names it), the HTTP status the REST API
 * answers for its result, and its time.
 */
final class ChannelCalls implements ChannelService {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelCalls.class);

  // the REST paths each hot operation stands for, as ReadConsistency reads them (the session id
  // is never looked at there)
  private static final String[] OPEN = {"", "v1", "sessions"};
  private static final String[] LOGIN = {"", "v1", "sessions", "-", "login"};
  private static final String[] SIGN = {"", "v1", "sessions", "-", "sign"};
  private static final String[] VERIFY = {"", "v1", "sessions", "-", "verify"};
  private static final String[] ENCRYPT = {"", "v1", "sessions", "-", "encrypt"};
  private static final String[] DECRYPT = {"", "v1", "sessions", "-", "decrypt"};

  private final CryptoApi api;
  private final MemberMetrics metrics;

  /** The counters of each opcode but JSON (whose operation is its request's path), made once. */
  private final EnumMap<Opcode, MemberMetrics.Counters> counters = new EnumMap<>(Opcode.class);

  ChannelCalls(CryptoApi api, MemberMetrics metrics) {
    this.api = api;
    this.metrics = metrics;
    for (Opcode op : Opcode.values()) {
      if (op != Opcode.JSON) {
        counters.put(op, metrics.counters(MemberMetrics.CHANNEL, operation(op)));
      }
    }
  }

  /** The status one request is counted with, once known. */
  private static final class Outcome {
    int status = 500; // left so when serving ended in an unexpected failure
  }

  @Override
  public void checkClient(X509Certificate client) {
    api.owner(client);
  }

  @Override
  public boolean tryHold(long bytes) {
    return api.budget.tryReserve(bytes);
  }

  @Override
  public void release(long bytes) {
    api.budget.release(bytes);
  }

  @Override
  public byte[] serve(ChannelRequest r, X509Certificate client) {
    long start = metrics.ticker().nanoTime();
    Outcome outcome = new Outcome();
    try {
      return answer(r, client, outcome);
    } finally {
      long nanos = metrics.ticker().nanoTime() - start;
      if (r.opcode == Opcode.JSON) {
        String operation =
            r.method == null || r.path == null
                ? "other"
                : MemberMetrics.operation(r.method, r.path);
        metrics.record(MemberMetrics.CHANNEL, operation, outcome.status, nanos);
      } else {
        counters.get(r.opcode).record(outcome.status, nanos);
      }
    }
  }

  @Override
  public boolean answerMayBeDropped(ChannelRequest r) {
    return reads(r);
  }

  /**
   * Whether {@code r} only reads: a ping, a single-part signature, verification or cipher, a {@code
   * GET}, a find or random bytes (its answer may be dropped and asked for again).
   */
  static boolean reads(ChannelRequest r) {
    switch (r.opcode) {
      case PING:
      case SIGN:
      case VERIFY:
      case ENCRYPT:
      case DECRYPT:
        return true; // single-part: nothing is left in the session
      case JSON:
        if (r.method == null || r.path == null) {
          return false;
        }
        if (r.method.equals("GET")) {
          return true;
        }
        String[] p = r.path.split("/", -1); // as the routes read it: "", v1, sessions, id, ...
        boolean onSession =
            r.method.equals("POST")
                && p.length >= 5
                && p[1].equals("v1")
                && p[2].equals("sessions");
        return onSession
            && (p.length == 5 && p[4].equals("random")
                || p.length == 6 && p[4].equals("objects") && p[5].equals("find"));
      default:
        return false;
    }
  }

  /** The metrics' name of an opcode's operation (but JSON's), as its REST path names it. */
  private static String operation(Opcode op) {
    switch (op) {
      case OPEN_SESSION:
        return "open_session";
      case CLOSE_SESSION:
        return "close_session";
      case LOGIN:
        return "login";
      case SIGN:
        return "sign";
      case VERIFY:
        return "verify";
      case ENCRYPT:
        return "encrypt";
      case DECRYPT:
        return "decrypt";
      default:
        return "other";
    }
  }

  private byte[] answer(ChannelRequest r, X509Certificate client, Outcome outcome) {
    try {
      String owner = api.owner(client);
      if (r.opcode == Opcode.JSON) {
        return json(r, owner, outcome);
      }
      outcome.status = 200; // unless refused below
      api.served.incrementAndGet();
      api.requireCaughtUp(false, "/v1/sessions");
      switch (r.opcode) {
        case OPEN_SESSION:
          {
            boolean report = api.consistency.check("POST", OPEN, r.primaryOnly, r.position);
            CryptoMessages.SessionInfo s = api.openSession(owner, r.keyring, r.session);
            return ChannelCodec.sessionOpened(
                r.id, position(report), s.sessionId(), s.keyringId(), s.label());
          }
        case LOGIN:
          {
            boolean report = api.consistency.check("POST", LOGIN, r.primaryOnly, r.position);
            api.login(api.sessions.get(r.session, owner), r.role, r.password);
            return ChannelCodec.done(r.id, Opcode.LOGIN, position(report));
          }
        case CLOSE_SESSION:
          api.sessions.close(r.session, owner);
          return ChannelCodec.done(r.id, Opcode.CLOSE_SESSION, null);
        case SIGN:
          {
            boolean report = api.consistency.check("POST", SIGN, r.primaryOnly, r.position);
            byte[] sig = session(r, owner).sign(r.key, r.mechanism, params(r), r.data);
            return ChannelCodec.result(r.id, Opcode.SIGN, position(report), sig);
          }
        case VERIFY:
          {
            boolean report = api.consistency.check("POST", VERIFY, r.primaryOnly, r.position);
            CryptoMessages.VerifyResult v =
                CryptoApi.verify(
                    session(r, owner), r.key, r.mechanism, params(r), r.data, r.signature);
            return ChannelCodec.verified(r.id, position(report), v.valid());
          }
        case ENCRYPT:
          {
            boolean report = api.consistency.check("POST", ENCRYPT, r.primaryOnly, r.position);
            byte[] out = session(r, owner).encrypt(r.key, r.mechanism, params(r), r.data);
            return ChannelCodec.result(r.id, Opcode.ENCRYPT, position(report), out);
          }
        case DECRYPT:
          {
            boolean report = api.consistency.check("POST", DECRYPT, r.primaryOnly, r.position);
            byte[] out = session(r, owner).decrypt(r.key, r.mechanism, params(r), r.data);
            return ChannelCodec.result(r.id, Opcode.DECRYPT, position(report), out);
          }
        default:
          outcome.status = ErrorResponse.httpStatus(ResultCode.CKR_FUNCTION_NOT_SUPPORTED);
          return ChannelCodec.refused(
              r.id,
              r.opcode,
              ResultCode.CKR_FUNCTION_NOT_SUPPORTED.value(),
              r.opcode + " is not a request");
      }
    } catch (HsmException e) {
      outcome.status = ErrorResponse.httpStatus(e.code());
      return ChannelCodec.refused(r.id, r.opcode, e.code().value(), e.detail());
    } catch (JsonExchange.BadRequest e) {
      outcome.status = e.status;
      return ChannelCodec.refused(
          r.id, r.opcode, ResultCode.CKR_ARGUMENTS_BAD.value(), e.getMessage());
    }
  }

  private KeyringSession session(ChannelRequest r, String owner) {
    return api.sessions.get(r.session, owner).requireLogin();
  }

  /** The parameters checked against the mechanism exactly as the REST API's mechanism object. */
  private static dev.keyring.protocol.MechanismParams params(ChannelRequest r) {
    if (r.params == dev.keyring.protocol.MechanismParams.NONE && takesNone(r.mechanism)) {
      return r.params; // what the check below answers for these, without a round trip by name
    }
    return MechanismSpec.of(r.mechanism, r.params).params();
  }

  /** Whether {@code m} without parameters stays without them ({@code MechanismSpec.params}). */
  private static boolean takesNone(dev.keyring.protocol.Mechanism m) {
    switch (m) {
      case CKM_AES_GCM:
      case CKM_AES_CBC_PAD:
      case CKM_RSA_PKCS_OAEP:
      case CKM_SHA256_RSA_PKCS_PSS:
      case CKM_SHA384_RSA_PKCS_PSS:
      case CKM_SHA512_RSA_PKCS_PSS:
      case CKM_ECDH1_DERIVE:
        return false;
      default:
        return true;
    }
  }

  private ClusterPosition position(boolean report) {
    return report ? api.consistency.positionValue() : null;
  }

  private byte[] json(ChannelRequest r, String owner, Outcome outcome) {
    byte[][] answer = new byte[1][];
    JsonExchange x =
        new JsonExchange(
            r.method,
            r.path,
            name -> {
              if (name.equals(CryptoHeaders.MIN_POSITION)) {
                return r.position == null ? null : r.position.toString();
              }
              if (name.equals(CryptoHeaders.READ_FROM)) {
                return r.primaryOnly ? CryptoHeaders.PRIMARY : null;
              }
              return null;
            },
            (status, body, position) -> {
              outcome.status = status;
              answer[0] = jsonAnswer(r.id, status, body, position);
            });
    serveJson(x, owner, r.json);
    if (answer[0] == null) {
      LOG.warn("channel request {} {} was not answered", r.method, r.path);
      return ChannelCodec.refused(
          r.id, Opcode.JSON, ResultCode.CKR_GENERAL_ERROR.value(), "the request was not answered");
    }
    return answer[0];
  }

  private static byte[] jsonAnswer(int id, int status, Object body, String position) {
    if (body instanceof ErrorResponse e) {
      return ChannelCodec.refused(
          id, Opcode.JSON, e.toException().code().value(), e.error().message());
    }
    ClusterPosition pos = position == null ? null : ClusterPosition.parse(position);
    if (body == null) {
      return ChannelCodec.done(id, Opcode.JSON, pos);
    }
    try {
      return ChannelCodec.result(id, Opcode.JSON, pos, JsonExchange.JSON.writeValueAsBytes(body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write an answer", e);
    }
  }

  /**
   * Serves one request of the REST crypto API that came over the crypto channel (its JSON opcode),
   * through the same routes and checks as over HTTP; the answer goes to {@code x}'s sink before
   * this returns. Member-to-member calls are not served there.
   */
  private void serveJson(JsonExchange x, String owner, byte[] body) {
    if (x.path.startsWith("/v1/peer")) {
      x.fail(404, ResultCode.CKR_ARGUMENTS_BAD, "no such resource on the crypto channel");
      return;
    }
    if (x.path.startsWith("/v1/sessions")) {
      api.served.incrementAndGet();
    }
    Lease lease = new Lease(api.budget);
    try {
      api.requireCaughtUp(false, x.path);
      x.body(body.length == 0 ? RequestBytes.EMPTY : new RequestBytes(List.of(body), body.length));
      api.serve(x, owner, lease);
    } catch (HsmException e) {
      x.fail(e);
    } finally {
      lease.releaseAll();
    }
  }
}
