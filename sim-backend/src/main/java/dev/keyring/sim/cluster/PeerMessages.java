package dev.keyring.sim.cluster;

import java.util.List;
import java.util.Map;

/** Member-to-member messages ({@code /v1/peer/...} on the crypto API, member certificates only). */
public final class PeerMessages {
  private PeerMessages() {}

  /**
   * A follower asks the primary for the log entries after its position, waiting up to {@code
   * waitMillis} for new ones. Also its heartbeat and its acknowledgement of what it holds.
   */
  public record Poll(String memberId, long epoch, long sequence, long waitMillis) {}

  /**
   * {@code status}: {@code ok} (entries follow, maybe none), {@code notPrimary} (ask {@code
   * primaryId}), {@code removed} (the asker is no longer a member), {@code resync} (its log does
   * not follow the primary's: install a snapshot).
   */
  public record PollAnswer(
      String status,
      String primaryId,
      long epoch,
      long primarySequence,
      List<byte[]> entries,
      Map<String, Boolean> visible) {}

  /** A follower's write, as a change set encoded by LogCodec (position ignored). */
  public record Submit(String memberId, byte[] changes) {}

  /** {@code status}: {@code ok}, {@code conflict}, {@code notPrimary}, {@code refused}. */
  public record SubmitAnswer(
      String status, long epoch, long sequence, String code, String message) {}

  /** What a member says of itself. */
  public record Status(
      String memberId,
      String name,
      String primaryId,
      long epoch,
      long sequence,
      long logEpoch,
      boolean primary,
      boolean readOnly,
      boolean removed,
      boolean restartService,
      String version) {}

  /** Become the primary in {@code epoch}, removing the members listed. */
  public record Promote(long epoch, List<String> remove) {}

  /** Hand the primary role over to {@code targetId} (asked of the primary). */
  public record Handover(String targetId) {}

  /** A plain answer. */
  public record Done(boolean ok, String message) {}

  /** The primary's state (LogCodec). */
  public record SnapshotAnswer(byte[] snapshot) {}
}
