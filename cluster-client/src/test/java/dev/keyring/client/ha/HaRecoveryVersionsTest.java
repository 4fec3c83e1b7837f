package dev.keyring.client.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.client.config.HaLogSettings;
import dev.keyring.client.config.HaSettings;
import dev.keyring.protocol.AttributeType;
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
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Recovery compares the versions of the objects a recovering member and the members in rotation
 * both hold, on in-memory members: conflicts are reported (result and HA log), nothing is
 * overwritten, the rest is recovered, and the member returns to rotation, passing over only the
 * objects whose version differs from the reference member's.
 */
class HaRecoveryVersionsTest {
  private static final String PW = "co-password";
  private static final byte[] MSG = "message".getBytes(StandardCharsets.UTF_8);

  private final FakeHaMember a = new FakeHaMember("a1", PW);
  private final FakeHaMember b = new FakeHaMember("b1", PW);
  private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
  private HaGroupChannel group;

  private HaGroupChannel open(HaSettings settings) throws Exception {
    HaGroupEntry entry =
        new HaGroupEntry(0, "pay", "1" + a.serial(), List.of(a.serial(), b.serial()));
    HaLog log =
        new HaLog(
            new HaLogSettings(true, Optional.empty(), true, HaLogSettings.DEFAULT_LENGTH),
            "pay",
            new PrintStream(logged, true, StandardCharsets.UTF_8),
            Clock.systemUTC());
    group =
        new HaGroupChannel(
            entry, settings, log, new HaLocator(FakeHaMember.clusters(List.of(a, b))));
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

  private void sign(KeyringObject key, int times) throws Exception {
    for (int i = 0; i < times; i++) {
      group.sign(key.handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, MSG);
    }
  }

  /** b1 goes down; while it is down b1's copies of two keys change there, and a1 gets a new key. */
  private void twoVersionsMadeWhileB1IsDown(KeyringKeyPair tls, KeyringKeyPair web)
      throws Exception {
    b.down = true;
    generate("while-down"); // b1 cannot be reached: marked down
    assertTrue(group.memberStatus().get(b.serial()).startsWith("down"), group.toString());
    b.change(privateId(tls), Attributes.builder().label("tls-renamed-on-b1").build());
    b.change(privateId(web), Attributes.builder().set(AttributeType.CKA_SIGN, false).build());
    b.down = false;
  }

  private UUID privateId(KeyringKeyPair kp) {
    return group.objectId(kp.privateKey().handle());
  }

  @Test
  void recoverNow_reportsEachConflict_overwritesNothing_andRecoversTheRest() throws Exception {
    open(HaSettings.NONE.withReconnectAttempts(0));
    KeyringKeyPair tls = generate("tls");
    KeyringKeyPair web = generate("web");
    KeyringKeyPair same = generate("same");
    twoVersionsMadeWhileB1IsDown(tls, web);

    HaRecoveryReport r = group.recover();

    assertEquals(List.of(b.serial()), r.recovered());
    assertEquals(2, r.cloned(), "the pair made while b1 was down was still cloned: " + r);
    assertEquals(2, r.conflicts().size(), r.toString());
    String tlsLine = line(r.conflicts(), privateId(tls));
    assertTrue(tlsLine.contains("member " + a.serial() + " and member " + b.serial()), tlsLine);
    assertTrue(tlsLine.contains("'tls'"), tlsLine);
    assertTrue(tlsLine.contains("differing: CKA_LABEL)"), tlsLine);
    String webLine = line(r.conflicts(), privateId(web));
    assertTrue(webLine.contains("differing: CKA_SIGN)"), webLine);
    assertFalse(webLine.contains("false"), "names only, never values: " + webLine);
    assertFalse(
        String.join("\n", r.conflicts()).contains(privateId(same).toString()),
        "an object held in one version is no conflict");

    assertEquals("tls", a.objectsById().get(privateId(tls)).label().orElseThrow(), "a1 kept");
    assertEquals(
        "tls-renamed-on-b1", b.objectsById().get(privateId(tls)).label().orElseThrow(), "b1 kept");
    assertEquals(
        Optional.of(false), b.objectsById().get(privateId(web)).get(AttributeType.CKA_SIGN));
    assertTrue(
        b.objectsById().keySet().containsAll(a.objectsById().keySet()), "b1 got what it lacked");

    String log = logged.toString(StandardCharsets.UTF_8);
    assertEquals(2, count(log, "conflicting versions found recovering member " + b.serial()), log);
    assertTrue(log.contains("2 objects cloned to it, 2 conflicting versions"), log);
    assertFalse(log.contains(PW), "no password in the HA log");
  }

  @Test
  void aMemberWithConflicts_returnsToRotation_butPassesOverTheConflictingObject() throws Exception {
    open(HaSettings.NONE.withReconnectAttempts(0));
    KeyringKeyPair tls = generate("tls");
    KeyringKeyPair web = generate("web");
    KeyringKeyPair same = generate("same");
    twoVersionsMadeWhileB1IsDown(tls, web);
    group.recover();
    assertTrue(group.memberStatus().get(b.serial()).startsWith("alive"), group.toString());

    int onB = b.signs.get();
    sign(tls.privateKey(), 6);
    sign(web.privateKey(), 6);
    assertEquals(onB, b.signs.get(), "b1 passes over the objects it holds in another version");
    sign(same.privateKey(), 6);
    assertTrue(b.signs.get() >= onB + 3, "b1 serves the rest: " + group.operationsByMember());

    for (int i = 0; i < 4; i++) {
      List<KeyringObject> found = group.findObjects(Attributes.builder().label("tls").build());
      assertEquals(2, found.size(), "finds are answered by the reference member: " + found);
    }
    for (int i = 0; i < 4; i++) {
      assertEquals(
          "tls", group.getObject(tls.privateKey().handle()).attributes().label().orElseThrow());
    }

    // the operator sets b1's versions back to the reference; synchronize finds no conflict
    b.change(privateId(tls), Attributes.builder().label("tls").build());
    b.change(privateId(web), Attributes.builder().set(AttributeType.CKA_SIGN, true).build());
    assertEquals(List.of(), group.synchronize().conflicts());
    int before = b.signs.get();
    sign(tls.privateKey(), 6);
    assertTrue(b.signs.get() >= before + 3, "b1 serves it again once the versions agree");
  }

  @Test
  void theBackgroundTask_comparesVersions_andLogsTheConflict() throws Exception {
    open(
        HaSettings.NONE.withReconnectAttempts(-1).withAutoReconnectInterval(Duration.ofSeconds(1)));
    KeyringKeyPair tls = generate("tls");
    KeyringKeyPair web = generate("web");
    twoVersionsMadeWhileB1IsDown(tls, web);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (group.memberStatus().get(b.serial()).startsWith("down")
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(group.memberStatus().get(b.serial()).startsWith("alive"), group.toString());
    String log = logged.toString(StandardCharsets.UTF_8);
    assertEquals(2, count(log, "conflicting versions found recovering member " + b.serial()), log);
    assertTrue(log.contains(privateId(tls) + " 'tls': member " + a.serial()), log);
    assertEquals("tls", a.objectsById().get(privateId(tls)).label().orElseThrow());
    assertEquals("tls-renamed-on-b1", b.objectsById().get(privateId(tls)).label().orElseThrow());
  }

  private static String line(List<String> conflicts, UUID id) {
    return conflicts.stream()
        .filter(l -> l.contains(id.toString()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no conflict for " + id + " in " + conflicts));
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
      n++;
    }
    return n;
  }
}
