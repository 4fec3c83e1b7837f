package dev.keyring.sim.cluster;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * The cluster's membership, replicated like keyrings (the cluster value {@value #KEY}): every
 * member with its addresses, affinity group and certificate fingerprint, which one is primary, the
 * epoch (grows with every change of primary) and a version (grows with every change). A join in
 * progress is recorded here too, so that only one runs at a time across the cluster.
 */
public record Membership(
    long version, long epoch, String primaryId, List<Entry> members, PendingJoin pendingJoin) {
  public static final String KEY = "cluster.membership";
  public static final int MAX_GROUPS = 64;
  public static final String DEFAULT_GROUP = "local";

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /**
   * One member: its crypto API address (as advertised), admin API address, group, certificate, and
   * the port of its crypto channel (at the crypto address's host; 0 when it has none, or before it
   * reported one).
   */
  public record Entry(
      String memberId,
      String name,
      String cryptoAddress,
      String adminAddress,
      String group,
      String certFingerprint,
      int channelPort) {
    Entry withGroup(String g) {
      return new Entry(
          memberId, name, cryptoAddress, adminAddress, g, certFingerprint, channelPort);
    }
  }

  /** A join between its two steps: refused for anyone else until it completes or expires. */
  public record PendingJoin(String joinerName, long expiresAtMillis) {}

  public Membership {
    members = List.copyOf(members == null ? List.of() : members);
  }

  public Optional<Entry> member(String idOrName) {
    return members.stream()
        .filter(m -> m.memberId().equalsIgnoreCase(idOrName) || m.name().equals(idOrName))
        .findFirst();
  }

  public Optional<Entry> byFingerprint(String fingerprint) {
    return members.stream().filter(m -> m.certFingerprint().equals(fingerprint)).findFirst();
  }

  public boolean isPrimary(String memberId) {
    return memberId != null && memberId.equals(primaryId);
  }

  /** The affinity groups in use, sorted. */
  public List<String> groups() {
    TreeSet<String> g = new TreeSet<>();
    members.forEach(m -> g.add(m.group()));
    return List.copyOf(g);
  }

  public Membership next(UnaryOperator<List<Entry>> change) {
    return new Membership(
        version + 1, epoch, primaryId, change.apply(new ArrayList<>(members)), pendingJoin);
  }

  Membership withPrimary(String id, long newEpoch) {
    return new Membership(version + 1, newEpoch, id, members, pendingJoin);
  }

  public Membership withPendingJoin(PendingJoin p) {
    return new Membership(version + 1, epoch, primaryId, members, p);
  }

  byte[] encode() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static Membership decode(byte[] bytes) {
    try {
      return JSON.readValue(bytes, Membership.class);
    } catch (IOException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "the stored cluster membership is damaged: " + e);
    }
  }
}
