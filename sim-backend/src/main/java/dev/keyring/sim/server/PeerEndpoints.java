package dev.keyring.sim.server;

import static dev.keyring.sim.server.CryptoApi.notFound;
import static dev.keyring.sim.server.CryptoApi.requireMethod;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.cluster.ClusterNode;
import dev.keyring.sim.cluster.Membership;
import dev.keyring.sim.cluster.PeerMessages;
import dev.keyring.store.LogPosition;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.function.Supplier;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;

/**
 * {@code /v1/peer/...} on the crypto API: member-to-member calls to this member's cluster service.
 * Only members of the cluster (by the fingerprint of their certificate) are answered; a poll from
 * anyone else is answered {@code removed} by the service itself, and a status probe is answered
 * (the cluster's epoch tells an ex-member that it was replaced).
 */
final class PeerEndpoints {
  private final Supplier<ClusterNode> node;

  PeerEndpoints(Supplier<ClusterNode> node) {
    this.node = node;
  }

  /** Whether {@code request} is a peer call from a current member of the cluster. */
  boolean isMember(Request request) {
    ClusterNode n = node.get();
    return n != null
        && Request.getPathInContext(request).startsWith("/v1/peer/")
        && n.membership().byFingerprint(fingerprint(request)).isPresent();
  }

  void handle(JsonExchange x, String op) {
    ClusterNode n = node.get();
    if (n == null) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "the cluster service is not running on this member");
    }
    String fp = fingerprint(x.request);
    Membership members = n.membership();
    boolean member = members.byFingerprint(fp).isPresent();
    // a poll or a status probe from an ex-member is answered: that is how it learns it was removed
    if (!member && !op.equals("poll") && !op.equals("status")) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_REJECTED,
          notAMember(fp, members, n.name(), n.isPrimary(), n.position()));
    }
    switch (op) {
      case "poll":
        requireMethod(x, "POST");
        x.ok(n.poll(x.read(PeerMessages.Poll.class), fp));
        return;
      case "submit":
        requireMethod(x, "POST");
        x.ok(n.submit(x.read(PeerMessages.Submit.class), fp));
        return;
      case "status":
        requireMethod(x, "GET");
        x.noBody();
        x.ok(n.status());
        return;
      case "snapshot":
        requireMethod(x, "GET");
        x.noBody();
        n.checkSnapshotCaller(fp);
        x.stream("application/x-ndjson", out -> n.writeSnapshot(fp, out));
        return;
      case "promote":
        requireMethod(x, "POST");
        x.ok(n.becomePrimary(x.read(PeerMessages.Promote.class)));
        return;
      case "fence":
        requireMethod(x, "POST");
        x.ok(n.fence(x.read(PeerMessages.Fence.class)));
        return;
      case "release":
        requireMethod(x, "POST");
        x.ok(n.release(x.read(PeerMessages.Release.class)));
        return;
      case "handover":
        requireMethod(x, "POST");
        x.ok(n.handover(x.read(PeerMessages.Handover.class).targetId()));
        return;
      default:
        throw notFound(x);
    }
  }

  /** Whether {@code certificate} is that of a current member of the cluster. */
  boolean isMember(X509Certificate certificate) {
    ClusterNode n = node.get();
    return n != null && n.membership().byFingerprint(fingerprint(certificate)).isPresent();
  }

  /**
   * The refusal of a peer call whose certificate ({@code fp}, empty when none came) is not in
   * {@code members}: which certificate, and which member answered with which membership, so that a
   * refused join or a member that lags behind a membership change can be told apart.
   */
  private static String notAMember(
      String fp, Membership members, String name, boolean primary, LogPosition position) {
    int n = members.members().size();
    return "only members of this cluster may call this resource: "
        + (fp.isEmpty()
            ? "the call came with no client certificate"
            : "the call's certificate (SHA-256 "
                + fp.substring(0, Math.min(16, fp.length()))
                + "…)")
        + " is not in the membership of member "
        + name
        + (primary ? " (the primary" : " (not the primary")
        + ", log position "
        + position
        + "; membership version "
        + members.version()
        + ", "
        + n
        + (n == 1 ? " member)" : " members)");
  }

  /** SHA-256 of the caller's certificate (hex), or empty without one. */
  private static String fingerprint(Request request) {
    Object data = request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
    if (data instanceof EndPoint.SslSessionData) {
      X509Certificate[] certs = ((EndPoint.SslSessionData) data).peerCertificates();
      if (certs != null && certs.length > 0) {
        return fingerprint(certs[0]);
      }
    }
    return "";
  }

  private static String fingerprint(X509Certificate certificate) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
