package dev.keyring.client.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.testing.ScriptedChannel;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sessions to close on a member when it is back: bounded, and kept for its next return. */
class DeferredClosesTest {
  private final ScriptedChannel member = new ScriptedChannel("m1");

  @Test
  void atMostMaxWait() {
    DeferredCloses d = new DeferredCloses();
    for (int i = 0; i < DeferredCloses.MAX; i++) {
      assertTrue(d.add("s" + i));
    }
    assertFalse(d.add("one too many"), "beyond the bound the member's idle timeout closes it");
    assertEquals(DeferredCloses.MAX, d.pending());
  }

  @Test
  void everySessionIsClosed_oneTheMemberNoLongerKnowsCounting() throws Exception {
    DeferredCloses d = new DeferredCloses();
    d.add("a");
    d.add("b");
    d.add("c");
    member.failNext(
        "closeSession", new HsmException(ResultCode.CKR_SESSION_HANDLE_INVALID, "unknown"));
    assertEquals(3, d.closeAll("m1", member.channel()));
    assertEquals(0, d.pending());
    assertEquals(List.of("closeSession", "closeSession", "closeSession"), member.calls());
  }

  @Test
  void aFailureOnTheWire_keepsTheRestForTheNextReturn() throws Exception {
    DeferredCloses d = new DeferredCloses();
    d.add("a");
    d.add("b");
    member.failNext(
        "closeSession", new TransportException(TransportException.Kind.CONNECT, "gone"));
    assertEquals(0, d.closeAll("m1", member.channel()));
    assertEquals(2, d.pending(), "one attempt, nothing dropped");
    assertEquals(2, d.closeAll("m1", member.channel()));
    assertEquals(0, d.pending());
  }

  @Test
  void aCloseRefusedForGood_isDropped_andTheRestAreClosed() throws Exception {
    DeferredCloses d = new DeferredCloses();
    d.add("a");
    d.add("b");
    member.failNext(
        "closeSession", new TransportException(TransportException.Kind.TLS, "certificate refused"));
    assertEquals(1, d.closeAll("m1", member.channel()), "b closed, a dropped");
    assertEquals(0, d.pending(), "no round would do better: nothing kept");
  }

  @Test
  void aCloseWhoseTimeRanOut_orInterrupted_isKeptForTheNextRound() throws Exception {
    // a deadline that passed, or the closing thread interrupted, says nothing of the next attempt
    assertKeptAfter(
        new TransportException(TransportException.Kind.IO, "timed out", null, true, false));
    assertKeptAfter(new TransportException(TransportException.Kind.INTERRUPTED, "closing"));
  }

  private void assertKeptAfter(TransportException failure) {
    DeferredCloses d = new DeferredCloses();
    d.add("a");
    member.failNext("closeSession", failure);
    assertEquals(0, d.closeAll("m1", member.channel()), failure.toString());
    assertEquals(1, d.pending(), failure.toString());
  }
}
