package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.ClusterPosition;
import dev.keyring.protocol.wire.CryptoHeaders;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.cluster.ClusterNode;
import dev.keyring.sim.cluster.Membership;
import dev.keyring.store.ClusterRecord;
import dev.keyring.store.LogPosition;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-your-writes on the crypto API (the headers of {@link CryptoHeaders}):
 *
 * <ul>
 *   <li>a successful answer to a request that changes the keyring, or that was read from the
 *       primary, carries a log position ({@code Keyring-Log-Position}) at or past the change: on
 *       the primary the change's own entry, elsewhere this member's position once the change is in
 *       its own store ({@link ClusterNode#answerPosition});
 *   <li>a request carrying the client's position ({@code Keyring-Min-Position}) is served once this
 *       member holds that position: the primary at once, another member after waiting up to {@link
 *       #MAX_WAIT} for the primary's entries, else it is refused with CKR_MEMBER_BEHIND and nothing
 *       is done. A position of another cluster is ignored;
 *   <li>a request carrying {@code Keyring-Read-From: primary} is served by the primary only;
 *       another member refuses it with CKR_MEMBER_BEHIND.
 * </ul>
 *
 * The rules apply to {@code /v1/slots} and every {@code /v1/sessions} request but closing a
 * session, logging out and the parts of a multi-part operation (which stay where they started). A
 * member whose cluster service is not running holds the only copy it knows of: it ignores both
 * request headers and reports no position.
 */
final class ReadConsistency {
  /** The longest a member behind the client's position waits for the primary's entries. */
  static final Duration MAX_WAIT = Duration.ofMillis(500);

  private static final Set<String> CHANGES =
      Set.of("password", "init-krco", "objects", "keys", "keypairs", "unwrap", "derive");
  private static final Logger LOG = LoggerFactory.getLogger(ReadConsistency.class);

  private final Appliance appliance;
  private final Supplier<ClusterNode> node;

  ReadConsistency(Appliance appliance, Supplier<ClusterNode> node) {
    this.appliance = appliance;
    this.node = node;
  }

  /**
   * Before request {@code x} (its path split at '/', {@code p[0]} empty) is served: marks an answer
   * that reports the position, and waits for or refuses as the headers ask.
   *
   * @throws HsmException CKR_MEMBER_BEHIND when this member cannot serve it consistently
   * @throws JsonExchange.BadRequest when a header is malformed
   */
  void before(JsonExchange x, String[] p) {
    if (!applies(x.method, p)) {
      return;
    }
    String from = x.header(CryptoHeaders.READ_FROM);
    boolean primaryOnly = from != null && from.trim().equalsIgnoreCase(CryptoHeaders.PRIMARY);
    if (from != null && !primaryOnly) {
      throw new JsonExchange.BadRequest(
          400, CryptoHeaders.READ_FROM + " takes one value: " + CryptoHeaders.PRIMARY);
    }
    if (check(x.method, p, primaryOnly, wanted(x.header(CryptoHeaders.MIN_POSITION)))) {
      x.reportPosition(this::position);
    }
  }

  /**
   * The rules for {@code method} on path {@code p} with the request's {@code primaryOnly} and
   * {@code wanted} position already read (the crypto channel carries them in its frames): waits for
   * or refuses as they ask.
   *
   * @return whether a successful answer reports this member's position
   * @throws HsmException CKR_MEMBER_BEHIND when this member cannot serve it consistently
   */
  boolean check(String method, String[] p, boolean primaryOnly, ClusterPosition wanted) {
    if (!applies(method, p)) {
      return false;
    }
    ClusterNode n = node.get();
    if (n != null) {
      n.forgetWrites(); // the thread may have served another request before
    }
    boolean report = primaryOnly || changes(method, p);
    if (n == null || n.isPrimary()) {
      return report; // the primary holds every acknowledged write
    }
    if (primaryOnly) {
      throw new HsmException(
          ResultCode.CKR_MEMBER_BEHIND,
          "member "
              + n.name()
              + " is not the primary (the primary is "
              + primaryName(n)
              + "): this request is decided on the primary; send it there");
    }
    if (wanted == null || n.awaitPosition(wanted.sequence(), Duration.ZERO)) {
      return report;
    }
    if (!wanted.clusterId().equals(clusterId().orElse(null))) {
      return report; // another cluster's position says nothing about this one
    }
    if (n.awaitPosition(wanted.sequence(), MAX_WAIT)) {
      return report;
    }
    LogPosition held = n.position();
    throw new HsmException(
        ResultCode.CKR_MEMBER_BEHIND,
        "member "
            + n.name()
            + " holds the cluster log up to "
            + held.epoch()
            + "."
            + held.sequence()
            + ", behind this client's last write at "
            + wanted.epoch()
            + "."
            + wanted.sequence()
            + " (waited "
            + MAX_WAIT.toMillis()
            + " ms for the primary's entries); nothing was done: ask the primary or another"
            + " member");
  }

  /** This member's position as the header spells it; null without a running cluster service. */
  String position() {
    ClusterPosition p = positionValue();
    return p == null ? null : p.toString();
  }

  /** This member's position; null without a running cluster service. */
  ClusterPosition positionValue() {
    ClusterNode n = node.get();
    if (n == null) {
      return null;
    }
    try {
      Optional<java.util.UUID> id = clusterId();
      if (id.isEmpty()) {
        return null;
      }
      LogPosition p = n.answerPosition();
      return new ClusterPosition(id.get(), p.epoch(), p.sequence());
    } catch (RuntimeException e) {
      // the change is made: answer it, without the position (the client reads as before)
      LOG.warn("the log position could not be read for an answer: {}", e.toString());
      return null;
    }
  }

  /** Whether the rules apply to {@code method} on path {@code p}. */
  static boolean applies(String method, String[] p) {
    if (p.length == 3 && p[2].equals("slots")) {
      return true;
    }
    if (p.length < 3 || !p[2].equals("sessions")) {
      return false;
    }
    boolean close = p.length == 4 && method.equals("DELETE");
    boolean logout = p.length == 5 && p[4].equals("logout");
    boolean part = p.length == 6 && p[4].equals("operations");
    return !close && !logout && !part;
  }

  /**
   * Whether {@code method} on path {@code p} changes the keyring (its answer reports a position).
   */
  static boolean changes(String method, String[] p) {
    if (p.length == 5 && p[2].equals("sessions")) {
      return method.equals("POST") && CHANGES.contains(p[4]);
    }
    if (p.length == 6 && p[4].equals("cloning") && p[5].equals("in")) {
      return method.equals("POST") && p[2].equals("sessions");
    }
    return p.length == 6
        && p[2].equals("sessions")
        && p[4].equals("objects")
        && (method.equals("PATCH") || method.equals("DELETE"));
  }

  private static ClusterPosition wanted(String header) {
    if (header == null) {
      return null;
    }
    try {
      return ClusterPosition.parse(header);
    } catch (IllegalArgumentException e) {
      throw new JsonExchange.BadRequest(
          400, CryptoHeaders.MIN_POSITION + " is malformed: " + e.getMessage());
    }
  }

  private Optional<java.util.UUID> clusterId() {
    return appliance.cluster().map(ClusterRecord::id);
  }

  private static String primaryName(ClusterNode n) {
    Membership m = n.membership();
    return m.member(m.primaryId()).map(Membership.Entry::name).orElse(m.primaryId());
  }
}
