package dev.keyring.client.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ConfigFile;
import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.client.config.HaLogSettings;
import dev.keyring.client.config.HaSettings;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.Role;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An open HA group follows its entry in the client configuration file ({@link HaMembership}), on
 * in-memory members: members added are synchronized before they serve, members removed leave
 * rotation at once, and a file that cannot be read changes nothing.
 */
@Timeout(60)
class HaMembershipTest {
  private static final String PW = "co-password";
  private static final byte[] MSG = "message".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;
  private final FakeHaMember a = new FakeHaMember("a1", PW);
  private final FakeHaMember b = new FakeHaMember("b1", PW);
  private final FakeHaMember c = new FakeHaMember("c1", PW);
  private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
  private Path file;
  private HaGroupChannel group;

  private void write(List<FakeHaMember> members, List<FakeHaMember> standby) throws Exception {
    HaGroupEntry entry =
        new HaGroupEntry(
            0,
            "pay",
            "1" + a.serial(),
            members.stream().map(FakeHaMember::serial).toList(),
            standby.stream().map(FakeHaMember::serial).toList());
    ClientConfig.of(ConfigFile.parse("")).withHaGroup(entry).write(file);
  }

  /** The group, not looking at the file by itself: each test says when it is looked at. */
  private HaGroupChannel open() throws Exception {
    open(true);
    group.membership().stop();
    return group;
  }

