package dev.keyring.client.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import dev.keyring.client.testing.FixedRouter;
import dev.keyring.client.testing.ScriptedChannel;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rules of {@link CallKind}, applied by {@link RecoveringChannel} over two scripted members: m1
 * serves first, m2 when m1 is down or tried.
 */
class RecoveringChannelTest {
  private static final String PASSWORD = "correct horse battery staple";
  private static final byte[] DATA = {1, 2, 3};

  private final ScriptedChannel m1 = new ScriptedChannel("m1");
  private final ScriptedChannel m2 = new ScriptedChannel("m2");
  private final FixedRouter.Member link1 = new FixedRouter.Member("m1", m1.channel());
  private final FixedRouter.Member link2 = new FixedRouter.Member("m2", m2.channel());
  private final FixedRouter router = new FixedRouter(link1, link2);
  private final List<RecoveringChannel> closed = new ArrayList<>();

  private RecoveringChannel loggedIn() throws TransportException {
    RecoveringChannel s = RecoveringChannel.open(router, "app", closed::add);
    s.login(Role.KRCO, PASSWORD);
    return s;
  }

  private static TransportException sentThenBroken() {
    return new TransportException(Kind.IO, "connection reset");
  }

  private static TransportException neverSent() {
    return new TransportException(Kind.IO, "broken before the request left", null, false, true);
  }

  private static TransportException refused() {
    return new TransportException(Kind.CONNECT, "connection refused");
  }

