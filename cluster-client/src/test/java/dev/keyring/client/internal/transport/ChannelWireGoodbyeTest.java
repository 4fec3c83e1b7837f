package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFrames;
import dev.keyring.protocol.channel.Opcode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A member that stops ends each connection with a goodbye (a frame of id 0, CKR_DEVICE_REMOVED)
 * after its last answer: the requests left without an answer were not served, so they fail CONNECT
 * and never sent, and go to another member, a write included. Any other refusal of the connection
 * (a revoked client) leaves them as before: IO after they were sent.
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
}
