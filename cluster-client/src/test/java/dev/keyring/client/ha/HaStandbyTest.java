package dev.keyring.client.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.client.config.HaLogSettings;
import dev.keyring.client.config.HaSettings;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.Role;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Standby members of an HA group's virtual slot, on in-memory members. */
class HaStandbyTest {
  private static final String PW = "co-password";
  private static final byte[] MSG = "message".getBytes(StandardCharsets.UTF_8);

  private final FakeHaMember a = new FakeHaMember("a1", PW);
  private final FakeHaMember b = new FakeHaMember("b1", PW);
  private final FakeHaMember s = new FakeHaMember("s1", PW);
  private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
  private HaGroupChannel group;

  private HaGroupChannel open(List<String> standby) throws Exception {
    HaGroupEntry entry =
        new HaGroupEntry(
            0, "pay", "1" + a.serial(), List.of(a.serial(), b.serial(), s.serial()), standby);
    HaLog log =
        new HaLog(
            new HaLogSettings(true, Optional.empty(), true, HaLogSettings.DEFAULT_LENGTH),
            "pay",
            new PrintStream(logged, true, StandardCharsets.UTF_8),
            Clock.systemUTC());
    group =
        new HaGroupChannel(
            entry,
            HaSettings.NONE.withReconnectAttempts(0),
            log,
            new HaLocator(FakeHaMember.clusters(List.of(a, b, s))));
    group.connect();
    group.login(Role.KRCO, PW);
    return group;
  }

  @AfterEach
  void close() {
    if (group != null) {
      group.close();
    }
  }

  private KeyringKeyPair generate(String label) throws Exception {
    return group.generateKeyPair(
        KeyGenParams.ec(Curve.P256), FakeHaMember.labelled(label), FakeHaMember.labelled(label));
  }

  private byte[] sign(KeyringObject key) throws Exception {
    return group.sign(key.handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, MSG);
  }

  @Test
  void standbyReceivesEveryObjectButServesNothingWhileAnActiveMemberIsUp() throws Exception {
    open(List.of(s.serial()));
    KeyringKeyPair kp = generate("tls");
    KeyringObject secret =
        group.generateKey(KeyGenParams.aes(256), Attributes.builder().label("aes").build());
    assertEquals(3, s.objectsById().size(), "the pair and the secret key were cloned to standby");
    assertEquals(a.objectsById().keySet(), s.objectsById().keySet());
    assertEquals(b.objectsById().keySet(), s.objectsById().keySet());
    assertTrue(secret.handle() > 0);
    for (int i = 0; i < 20; i++) {
      sign(kp.privateKey());
    }
    assertEquals(0, s.signs.get(), "standby serves nothing while an active member is up");
    assertTrue(a.signs.get() > 0 && b.signs.get() > 0, a.signs + " / " + b.signs);
    assertTrue(
        group.memberStatus().get(s.serial()).contains("standby"), group.memberStatus().toString());
  }

  @Test
  void standbyServesWhenEveryActiveMemberIsDownAndStopsWhenOneIsBack() throws Exception {
    open(List.of(s.serial()));
    KeyringKeyPair kp = generate("tls");
    a.down = true;
    b.down = true;
    for (int i = 0; i < 5; i++) {
      assertEquals("signed by s1", new String(sign(kp.privateKey()), StandardCharsets.UTF_8));
    }
    assertEquals(5, s.signs.get());
    // a write while every active member is down is made on the standby member
    KeyringKeyPair meanwhile = generate("meanwhile");
    assertTrue(s.objectsById().size() >= 4);
    a.down = false;
    assertEquals(List.of(a.serial()), group.recover().recovered().subList(0, 1));
    assertTrue(
        a.objectsById().keySet().containsAll(s.objectsById().keySet()),
        "a1 got what was written on the standby member");
    int before = s.signs.get();
    for (int i = 0; i < 5; i++) {
      sign(meanwhile.privateKey());
    }
    assertEquals(before, s.signs.get(), "back to the active member");
    assertEquals(5, a.signs.get());
    String log = logged.toString(StandardCharsets.UTF_8);
    assertTrue(log.contains("standby members serve (" + s.serial()), log);
  }

