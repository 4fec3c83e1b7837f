package dev.keyring.client.channel;

/**
 * A member as routing sees it: its channel, whether it is up, and its request accounting. The
 * recovering channel brackets every call with {@link #begin()} and {@link #end(boolean)}.
 */
public interface RoutedMember {
  /** The wire to this member. */
  MemberChannel channel();

  /** The member for messages: name, address, group. */
  String describe();

  /** Whether routing sends it traffic (not marked down, not removed from the cluster). */
  boolean up();

  /** A call to it starts (counted as outstanding). */
  void begin();

  /** A call to it ended; {@code answered} when the member gave any answer, a refusal included. */
  void end(boolean answered);

  /** A physical session was opened on it. */
  void sessionOpened();

  /** A physical session on it was closed or forgotten. */
  void sessionClosed();

  /**
   * Session {@code sessionId}, which this client no longer uses, is to be closed on this member,
   * which routing has marked down: closed when the member answers again ({@link DeferredCloses}).
   */
  void closeWhenBack(String sessionId);
}
