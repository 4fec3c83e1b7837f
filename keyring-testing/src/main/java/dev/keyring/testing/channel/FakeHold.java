package dev.keyring.testing.channel;

import dev.keyring.client.channel.AttemptScope;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The answer of one call a {@link FakeMember} carried out, held back as a paused member or a slow
 * link would hold it ({@link FakeMember#holdNext(String)}): the member has done the call (a session
 * opened is open there), and the caller waits until {@link #release()}. A caller that recovery
 * abandons meanwhile ({@link AttemptScope}) stops waiting at once and sees the answer lost, as the
 * HTTP transport does when it cancels an exchange: whatever the call created stays on the member.
 */
public final class FakeHold {
  private static final long WAIT_SECONDS = 30;

  private final String method;
  private final CountDownLatch reached = new CountDownLatch(1);
  private final CompletableFuture<Void> released = new CompletableFuture<>();
  private final CompletableFuture<Boolean> ended = new CompletableFuture<>();

  FakeHold(String method) {
    this.method = method;
  }

  /** The method whose next answer this holds. */
  public String method() {
    return method;
  }

  /**
   * Waits until the member carried out the held call and holds its answer.
   *
   * @throws IllegalStateException if no such call came within 30 s (the test is wrong)
   */
  public void awaitHeld() throws InterruptedException {
    if (!reached.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
      throw new IllegalStateException("no call of " + method + " reached the member");
    }
  }

  /** Lets the held answer go to its caller (if the caller still waits for it). */
  public void release() {
    released.complete(null);
  }

  /**
   * Waits until the held call ended for its caller: true if the caller got the answer, false if it
   * had been abandoned and the answer was lost.
   *
   * @throws IllegalStateException if it did not end within 30 s of the call (the test is wrong)
   */
  public boolean awaitEnded() throws InterruptedException {
    try {
      return ended.get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException | ExecutionException e) {
      throw new IllegalStateException("the held call of " + method + " did not end", e);
    }
  }

  /** Holds the answer of the call under way on this thread; false if its caller abandoned it. */
  boolean hold() {
    reached.countDown();
    CompletableFuture<Void> gone = new CompletableFuture<>();
    AttemptScope.current().onAbandon(() -> gone.complete(null));
    try {
      CompletableFuture.anyOf(released, gone).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      gone.complete(null);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
    boolean answered = !gone.isDone();
    ended.complete(answered);
    return answered;
  }

  @Override
  public String toString() {
    return "FakeHold[" + method + (released.isDone() ? ", released]" : "]");
  }
}