  @Test
  void aStandbyMemberDownAtAWriteNeedsSyncAndGetsTheObjectWhenRecovered() throws Exception {
    open(List.of(s.serial()));
    s.down = true;
    KeyringKeyPair kp = generate("tls");
    assertTrue(group.memberStatus().get(s.serial()).contains("needs sync"));
    assertEquals(0, s.objectsById().size());
    s.down = false;
    group.recover();
    assertEquals(2, s.objectsById().size(), "recovered standby member holds the pair");
    sign(kp.privateKey());
    assertEquals(0, s.signs.get());
  }

  @Test
  void withoutStandbyMembersEveryMemberServes() throws Exception {
    open(List.of());
    KeyringKeyPair kp = generate("tls");
    for (int i = 0; i < 30; i++) {
      sign(kp.privateKey());
    }
    assertEquals(10, s.signs.get(), "round-robin over three active members");
  }

  @Test
  void aCallerSideFailure_endsTheCall_andMarksNoMemberDown() throws Exception {
    open(List.of());
    KeyringKeyPair kp = generate("tls");
    for (FakeHaMember m : List.of(a, b, s)) {
      m.failOnce.set(
          new TransportException(
              TransportException.Kind.INTERRUPTED, "interrupted", null, true, false));
    }
    TransportException read = assertThrows(TransportException.class, () -> sign(kp.privateKey()));
    assertEquals(TransportException.Kind.INTERRUPTED, read.kind());
    assertTrue(Thread.interrupted(), "the caller's interrupt status is set again");
    assertEquals(
        2,
        List.of(a, b, s).stream().filter(m -> m.failOnce.get() != null).count(),
        "one member met it; the read went no further");
    for (FakeHaMember m : List.of(a, b, s)) {
      m.failOnce.set(null);
    }
    for (FakeHaMember m : List.of(a, b, s)) {
      m.failOnce.set(new TransportException(TransportException.Kind.BUSY, "16 calls under way"));
    }
    int before = a.objectsById().size();
    TransportException write = assertThrows(TransportException.class, () -> generate("busy"));
    assertEquals(TransportException.Kind.BUSY, write.kind());
    assertEquals(
        2,
        List.of(a, b, s).stream().filter(m -> m.failOnce.get() != null).count(),
        "a write never sent is not tried on another member");
    for (FakeHaMember m : List.of(a, b, s)) {
      m.failOnce.set(null);
      assertEquals(before, m.objectsById().size(), "nothing made");
    }
    group.memberStatus().values().forEach(v -> assertEquals("alive", v));
    sign(kp.privateKey());
  }

  @Test
  void anInterruptedWriteThatMayHaveLeft_isNotRepeated_andTakesNoMemberOutOfRotation()
      throws Exception {
    open(List.of());
    for (FakeHaMember m : List.of(a, b, s)) {
      m.failOnce.set(
          new TransportException(
              TransportException.Kind.INTERRUPTED, "interrupted", null, true, false));
    }
    TransportException cut = assertThrows(TransportException.class, () -> generate("cut"));
    assertEquals(TransportException.Kind.INTERRUPTED, cut.kind());
    assertTrue(Thread.interrupted(), "the caller's interrupt status is set again");
    List<FakeHaMember> met =
        List.of(a, b, s).stream().filter(m -> m.failOnce.get() == null).toList();
    assertEquals(1, met.size(), "made on one member at most, never repeated on another");
    for (FakeHaMember m : List.of(a, b, s)) {
      m.failOnce.set(null);
    }
    Map<String, String> status = group.memberStatus();
    status.values().forEach(v -> assertTrue(v.startsWith("alive"), v));
    assertEquals(
        "alive, needs sync",
        status.get(met.get(0).serial()),
        "it may hold what the others do not: compared at the next synchronization");
    KeyringKeyPair kp = generate("after");
    for (int i = 0; i < 6; i++) {
      sign(kp.privateKey());
    }
  }

  private static TransportException cutOff() {
    return new TransportException(
        TransportException.Kind.INTERRUPTED, "interrupted", null, true, false);
  }

