package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFrames;
import dev.keyring.protocol.channel.Frame;
import dev.keyring.protocol.channel.Opcode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A member that refuses a request with CKR_DEVICE_REMOVED did nothing (it is stopping, or was
 * removed from its cluster): the call fails CONNECT, never sent, and goes to another member. A
 * member that stops ends each connection with a goodbye (a frame of id 0, CKR_DEVICE_REMOVED) after
 * its last answer: the requests left without an answer were not served, so they fail CONNECT and
 * never sent, and go to another member, a write included. Any other refusal of the connection (a
 * revoked client) leaves them as before: IO after they were sent.
 */
@Timeout(60)
class ChannelWireGoodbyeTest extends ChannelWireTestSupport {
  /**
   * Answers {@code answered} pings; at the next request, waits {@code delay}, writes the refusal of
   * the connection with {@code code} instead of an answer, and drops what comes after until the
   * client closes.
   */
  private static final class StoppingMember extends TestChannelMember {
    private final int answered;
    private final ResultCode code;
    private final Duration delay;

    StoppingMember(int answered, ResultCode code, Duration delay) throws IOException {
      super(memberTls, "stopping-member");
      this.answered = answered;
      this.code = code;
      this.delay = delay;
    }

    @Override
    void serve(InputStream in, OutputStream out) throws IOException, InterruptedException {
      for (int n = 0; ; n++) {
        int length = ChannelFrames.readLength(in, 1 << 20);
        if (length < 0) {
          return;
        }
        int id = ChannelFrames.readFrame(in, length).id();
        if (n < answered) {
          out.write(ChannelCodec.done(id, Opcode.PING, null));
          out.flush();
          continue;
        }
        Thread.sleep(delay.toMillis());
        out.write(ChannelCodec.refused(0, Opcode.ERROR, code.value(), "the member is stopping"));
        out.flush();
        in.transferTo(OutputStream.nullOutputStream()); // until the client closes
        return;
      }
    }
  }

  private static ChannelAnswer ping(ChannelWire w, int id) throws TransportException {
    return w.call(id, ChannelCodec.ping(id), Duration.ofSeconds(20), "ping " + id);
  }

  private static void assertNotServed(TransportException e) {
    assertEquals(Kind.CONNECT, e.kind(), e.toString());
    assertFalse(e.requestSent(), "not served: as if never sent");
    assertTrue(e.transientFailure(), "another member takes it");
    assertTrue(e.getMessage().contains("not served"), e.getMessage());
    assertTrue(e.getMessage().contains("CKR_DEVICE_REMOVED"), e.getMessage());
  }

  @Test
  void theGoodbye_readByTheCallerItself_failsItsCallNotServed() throws Exception {
    try (StoppingMember member =
            new StoppingMember(3, ResultCode.CKR_DEVICE_REMOVED, Duration.ZERO);
        ChannelWire w = open(member, Duration.ofMillis(200))) {
      for (int i = 1; i <= 3; i++) {
        assertTrue(ping(w, i).ok());
      }
      assertNotServed(assertThrows(TransportException.class, () -> ping(w, 4)));
      assertFalse(w.open(), "the connection is closed");
      assertNotServed(assertThrows(TransportException.class, () -> ping(w, 5)));
    }
  }

  @Test
  void theGoodbye_readByTheReaderThread_failsTheCallWaitingNotServed() throws Exception {
    try (StoppingMember member =
            new StoppingMember(1, ResultCode.CKR_DEVICE_REMOVED, Duration.ofMillis(300));
        ChannelWire w = open(member, Duration.ofMillis(1))) {
      assertTrue(ping(w, 1).ok());
      long before = w.readByCallers();
      assertNotServed(assertThrows(TransportException.class, () -> ping(w, 2)));
      assertEquals(before, w.readByCallers(), "the goodbye came after the caller's spin");
    }
  }

  @Test
  void anyOtherRefusalOfTheConnection_leavesTheCallSentAndUnknown() throws Exception {
    try (StoppingMember member =
            new StoppingMember(1, ResultCode.CKR_FUNCTION_REJECTED, Duration.ZERO);
        ChannelWire w = open(member, Duration.ofMillis(200))) {
      assertTrue(ping(w, 1).ok());
      TransportException e = assertThrows(TransportException.class, () -> ping(w, 2));
      assertEquals(Kind.IO, e.kind(), e.toString());
      assertTrue(e.requestSent(), "sent: whether it was served is not known");
      assertTrue(e.getMessage().contains("CKR_FUNCTION_REJECTED"), e.getMessage());
    }
  }

  /** Refuses every request with {@code code}, as a member removed from its cluster does. */
  private static final class RefusingMember extends TestChannelMember {
    private final ResultCode code;

    RefusingMember(ResultCode code) throws IOException {
      super(memberTls, "refusing-member");
      this.code = code;
    }

    @Override
    void serve(InputStream in, OutputStream out) throws IOException {
      while (true) {
        int length = ChannelFrames.readLength(in, 1 << 20);
        if (length < 0) {
          return;
        }
        Frame f = ChannelFrames.readFrame(in, length);
        out.write(ChannelCodec.refused(f.id(), f.opcode(), code.value(), "refused here"));
        out.flush();
      }
    }
  }

  @Test
  void aRefusalWithDeviceRemoved_isNotServed_soTheCallGoesElsewhere() throws Exception {
    try (RefusingMember member = new RefusingMember(ResultCode.CKR_DEVICE_REMOVED);
        ChannelMemberChannel ch =
            MemberTransports.load(entry, TransportOptions.builder().build())
                .openChannel("127.0.0.1", member.port(), "m1", "member m1")) {
      TransportException e = assertThrows(TransportException.class, () -> ch.openSession("app"));
      assertEquals(Kind.CONNECT, e.kind(), e.toString());
      assertFalse(e.requestSent(), "the member did nothing");
      assertTrue(e.transientFailure());
      assertTrue(e.getMessage().contains("not served"), e.getMessage());
      assertTrue(e.getMessage().contains("refused here"), e.getMessage());
    }
  }

  @Test
  void anyOtherRefusal_isTheMembersHsmException() throws Exception {
    try (RefusingMember member = new RefusingMember(ResultCode.CKR_SLOT_ID_INVALID);
        ChannelMemberChannel ch =
            MemberTransports.load(entry, TransportOptions.builder().build())
                .openChannel("127.0.0.1", member.port(), "m1", "member m1")) {
      HsmException e = assertThrows(HsmException.class, () -> ch.openSession("app"));
      assertEquals(ResultCode.CKR_SLOT_ID_INVALID, e.code());
    }
  }
}