  private HaGroupChannel open(boolean login) throws Exception {
    file = dir.resolve("Chrystoki.conf");
    write(List.of(a, b), List.of());
    HaLog log =
        new HaLog(
            new HaLogSettings(true, Optional.empty(), true, HaLogSettings.DEFAULT_LENGTH),
            "pay",
            new PrintStream(logged, true, StandardCharsets.UTF_8),
            Clock.systemUTC());
    group =
        new HaGroupChannel(
            ClientConfig.read(file).haGroup("pay").orElseThrow(),
            HaSettings.NONE.withReconnectAttempts(0),
            log,
            new HaLocator(FakeHaMember.clusters(List.of(a, b, c))),
            file);
    group.connect();
    if (login) {
      group.login(Role.KRCO, PW);
    }
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

  private String sign(KeyringObject key) throws Exception {
    return new String(
        group.sign(key.handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, MSG),
        StandardCharsets.UTF_8);
  }

  private String log() {
    return logged.toString(StandardCharsets.UTF_8);
  }

  @Test
  void addedMember_getsEveryObjectBeforeItServes_thenTakesItsTurn() throws Exception {
    open();
    KeyringKeyPair tls = generate("tls");
    generate("other");
    CountDownLatch cloning = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    c.duringCloneIn =
        () -> {
          cloning.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    write(List.of(a, b, c), List.of());
    CompletableFuture<Boolean> applied =
        CompletableFuture.supplyAsync(() -> group.membership().check());
    assertTrue(cloning.await(30, TimeUnit.SECONDS), "c1 is being brought in sync");
    for (int i = 0; i < 10; i++) {
      assertTrue(sign(tls.privateKey()).matches("signed by [ab]1"), "c1 serves nothing yet");
    }
    assertFalse(group.memberStatus().containsKey(c.serial()), group.memberStatus().toString());
    assertEquals(0, c.signs.get());
    c.duringCloneIn = () -> {};
    release.countDown();
    applied.get(30, TimeUnit.SECONDS);
    assertEquals(a.objectsById().keySet(), c.objectsById().keySet(), "every object cloned to c1");
    assertEquals(4, c.clonesIn.get());
    assertEquals("alive", group.memberStatus().get(c.serial()));
    assertEquals(
        List.of(a.serial(), b.serial(), c.serial()), group.group().memberSerials(), "its record");
    for (int i = 0; i < 30; i++) {
      sign(tls.privateKey());
    }
    assertTrue(c.signs.get() >= 5, "c1 takes its turn: " + c.signs);
    // a write after it entered is cloned to it before the call returns
    generate("after");
    assertEquals(6, c.objectsById().size());
    assertTrue(
        log().contains("member " + c.serial() + " (c1) on cluster 02 added from the configuration"),
        log());
    assertTrue(log().contains("4 objects cloned to it before it entered rotation"), log());
  }

  @Test
  void removedMember_leavesRotationAtOnce_andTheCallUnderWayOnItFinishes() throws Exception {
    open();
    KeyringKeyPair tls = generate("tls");
    CountDownLatch onB = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    b.duringSign =
        () -> {
          onB.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    CompletableFuture<String> underWay =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                String who;
                do {
                  who = sign(tls.privateKey());
                } while (!who.equals("signed by b1"));
                return who;
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    assertTrue(onB.await(30, TimeUnit.SECONDS), "a sign is under way on b1");
    write(List.of(a), List.of());
    assertTrue(group.membership().check(), "b1 removed while a sign is under way on it");
    assertFalse(group.memberStatus().containsKey(b.serial()), group.memberStatus().toString());
    int onBBefore = b.signs.get();
    int onABefore = a.signs.get();
    for (int i = 0; i < 20; i++) {
      assertEquals("signed by a1", sign(tls.privateKey()), "b1 is out of rotation");
    }
    b.duringSign = () -> {};
    release.countDown();
    assertEquals("signed by b1", underWay.get(30, TimeUnit.SECONDS), "the call under way finished");
    assertEquals(onBBefore + 1, b.signs.get(), "only the call under way was served by b1");
    assertEquals(onABefore + 20, a.signs.get());
    // writes no longer reach it
    generate("later");
    assertEquals(2, b.objectsById().size(), "b1 keeps what it had and gets nothing new");
    assertEquals(List.of(a.serial()), group.group().memberSerials());
    assertTrue(log().contains("member " + b.serial() + " (b1) on cluster 01 removed"), log());
  }

  @Test
  void unreadableOrInvalidFile_keepsTheMembers_withOneLogLine_thenAValidOneApplies()
      throws Exception {
    open();
    KeyringKeyPair tls = generate("tls");
    Files.writeString(file, "VirtualToken = {\n   VirtualToken00Label = pay;\n   broken\n");
    assertFalse(group.membership().check());
    assertTrue(log().contains("cannot be read or is not valid"), log());
    assertTrue(log().contains("the group keeps its members"), log());
    Files.delete(file);
    assertFalse(group.membership().check());
    assertTrue(log().contains("Chrystoki.conf cannot be read (NoSuchFileException"), log());
    assertFalse(group.membership().check(), "the same missing file is reported once");
    assertEquals(2, count(log(), "the group keeps its members"), log());
    for (int i = 0; i < 10; i++) {
      sign(tls.privateKey());
    }
    assertEquals(10, a.signs.get() + b.signs.get(), "both members still serve");
    assertEquals(2, group.memberStatus().size());
    // a valid file again: b1 made standby
    write(List.of(a, b), List.of(b));
    assertTrue(group.membership().check());
    int onB = b.signs.get();
    for (int i = 0; i < 10; i++) {
      assertEquals("signed by a1", sign(tls.privateKey()));
    }
    assertEquals(onB, b.signs.get(), "standby b1 serves nothing while a1 is up");
    assertTrue(log().contains("member " + b.serial() + " (b1) on cluster 01 is standby"), log());
    // and active again
    write(List.of(a, b), List.of());
    assertTrue(group.membership().check());
    for (int i = 0; i < 10; i++) {
      sign(tls.privateKey());
    }
    assertTrue(b.signs.get() > onB, "b1 active again");
  }

  @Test
  void addedMemberThatCannotBeReached_entersDown_andIsSynchronizedWhenRecovered() throws Exception {
    open();
    KeyringKeyPair tls = generate("tls");
    c.down = true;
    write(List.of(a, b, c), List.of());
    assertTrue(group.membership().check());
    assertTrue(group.memberStatus().get(c.serial()).startsWith("down"), group.memberStatus() + "");
    for (int i = 0; i < 10; i++) {
      assertTrue(sign(tls.privateKey()).matches("signed by [ab]1"));
    }
    assertTrue(log().contains("cannot be brought in sync yet"), log());
    c.down = false;
    assertEquals(List.of(c.serial()), group.recover().recovered());
    assertEquals(a.objectsById().keySet(), c.objectsById().keySet());
    assertEquals("alive", group.memberStatus().get(c.serial()));
  }

  @Test
  void aLoggedInGroup_noticesTheFileByItself() throws Exception {
    open(true);
    generate("tls");
    write(List.of(a, c), List.of());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    // the new list is taken before the added member is brought in sync: wait for both
    while (!(group.group().memberSerials().equals(List.of(a.serial(), c.serial()))
            && a.objectsById().keySet().equals(c.objectsById().keySet())
            && List.copyOf(group.memberStatus().keySet()).equals(List.of(a.serial(), c.serial())))
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(List.of(a.serial(), c.serial()), group.group().memberSerials());
    assertEquals(a.objectsById().keySet(), c.objectsById().keySet());
    assertEquals(List.of(a.serial(), c.serial()), List.copyOf(group.memberStatus().keySet()));
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
