package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.api.KeyringProviderException;
import dev.keyring.testing.channel.FakeCluster;
import dev.keyring.testing.channel.FakeMember;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.SignatureException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the provider sees when members fail under it: the recovering channel beneath every {@link
 * SlotSession} repeats what may be repeated, once, and nothing else; the provider itself repeats
 * nothing.
 */
class SlotSessionRecoveryTest {
  private static final byte[] MESSAGE = "recover me".getBytes(StandardCharsets.UTF_8);

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(2);
  private final FakeCluster cluster = fake.cluster();
  private final FakeMember m1 = cluster.member(0);
  private final FakeMember m2 = cluster.member(1);

  private KeyPair ecKey() throws Exception {
    return KeyPairGenerator.getInstance("EC", fake.provider()).generateKeyPair();
  }

  private byte[] sign(KeyPair kp, byte[] data) throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA", fake.provider());
    s.initSign(kp.getPrivate());
    s.update(data);
    return s.sign();
  }

  private static boolean verifies(KeyPair kp, byte[] sig) throws Exception {
    Signature jdk = Signature.getInstance("SHA256withECDSA");
    jdk.initVerify(kp.getPublic());
    jdk.update(MESSAGE);
    return jdk.verify(sig);
  }

  private int objects() {
    return cluster.objects(FakeClusterProvider.KEYRING).size();
  }

  @Test
  void sessionLostMidUse_isOpenedAndLoggedInAgainOnce_andTheSignSucceeds() throws Exception {
    KeyPair kp = ecKey();
    int opened = m1.calls("openSession");
    int logins = m1.calls("login");
    m1.loseSessions(); // the member restarted
    assertTrue(verifies(kp, sign(kp, MESSAGE)));
    assertEquals(opened + 1, m1.calls("openSession"));
    assertEquals(logins + 1, m1.calls("login"));
    assertEquals(2, m1.calls("sign")); // refused on the lost session, then served
    assertEquals(1, m1.openSessions());
    assertEquals(0, m2.calls());
  }

  @Test
  void memberLost_theSignGoesToTheNextMember_loggedInThere() throws Exception {
    KeyPair kp = ecKey();
    m1.down();
    assertTrue(verifies(kp, sign(kp, MESSAGE)));
    assertEquals(0, m1.calls("sign"));
    assertEquals(1, m2.calls("sign"));
    assertEquals(1, m2.calls("openSession"));
    assertEquals(1, m2.calls("login"));
    assertFalse(cluster.router().isUp(m1));
  }

  @Test
  void readAnswerLost_isAskedAgainOnTheSameMember() throws Exception {
    KeyPair kp = ecKey();
    m1.failNextCall(TransportException.Kind.IO);
    assertTrue(verifies(kp, sign(kp, MESSAGE)));
    assertEquals(2, m1.calls("sign"));
    assertEquals(0, m2.calls("sign"));
  }

  @Test
  void writeCutOffOnTheWire_isReportedAsMaybeDone_andNotRepeated() throws Exception {
    m1.cutOffNextWrite();
    KeyringProviderException e = assertThrows(KeyringProviderException.class, this::ecKey);
    assertTrue(e.getMessage().contains("may or may not have happened"), e.getMessage());
    assertEquals(2, objects()); // the key pair was generated, once
    assertEquals(1, m1.calls("generateKeyPair") + m2.calls("generateKeyPair"));
    // the member whose connection broke gets no traffic until it answers a probe: m2 serves
    ecKey();
    assertEquals(4, objects());
    assertEquals(1, m2.calls("generateKeyPair"));
  }

  @Test
  void writeRefusedByAReadOnlyMember_isTriedOnceMoreOnAReadWriteOne() throws Exception {
    m1.readOnly(true); // the client's view still shows it read-write
    ecKey();
    assertEquals(1, m1.calls("generateKeyPair"));
    assertEquals(1, m2.calls("generateKeyPair"));
    assertEquals(2, objects());
  }

  @Test
  void everyMemberDown_theSignFails_thenWorksOnceOneIsBack_withoutARestart() throws Exception {
    KeyPair kp = ecKey();
    m1.down();
    m2.down();
    SignatureException e = assertThrows(SignatureException.class, () -> sign(kp, MESSAGE));
    assertTrue(e.getMessage().contains("could not be reached (CONNECT)"), e.getMessage());
    m2.up();
    assertTrue(verifies(kp, sign(kp, MESSAGE)));
    assertEquals(1, m2.calls("sign"));
  }

  @Test
  void multiPartSignature_whoseMemberLostItsSessions_failsAndIsNotRepeated() throws Exception {
    KeyPair kp = KeyPairGenerator.getInstance("Ed25519", fake.provider()).generateKeyPair();
    Signature s = Signature.getInstance("Ed25519", fake.provider());
    s.initSign(kp.getPrivate());
    byte[] big = new byte[KeyringSignatureSpi.STREAM_THRESHOLD + 1];
    Arrays.fill(big, (byte) 1);
    s.update(big); // starts the operation on m1 and sends its first part
    int parts = m1.calls("operationPart");
    m1.loseSessions();
    SignatureException e = assertThrows(SignatureException.class, s::sign);
    assertTrue(e.getMessage().contains("CKR_SESSION_HANDLE_INVALID"), e.getMessage());
    assertEquals(parts + 1, m1.calls("operationPart"));
    assertEquals(0, m2.calls("operationPart"));
  }
}
