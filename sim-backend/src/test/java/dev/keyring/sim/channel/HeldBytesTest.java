package dev.keyring.sim.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelRequest;
import dev.keyring.protocol.channel.Frame;
import dev.keyring.protocol.channel.Opcode;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

/** A connection's own share, what it borrows from the member's budget, and giving it back. */
class HeldBytesTest {
  private static final long FREE = HeldBytes.FREE_BYTES;

  /** A member budget of {@code limit} bytes, as the member's {@code BufferBudget} keeps it. */
  private static final class Budget implements ChannelService {
    final long limit;
    long used;

    Budget(long limit) {
      this.limit = limit;
    }

    @Override
    public byte[] serve(ChannelRequest request, X509Certificate client) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void checkClient(X509Certificate client) {}

    @Override
    public boolean tryHold(long bytes) {
      if (used + bytes > limit) {
        return false;
      }
      used += bytes;
      return true;
    }

    @Override
    public void release(long bytes) {
      used -= bytes;
      assertTrue(used >= 0, "released more than held");
    }

    @Override
    public boolean answerMayBeDropped(ChannelRequest request) {
      return request.path.endsWith("/objects/find"); // as the member says of a find
    }
  }

  @Test
  void theConnectionsOwnShare_borrowsNothing() {
    Budget budget = new Budget(1 << 20);
    HeldBytes h = new HeldBytes(budget);
    assertTrue(h.tryAdd(FREE));
    assertEquals(0, budget.used);
    assertEquals(FREE, h.held());
    h.remove(FREE);
    assertEquals(0, h.held());
  }

  @Test
  void beyondTheShare_isBorrowed_andGivenBackAsItIsLetGo() {
    Budget budget = new Budget(1 << 20);
    HeldBytes h = new HeldBytes(budget);
    assertTrue(h.tryAdd(FREE - 100));
    assertTrue(h.tryAdd(1000));
    assertEquals(900, budget.used);
    assertTrue(h.tryAdd(5000));
    assertEquals(5900, budget.used);
    h.remove(5000);
    assertEquals(900, budget.used);
    h.remove(FREE - 100);
    assertEquals(0, budget.used, "what is held fits the share again");
    assertEquals(1000, h.held());
    h.remove(1000);
    assertEquals(0, h.held());
  }

  @Test
  void whatTheBudgetCannotTake_isRefused_andChangesNothing() {
    Budget budget = new Budget(10_000);
    HeldBytes h = new HeldBytes(budget);
    assertTrue(h.tryAdd(FREE + 10_000));
    assertFalse(h.tryAdd(1));
    assertEquals(FREE + 10_000, h.held());
    assertEquals(10_000, budget.used);
    HeldBytes other = new HeldBytes(budget);
    assertTrue(other.tryAdd(FREE), "another connection still has its own share");
    assertFalse(other.tryAdd(1));
  }

  @Test
  void aWritesAnswerLargerThanItsBound_isHeldAnyway_andTheNextRequestPaysForIt() throws Exception {
    Budget budget = new Budget(10_000);
    HeldBytes h = new HeldBytes(budget);
    assertTrue(h.tryAdd(1000));
    ChannelRequest create = json(7, "POST", "/v1/sessions/s1/objects");
    byte[] answer = new byte[(int) FREE + 20_000]; // 20,000 beyond the share; the budget has 10,000
    assertSame(answer, h.hold(create, 1000, answer), "a write's answer is always sent");
    assertEquals(FREE + 20_000, h.held());
    assertEquals(FREE + 20_000, h.own(), "beyond its share, borrowed from nothing");
    assertEquals(0, budget.used, "all or nothing: the budget could not take 20,000");
    assertFalse(h.tryAdd(1), "held past the share and the budget: nothing more is admitted");
    h.remove(FREE + 20_000);
    assertEquals(0, budget.used);
    assertTrue(h.tryAdd(1));
  }

  @Test
  void aReadsAnswerLargerThanItsBoundAndTheBudget_isRefusedInItsTurn() throws Exception {
    Budget budget = new Budget(10_000);
    HeldBytes h = new HeldBytes(budget);
    ChannelRequest find = json(9, "POST", "/v1/sessions/s1/objects/find");
    long admitted = FREE + 10_000; // the share and all the budget
    assertTrue(h.tryAdd(admitted));
    byte[] refused = h.hold(find, admitted, new byte[(int) admitted + 1]);
    ChannelAnswer a = ChannelCodec.readAnswer(Frame.parse(refused));
    assertEquals(9, a.id);
    assertEquals(ResultCode.CKR_DEVICE_MEMORY, a.code);
    assertTrue(a.message.contains("ask for less"), a.message);
    assertEquals(refused.length, h.held(), "the refusal in place of the answer");
    assertEquals(refused.length, h.own());
    assertEquals(0, budget.used, "within the connection's own share: nothing borrowed");
    // with the budget to lend it, a larger answer is held and sent
    assertTrue(h.tryAdd(1000));
    byte[] fits = new byte[5_000];
    assertSame(fits, h.hold(find, 1000, fits));
    assertEquals(refused.length + 5_000, h.held());
  }

  @Test
  void aSmallerAnswer_givesBackTheRestOfItsBound() throws Exception {
    Budget budget = new Budget(1 << 20);
    HeldBytes h = new HeldBytes(budget);
    long bound = 100 + HeldBytes.answerBound(Opcode.JSON, 100);
    assertTrue(h.tryAdd(bound));
    assertEquals(bound - FREE, budget.used);
    h.hold(json(3, "GET", "/v1/slots"), bound, new byte[300]);
    assertEquals(300, h.held());
    assertEquals(0, budget.used);
  }

  /** A JSON request as the member reads it off the wire. */
  private static ChannelRequest json(int id, String method, String path) throws Exception {
    byte[] frame = ChannelCodec.json(id, null, false, method, path, new byte[0]);
    return ChannelCodec.readRequest(Frame.parse(frame));
  }

  @Test
  void closing_givesBackEverythingBorrowed_andAdmitsNothingMore() {
    Budget budget = new Budget(1 << 20);
    HeldBytes h = new HeldBytes(budget);
    assertTrue(h.tryAdd(FREE + 50_000));
    assertEquals(50_000, budget.used);
    h.close();
    assertEquals(0, budget.used);
    assertFalse(h.tryAdd(1));
    h.remove(FREE + 50_000); // answers still under way when it closed are let go later
    assertEquals(0, budget.used);
  }

  @Test
  void answerBounds_aRestAnswerAndTheRequest_orTheRequestAndAKibibyte() {
    assertEquals(HeldBytes.JSON_ANSWER_BYTES + 50, HeldBytes.answerBound(Opcode.JSON, 50));
    assertEquals(2000 + 1024, HeldBytes.answerBound(Opcode.ENCRYPT, 2000));
    assertEquals(90 + 1024, HeldBytes.answerBound(Opcode.SIGN, 90));
  }

  @Test
  void lettingGoOfMoreThanHeld_isABug() {
    HeldBytes h = new HeldBytes(new Budget(1000));
    assertTrue(h.tryAdd(10));
    assertThrows(IllegalStateException.class, () -> h.remove(11));
  }
}
