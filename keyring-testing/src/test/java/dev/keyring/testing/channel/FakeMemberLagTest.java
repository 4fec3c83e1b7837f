package dev.keyring.testing.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A fake member that lags behind the cluster's log: what it answers, what it refuses, and how the
 * recovering channel gets the client's own writes read anyway.
 */
class FakeMemberLagTest {
  private static final String PASSWORD = "app-password-1";
  private static final Attributes DATA_OBJECT =
      Attributes.builder()
          .objectClass(ObjectClass.DATA)
          .label("theirs")
          .set(dev.keyring.protocol.AttributeType.CKA_VALUE, "x".getBytes(StandardCharsets.UTF_8))
          .build();

  private final FakeCluster cluster = new FakeCluster(2);
  private final FakeMember m1 = cluster.member(0);
  private final FakeMember m2 = cluster.member(1);

  FakeMemberLagTest() {
    cluster.createKeyring("app", PASSWORD);
  }

  private String loggedIn(FakeMember m) throws Exception {
    String sid = m.openSession("app").sessionId();
    m.login(sid, Role.KRCO, PASSWORD);
    return sid;
  }

  @Test
  void laggingMember_seesTheKeyringAsItWas_untilItCatchesUp() throws Exception {
    String s2 = loggedIn(m2);
    m2.lagBehind();
    KeyringObject theirs = cluster.createObjectAsAnotherClient("app", DATA_OBJECT);
    assertNull(cluster.clientPosition(), "another client's write: this client knows nothing");

    assertEquals(List.of(), m2.findObjects(s2, Attributes.empty()), "not applied on m2 yet");
    HsmException e = assertThrows(HsmException.class, () -> m2.getObject(s2, theirs.handle()));
    assertEquals(ResultCode.CKR_OBJECT_HANDLE_INVALID, e.code());
    String s1 = loggedIn(m1);
    assertEquals(1, m1.findObjects(s1, Attributes.empty()).size(), "the primary holds it");

    m2.catchUp();
    assertEquals(1, m2.findObjects(s2, Attributes.empty()).size());
  }

  @Test
  void laggingMember_refusesWhatIsBehindTheClientsPosition_andWhatOnlyThePrimaryAnswers()
      throws Exception {
    String s1 = loggedIn(m1);
    String s2 = loggedIn(m2);
    m2.lagBehind();
    m1.generateKey(s1, KeyGenParams.aes(256), Attributes.empty());
    assertEquals(cluster.head(), cluster.clientPosition().sequence(), "the write's position");

    HsmException behind = assertThrows(HsmException.class, () -> m2.random(s2, 8));
    assertEquals(ResultCode.CKR_MEMBER_BEHIND, behind.code());
    HsmException notPrimary =
        assertThrows(HsmException.class, () -> m2.findObjectsOnPrimary(s2, Attributes.empty()));
    assertEquals(ResultCode.CKR_MEMBER_BEHIND, notPrimary.code());
    assertTrue(notPrimary.getMessage().contains("not the primary"), notPrimary.getMessage());
    assertEquals(1, m1.findObjectsOnPrimary(s1, Attributes.empty()).size());

    m2.logout(s2); // what stays on its member is served whatever the position
    m2.closeSession(s2);
  }

  @Test
  void aWriteThroughALaggingMember_bringsItUpToThatWrite() throws Exception {
    String s2 = loggedIn(m2);
    m2.lagBehind();
    cluster.createObjectAsAnotherClient("app", DATA_OBJECT);
    m2.generateKey(s2, KeyGenParams.aes(256), Attributes.empty());
    assertEquals(2, m2.findObjects(s2, Attributes.empty()).size(), "it applied the log up to it");
    assertTrue(m2.isLagging());
  }

  @Test
  void throughTheRecoveringChannel_ownWritesAreRead_whenReadsHitALaggingMember() throws Exception {
    cluster.primary(1);
    m1.readOnly(true); // writes go to m2, the primary; reads still go to m1 first
    cluster.router().refreshView();
    try (KeyringChannel ch = cluster.openChannel("app")) {
      ch.login(Role.KRCO, PASSWORD);
      m1.lagBehind();
      KeyringObject key = ch.generateKey(KeyGenParams.aes(256), Attributes.empty());
      assertEquals(1, ch.findObjects(Attributes.empty()).size());
      assertEquals(key, ch.getObject(key.handle()));
      assertEquals(1, m1.calls("findObjects"), "the read reached the lagging member first");
      assertEquals(1, m2.calls("findObjects"), "and was answered by the primary");
    }
  }

  @Test
  void primaryRules_areChecked() {
    assertThrows(IllegalStateException.class, m1::lagBehind, "m1 is the primary");
    m2.lagBehind();
    assertThrows(IllegalStateException.class, () -> cluster.primary(1));
    m2.catchUp();
    cluster.primary(1);
    assertTrue(m2.isPrimary());
  }

  @Test
  void anObjectTheMembersRefuseToDestroy_staysWhereItIs() throws Exception {
    KeyringObject o = cluster.createObjectAsAnotherClient("app", DATA_OBJECT);
    cluster.refuseToDestroy("app", o.handle());
    String s1 = loggedIn(m1);
    HsmException e = assertThrows(HsmException.class, () -> m1.destroyObject(s1, o.handle()));
    assertEquals(ResultCode.CKR_FUNCTION_FAILED, e.code());
    assertEquals(1, cluster.objects("app").size());
  }
}