  private byte[] sign(RecoveringChannel s) throws TransportException {
    return s.sign(7, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
  }

  @Test
  void lostSession_isOpenedAndLoggedInAgainOnThatMember_andTheCallRepeatedOnce() throws Exception {
    RecoveringChannel s = loggedIn();
    String before = s.id();
    m1.restart();
    assertArrayEquals(new byte[] {1}, sign(s));
    assertEquals(
        List.of("openSession", "login", "sign", "closeSession", "openSession", "login", "sign"),
        m1.calls(),
        "the lost session is closed quietly, then replaced");
    assertFalse(before.equals(s.id()), "the new physical session replaced the lost one");
    assertEquals(List.of(), m2.calls());
    assertEquals(1, link1.sessions());
  }

  @Test
  void afterLogout_aLostSessionIsOpenedAgain_butNotLoggedIn() throws Exception {
    RecoveringChannel s = loggedIn();
    s.logout();
    assertFalse(s.isLoggedIn());
    m1.restart();
    HsmException e = assertThrows(HsmException.class, () -> s.random(8));
    assertEquals(ResultCode.CKR_USER_NOT_LOGGED_IN, e.code());
    assertEquals(1, m1.count("login"), "only the application's own login");
  }

  @Test
  void repeatableRead_brokenAfterSending_isRepeatedOnceOnTheSameMember() throws Exception {
    RecoveringChannel s = loggedIn();
    m1.failNext("sign", sentThenBroken());
    assertArrayEquals(new byte[] {1}, sign(s));
    assertEquals(2, m1.count("sign"));
    assertTrue(link1.up(), "a failure the second attempt overcame marks nothing down");
    assertEquals(0, link1.outstanding());
    assertEquals(3, link1.answered(), "open, login, sign: one call however many attempts");
  }

  @Test
  void repeatableRead_failingTwiceOnItsMember_marksItDown_andIsServedByAnother() throws Exception {
    RecoveringChannel s = loggedIn();
    m1.failNext("sign", sentThenBroken()).failNext("sign", sentThenBroken());
    assertArrayEquals(new byte[] {1}, sign(s));
    assertEquals(2, m1.count("sign"));
    assertFalse(link1.up());
    assertEquals(
        List.of("openSession", "login", "sign"),
        m2.calls(),
        "a session opened and logged in there first");
  }

  @Test
  void readOnce_brokenAfterSending_isNotRepeatedOnItsMember_butOnAnother() throws Exception {
    RecoveringChannel s = loggedIn();
    m1.failNext("wrapKey", sentThenBroken());
    assertArrayEquals(
        new byte[] {1}, s.wrapKey(3, Mechanism.CKM_AES_KEY_WRAP_KWP, MechanismParams.NONE, 7));
    assertEquals(1, m1.count("wrapKey"));
    assertEquals(1, m2.count("wrapKey"));
    assertFalse(link1.up());
  }

  @Test
  void anyCall_whoseRequestNeverLeft_isRepeatedOnceOnTheSameMember() throws Exception {
    RecoveringChannel s = loggedIn();
    m1.failNext("generateKey", neverSent());
    s.generateKey(KeyGenParams.aes(256), null);
    assertEquals(2, m1.count("generateKey"));
    assertTrue(link1.up());
  }

  @Test
  void write_brokenAfterSending_isNotRepeated_andSaysItMayHaveHappened() throws Exception {
    RecoveringChannel s = loggedIn();
    TransportException reset = sentThenBroken();
    m1.failNext("generateKey", reset);
    TransportException e =
        assertThrows(TransportException.class, () -> s.generateKey(KeyGenParams.aes(256), null));
    assertTrue(e.getMessage().contains("may or may not have happened"), e.getMessage());
    assertEquals(Kind.IO, e.kind());
    assertSame(reset, e.getCause());
    assertEquals(1, m1.count("generateKey"));
    assertEquals(0, m2.count("generateKey"));
    assertFalse(link1.up(), "the member is marked down all the same");
  }

  @Test
  void write_whoseMemberRefusesConnections_goesToAnotherReadWriteMember() throws Exception {
    RecoveringChannel s = loggedIn();
    m1.failNext("generateKey", refused()).failNext("generateKey", refused());
    s.generateKey(KeyGenParams.aes(256), null);
    assertEquals(2, m1.count("generateKey"), "once more on a fresh connection first");
    assertEquals(1, m2.count("generateKey"));
  }

  @Test
  void write_refusedAsReadOnly_refreshesTheView_andIsTriedOnceMoreOnAnotherMember()
      throws Exception {
    RecoveringChannel s = loggedIn();
    m1.failNext("generateKey", new HsmException(ResultCode.CKR_TOKEN_WRITE_PROTECTED, "read-only"));
    s.generateKey(KeyGenParams.aes(256), null);
    assertEquals(1, router.refreshes());
    assertEquals(1, m2.count("generateKey"));
    assertTrue(link1.up(), "a refusal is an answer: the member is up");

    m1.failNext(
        "createObject", new HsmException(ResultCode.CKR_TOKEN_WRITE_PROTECTED, "read-only"));
    m2.failNext(
        "createObject", new HsmException(ResultCode.CKR_TOKEN_WRITE_PROTECTED, "read-only"));
    HsmException twice = assertThrows(HsmException.class, () -> s.createObject(null));
    assertEquals(ResultCode.CKR_TOKEN_WRITE_PROTECTED, twice.code());
    assertEquals(1, twice.getSuppressed().length, "the first refusal is attached");
    assertEquals(2, m1.count("createObject") + m2.count("createObject"), "one retry only");
  }

  @Test
  void tlsFailure_isNeverRepeated_andMarksNothingDown() throws Exception {
    RecoveringChannel s = loggedIn();
    TransportException tls = new TransportException(Kind.TLS, "bad_certificate");
    m1.failNext("sign", tls);
    assertSame(tls, assertThrows(TransportException.class, () -> sign(s)));
    assertEquals(1, m1.count("sign"));
    assertEquals(0, m2.count("sign"));
    assertTrue(link1.up());
  }

  @Test
  void closing_leavesTheSessionOnAMemberMarkedDown_toBeClosedWhenItIsBack() throws Exception {
    RecoveringChannel s = loggedIn();
    String onM1 = s.id();
    m1.failNext("sign", refused()).failNext("sign", refused());
    sign(s); // m1 marked down, served by m2
    assertFalse(link1.up());
    s.close();
    assertEquals(List.of(onM1), link1.closeWhenBack(), "left for m1's return");
    assertEquals(0, m1.count("closeSession"), "nothing sent to a member marked down");
    assertEquals(1, m2.count("closeSession"));
    assertEquals(List.of(), link2.closeWhenBack());
    assertEquals(0, link1.sessions() + link2.sessions());
  }

  @Test
  void interruptedRead_isNotRepeated_andMarksNothingDown() throws Exception {
    RecoveringChannel s = loggedIn();
    TransportException interrupted =
        new TransportException(Kind.INTERRUPTED, "sign interrupted", null, true, false);
    m1.failNext("sign", interrupted);
    assertSame(interrupted, assertThrows(TransportException.class, () -> sign(s)));
    assertEquals(1, m1.count("sign"));
    assertEquals(0, m2.count("sign"), "not sent elsewhere either");
    assertTrue(link1.up(), "an interrupted caller says nothing of its member");
    assertArrayEquals(new byte[] {1}, sign(s), "the member serves the next call");
    assertEquals(0, link1.outstanding());
  }

  @Test
  void interruptedWrite_sent_isNotRepeated_andSaysItMayHaveHappened() throws Exception {
    RecoveringChannel s = loggedIn();
    TransportException interrupted =
        new TransportException(Kind.INTERRUPTED, "generateKey interrupted", null, true, false);
    m1.failNext("generateKey", interrupted);
    TransportException e =
        assertThrows(TransportException.class, () -> s.generateKey(KeyGenParams.aes(256), null));
    assertEquals(Kind.INTERRUPTED, e.kind());
    assertSame(interrupted, e.getCause());
    assertTrue(e.getMessage().contains("may or may not have happened"), e.getMessage());
    assertEquals(1, m1.count("generateKey"));
    assertEquals(0, m2.count("generateKey"));
    assertTrue(link1.up());
  }

  @Test
  void busyClient_callNeverSent_isNotRepeated_andMarksNothingDown() throws Exception {
    RecoveringChannel s = loggedIn();
    TransportException busy = new TransportException(Kind.BUSY, "16 calls under way");
    assertFalse(busy.requestSent(), "a busy client sent nothing");
    assertFalse(busy.transientFailure(), "its time limit is spent");
    m1.failNext("generateKey", busy);
    assertSame(
        busy,
        assertThrows(TransportException.class, () -> s.generateKey(KeyGenParams.aes(256), null)));
    assertEquals(1, m1.count("generateKey"));
    assertEquals(0, m2.count("generateKey"));
    assertTrue(link1.up(), "the member is not suspect");
  }

  @Test
  void failureNoSecondAttemptCouldOvercome_isNotRepeatedOnItsMember_butOnAnother()
      throws Exception {
    RecoveringChannel s = loggedIn();
    m1.failNext("sign", new TransportException(Kind.CONNECT, "unknown host", null, false, false));
    sign(s);
    assertEquals(1, m1.count("sign"));
    assertEquals(1, m2.count("sign"));
  }

  @Test
  void everyMemberFailing_givesTheRoutersFailure_withEveryFailureAttached() throws Exception {
    RecoveringChannel s = loggedIn();
    m1.failNext("random", refused()).failNext("random", refused());
    m2.failNext("openSession", refused()).failNext("openSession", refused());
    TransportException e = assertThrows(TransportException.class, () -> s.random(4));
    assertTrue(e.getMessage().startsWith("no member could serve random"), e.getMessage());
    assertEquals(2, e.getSuppressed().length);
    assertEquals(1, e.getSuppressed()[0].getSuppressed().length, "the first attempt on m1");
  }

  @Test
  void operationParts_stayOnTheirMember_andAreNotRepeatedOnceSent() throws Exception {
    RecoveringChannel s = loggedIn();
    KeyringOperation op =
        s.startOperation(
            KeyringOperation.Kind.SIGN, 7, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE);
    op.update(DATA);
    m1.failNext("operationPart", sentThenBroken());
    assertThrows(TransportException.class, op::finish);
    assertEquals(1, m1.count("operationPart"));
    assertEquals(0, m2.calls().size());
    assertTrue(link1.up(), "the operation fails; the member is not marked down for it");
    HsmException again = assertThrows(HsmException.class, op::finish);
    assertEquals(ResultCode.CKR_OPERATION_NOT_INITIALIZED, again.code());
  }

  @Test
  void operationPart_whoseRequestNeverLeft_isSentOnceMore() throws Exception {
    RecoveringChannel s = loggedIn();
    KeyringOperation op =
        s.startOperation(
            KeyringOperation.Kind.SIGN, 7, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE);
    op.update(DATA);
    m1.failNext("operationPart", neverSent());
    assertArrayEquals(new byte[] {2}, op.finish());
    assertEquals(2, m1.count("operationPart"));
  }

  @Test
  void login_dropsThePhysicalSessionsOnOtherMembers() throws Exception {
    RecoveringChannel s = loggedIn();
    m1.failNext("random", refused()).failNext("random", refused());
    s.random(4);
    assertEquals(1, link2.sessions());
    link1.up(true);
    s.login(Role.KRCO, PASSWORD);
    assertEquals(2, m1.count("login"), "m1 serves the login again");
    assertEquals(0, link2.sessions());
    assertEquals(0, m2.openSessions(), "closed on the member too");
  }

  @Test
  void close_closesEverySessionOnce_forgetsThePassword_andTellsItsOwner() throws Exception {
    RecoveringChannel s = loggedIn();
    assertFalse(s.toString().contains(PASSWORD), s.toString());
    s.close();
    s.close();
    assertEquals(List.of(s), closed);
    assertFalse(s.isOpen());
    assertFalse(s.isLoggedIn());
    assertEquals(0, m1.openSessions());
    assertEquals(0, link1.sessions());
    HsmException e = assertThrows(HsmException.class, () -> sign(s));
    assertEquals(ResultCode.CKR_SESSION_CLOSED, e.code());
  }

  @Test
  void closedRouter_refusesCalls() throws Exception {
    RecoveringChannel s = loggedIn();
    router.close();
    assertThrows(IllegalStateException.class, () -> sign(s));
  }

  // ---- CKR_MEMBER_BEHIND and the primary

  private static HsmException behind() {
    return new HsmException(ResultCode.CKR_MEMBER_BEHIND, "m1 holds the log up to 1.4, behind 1.5");
  }

  @Test
  void readRefusedBehind_isRepeatedOnThePrimary_afterOneViewRefresh() throws Exception {
    link2.primary(true);
    RecoveringChannel s = loggedIn();
    m1.failNext("findObjects", behind());
    assertEquals(1, s.findObjects(dev.keyring.protocol.Attributes.empty()).size());
    assertEquals(1, m1.count("findObjects"));
    assertEquals(1, m2.count("findObjects"), "answered by the primary");
    assertEquals(1, router.refreshes());
    assertTrue(link1.up(), "a member behind is not down");
  }

  @Test
  void writeRefusedBehind_isRepeatedOnThePrimary_itWasNotDone() throws Exception {
    link2.primary(true);
    RecoveringChannel s = loggedIn();
    m1.failNext("destroyObject", behind());
    s.destroyObject(7);
    assertEquals(1, m1.count("destroyObject"));
    assertEquals(1, m2.count("destroyObject"));
  }

  @Test
  void behind_withThePrimaryUnknown_goesToAnotherMember() throws Exception {
    RecoveringChannel s = loggedIn();
    m1.failNext("sign", behind());
    assertArrayEquals(new byte[] {1}, sign(s));
    assertEquals(1, m2.count("sign"));
  }

  @Test
  void behindEverywhere_throwsTheRefusal_withTheOthersAttached() throws Exception {
    RecoveringChannel s = loggedIn();
    m1.failNext("sign", behind());
    m2.failNext("sign", behind());
    HsmException e = assertThrows(HsmException.class, () -> sign(s));
    assertEquals(ResultCode.CKR_MEMBER_BEHIND, e.code());
    assertEquals(1, e.getSuppressed().length);
    assertEquals(1, router.refreshes(), "the view is refreshed once per call");
  }

  // ---- CKR_DEVICE_ERROR: the member's own store failed

  private static HsmException storeFailed() {
    return new HsmException(ResultCode.CKR_DEVICE_ERROR, "the member's store is not answering");
  }

  @Test
  void readRefusedDeviceError_isRepeatedOnAnotherMember_withoutMarkingItDown() throws Exception {
    RecoveringChannel s = loggedIn();
    m1.failNext("sign", storeFailed());
    assertArrayEquals(new byte[] {1}, sign(s));
    assertEquals(1, m1.count("sign"));
    assertEquals(1, m2.count("sign"), "answered by the other member");
    assertTrue(link1.up(), "a member whose store failed is not marked down");
  }

  @Test
  void deviceErrorEverywhere_throwsTheLastRefusal_withTheOthersAttached() throws Exception {
    RecoveringChannel s = loggedIn();
    m1.failNext("findObjects", storeFailed());
    m2.failNext("findObjects", storeFailed());
    HsmException e =
        assertThrows(
            HsmException.class, () -> s.findObjects(dev.keyring.protocol.Attributes.empty()));
    assertEquals(ResultCode.CKR_DEVICE_ERROR, e.code());
    assertEquals(1, e.getSuppressed().length, "the first member's refusal is attached");
    assertEquals(1, m1.count("findObjects"));
    assertEquals(1, m2.count("findObjects"));
  }

  @Test
  void writeRefusedDeviceError_isThrown_notRepeated() throws Exception {
    link1.primary(true);
    RecoveringChannel s = loggedIn();
    m1.failNext("destroyObject", storeFailed());
    HsmException e = assertThrows(HsmException.class, () -> s.destroyObject(7));
    assertEquals(ResultCode.CKR_DEVICE_ERROR, e.code());
    assertEquals(0, m2.count("destroyObject"), "a write may or may not be kept: never repeated");
  }

  @Test
  void lookupOnThePrimary_refusedDeviceError_isThrown() throws Exception {
    link2.primary(true);
    RecoveringChannel s = loggedIn();
    m2.failNext("findObjectsOnPrimary", storeFailed());
    HsmException e =
        assertThrows(
            HsmException.class,
            () -> s.findObjectsOnPrimary(dev.keyring.protocol.Attributes.empty()));
    assertEquals(ResultCode.CKR_DEVICE_ERROR, e.code());
    assertEquals(0, m1.count("findObjectsOnPrimary"));
  }

  @Test
  void lookupOnThePrimary_goesToThePrimaryOnly() throws Exception {
    link2.primary(true);
    RecoveringChannel s = loggedIn();
    assertEquals(1, s.findObjectsOnPrimary(dev.keyring.protocol.Attributes.empty()).size());
    assertEquals(0, m1.count("findObjectsOnPrimary"));
    assertEquals(List.of("openSession", "login", "findObjectsOnPrimary"), m2.calls());
  }

  @Test
  void lookupOnThePrimary_refusedByAFormerPrimary_goesToTheNewOne_afterAViewRefresh()
      throws Exception {
    link1.primary(true);
    RecoveringChannel s = loggedIn();
    m1.failNext("findObjectsOnPrimary", behind());
    router.onRefresh(
        () -> { // the fresh view names m2 primary
          link1.primary(false);
          link2.primary(true);
        });
    assertEquals(1, s.findObjectsOnPrimary(dev.keyring.protocol.Attributes.empty()).size());
    assertEquals(1, m1.count("findObjectsOnPrimary"));
    assertEquals(1, m2.count("findObjectsOnPrimary"));
    assertEquals(1, router.refreshes());
  }

  @Test
  void lookupOnThePrimary_withNoPrimaryUp_isNotAnsweredByAnotherMember() throws Exception {
    link2.primary(true);
    RecoveringChannel s = loggedIn();
    link2.up(false);
    TransportException e =
        assertThrows(
            TransportException.class,
            () -> s.findObjectsOnPrimary(dev.keyring.protocol.Attributes.empty()));
    assertTrue(e.getMessage().contains("objects/find on the primary"), e.getMessage());
    assertEquals(0, m1.count("findObjectsOnPrimary"));
    assertEquals(1, router.refreshes(), "a fresh view is asked for before giving up");
  }
}