  @Test
  void anInterruptedCaller_costsTheGroupNoMoreThanTheMemberItCutOff() throws Exception {
    open(List.of());
    // a copy cut off: the write is made and copied on; the member cut off waits for a sync
    b.failOnce.set(cutOff());
    KeyringKeyPair kp = generate("copied");
    assertTrue(Thread.interrupted(), "the caller's interrupt status is set again");
    assertEquals("alive, needs sync", group.memberStatus().get(b.serial()));
    assertEquals("alive", group.memberStatus().get(s.serial()));
    assertEquals(2, s.objectsById().size(), "copied to the member after the one cut off");
    // a deletion cut off on the first member: made there once more, and on the others
    a.failOnce.set(cutOff());
    group.destroyObject(kp.publicKey().handle());
    assertTrue(Thread.interrupted(), "the caller's interrupt status is set again");
    Map<String, String> status = group.memberStatus();
    assertEquals("alive", status.get(a.serial()), "the member cut off stays in rotation");
    assertTrue(status.get(b.serial()).startsWith("alive"), status.toString());
    assertEquals("alive", status.get(s.serial()));
    for (FakeHaMember m : List.of(a, s)) { // b lacks the copy cut off above
      assertEquals(1, m.objectsById().size(), "deleted on " + m.serial());
    }
    sign(kp.privateKey());
    // a logout cut off on one member: made on the other
    b.failOnce.set(cutOff());
    group.logout();
    assertTrue(Thread.interrupted(), "the caller's interrupt status is set again");
    assertEquals("alive", group.memberStatus().get(s.serial()), "logged out, in rotation");
  }

  @Test
  void aCallerInterruptedBeforeAGroupWide_change_deletionOrLogin_changesNothing() throws Exception {
    open(List.of());
    KeyringKeyPair kp = generate("kept");
    Thread.currentThread().interrupt();
    TransportException early =
        assertThrows(TransportException.class, () -> group.destroyObject(kp.publicKey().handle()));
    assertEquals(TransportException.Kind.INTERRUPTED, early.kind());
    assertTrue(Thread.interrupted(), "the caller's interrupt status stays set");
    Thread.currentThread().interrupt();
    assertThrows(
        TransportException.class,
        () ->
            group.setAttributes(kp.publicKey().handle(), Attributes.builder().label("x").build()));
    assertTrue(Thread.interrupted(), "the caller's interrupt status stays set");
    group.memberStatus().values().forEach(v -> assertEquals("alive", v));
    for (FakeHaMember m : List.of(a, b, s)) {
      assertEquals(2, m.objectsById().size(), "nothing deleted on " + m.serial());
    }
    sign(kp.privateKey());
  }

  @Test
  void aChangeOrDeletionMadeButCutOffBeforeItsAnswer_isMadeOnceMore_andTheMemberStays()
      throws Exception {
    open(List.of());
    KeyringKeyPair kp = generate("cut-after");
    b.failAfterOnce.set(cutOff());
    KeyringObject changed =
        group.setAttributes(kp.publicKey().handle(), Attributes.builder().label("renamed").build());
    assertTrue(Thread.interrupted(), "the caller's interrupt status is set again");
    assertEquals("renamed", changed.attributes().label().orElseThrow());
    for (FakeHaMember m : List.of(a, b, s)) {
      assertTrue(
          m.objectsById().values().stream()
              .anyMatch(at -> at.label().filter("renamed"::equals).isPresent()),
          "changed on " + m.serial());
    }
    a.failAfterOnce.set(cutOff());
    group.destroyObject(kp.publicKey().handle()); // a's repeat finds it gone: counted as deleted
    assertTrue(Thread.interrupted(), "the caller's interrupt status is set again");
    group.memberStatus().values().forEach(v -> assertEquals("alive", v));
    for (FakeHaMember m : List.of(a, b, s)) {
      assertEquals(1, m.objectsById().size(), "deleted once on " + m.serial());
    }
    sign(kp.privateKey());
  }

  @Test
  void aDeletionCutOffWhoseRepeatFails_marksThatMemberDown_andRecoveryDeletesThere()
      throws Exception {
    open(List.of());
    KeyringKeyPair kp = generate("cut-twice");
    b.failOnce.set(cutOff());
    b.failNext.set(1); // the repeat finds the member unreachable
    group.destroyObject(kp.publicKey().handle());
    assertTrue(Thread.interrupted(), "the caller's interrupt status is set again");
    assertEquals("down, needs sync", group.memberStatus().get(b.serial()));
    assertEquals(2, b.objectsById().size(), "not deleted there yet");
    group.recover();
    assertEquals(1, b.objectsById().size(), "the missed deletion made at the recovery");
    assertEquals("alive", group.memberStatus().get(b.serial()));
  }
}
