package dev.keyring.sim.cluster;

import java.util.List;
import java.util.Map;

/** Member-to-member messages ({@code /v1/peer/...} on the crypto API, member certificates only). */
public final class PeerMessages {
  private PeerMessages() {}

  /**
   * A follower asks the primary for the log entries after its position, waiting up to {@code
   * waitMillis} for new ones. Also its heartbeat and its acknowledgement of what it holds. {@code
   * promisedEpoch}: the highest epoch the follower promised its vote for; a primary of an older
   * epoch neither answers nor counts it.
   */
  public record Poll(
      String memberId, long epoch, long sequence, long waitMillis, long promisedEpoch) {}

  /**
   * {@code status}: {@code ok} (entries follow, maybe none), {@code notPrimary} (ask {@code
   * primaryId}), {@code removed} (the asker is no longer a member), {@code resync} (its log does
   * not follow the primary's: install a snapshot), {@code fenced} (the asker promised its vote for
   * a newer epoch than this primary's: nothing is counted). {@code compactedThrough}: every member
   * holds the entries up to it, so the follower may drop them from its own log too.
   */
  public record PollAnswer(
      String status,
      String primaryId,
      long epoch,
      long primarySequence,
      List<byte[]> entries,
      Map<String, Boolean> visible,
      long compactedThrough) {}

  /**
   * A follower's write, as a change set encoded by LogCodec (position ignored); {@code attempt}
   * counts the submissions of this one write, from 1 (0 when not said), so that the primary can
   * give a write that keeps conflicting its turn ({@link WriteTurn}).
   */
  public record Submit(String memberId, byte[] changes, int attempt) {}

  /** {@code status}: {@code ok}, {@code conflict}, {@code notPrimary}, {@code refused}. */
  public record SubmitAnswer(
      String status, long epoch, long sequence, String code, String message) {}

  /**
   * What a member says of itself. {@code authorized}: authorized as a member and, unless it is the
   * primary, caught up with the primary since its cluster service started.
   */
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
      String version,
      long promisedEpoch,
      boolean authorized) {}

  /**
   * A member deleting an unrecoverable primary asks for a vote in {@code epoch}: the voter promises
   * never again to acknowledge an entry of an older epoch, and tells its log position.
   */
  public record Fence(long epoch, String candidateId) {}

  /** A vote: given (with the voter's log position) or refused (with the reason). */
  public record FenceAnswer(
      boolean ok, String memberId, long logEpoch, long sequence, String message) {}

  /** A vote given for {@code epoch} is taken back: the election that asked for it failed. */
  public record Release(long epoch, String candidateId) {}

  /** Become the primary in {@code epoch}, removing the members listed. */
  public record Promote(long epoch, List<String> remove) {}

  /** Hand the primary role over to {@code targetId} (asked of the primary). */
  public record Handover(String targetId) {}

  /** A plain answer. */
  public record Done(boolean ok, String message) {}

  /** The primary's state (LogCodec). */
}
