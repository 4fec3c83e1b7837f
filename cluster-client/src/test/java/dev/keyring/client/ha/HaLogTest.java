package dev.keyring.client.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.KeyringKeyPair;
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
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HA log: one line per event, no secrets, a file that rotates past logLen. */
class HaLogTest {
  private static final String PW = "co-password-never-logged";
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-12-05T06:00:00Z"), ZoneOffset.UTC);

  @TempDir Path dir;

  @Test
  void memberDownRecoveredAndSynchronizedAreOneLineEach() throws Exception {
    FakeHaMember a = new FakeHaMember("a1", PW);
    FakeHaMember b = new FakeHaMember("b1", PW);
    HaGroupEntry entry =
        new HaGroupEntry(0, "pay", "1" + a.serial(), List.of(a.serial(), b.serial()));
    HaLogSettings settings = new HaLogSettings(true, Optional.of(dir), false, 1L << 20);
    try (HaGroupChannel g =
        new HaGroupChannel(
            entry,
            HaSettings.NONE.withReconnectAttempts(0),
            new HaLog(settings, "pay", System.out, CLOCK),
            new HaLocator(FakeHaMember.clusters(List.of(a, b))))) {
      g.connect();
      g.login(Role.KRCO, PW);
      KeyringKeyPair kp =
          g.generateKeyPair(
              KeyGenParams.ec(Curve.P256),
              FakeHaMember.labelled("tls"),
              FakeHaMember.labelled("tls"));
      b.down = true;
      for (int i = 0; i < 4; i++) {
        g.sign(
            kp.privateKey().handle(),
            Mechanism.CKM_ECDSA_SHA256,
            MechanismParams.NONE,
            new byte[] {1});
      }
      g.generateKeyPair(
          KeyGenParams.ec(Curve.P256),
          FakeHaMember.labelled("while-down"),
          FakeHaMember.labelled("while-down"));
      b.down = false;
      g.recover();
      UUID clash = UUID.randomUUID();
      a.put(clash, dev.keyring.protocol.ObjectClass.DATA, FakeHaMember.labelled("x"));
      g.synchronize();
    }
    List<String> lines = Files.readAllLines(dir.resolve(HaLogSettings.FILE_NAME));
    String all = String.join("\n", lines);
    assertEquals(
        1, count(lines, "member " + serialOfB(lines) + " (b1) on cluster 01 is down"), all);
    assertEquals(1, count(lines, "(b1) on cluster 01 recovered, 2 objects cloned to it"), all);
    assertEquals(
        1, count(lines, "synchronized 2 members: 1 objects cloned, 0 conflicting versions"), all);
    for (String l : lines) {
      assertTrue(l.startsWith("2026-12-05T06:00:00Z HA group pay: "), l);
    }
    assertFalse(all.contains(PW), "no password in the HA log");
  }

  private static String serialOfB(List<String> lines) {
    for (String l : lines) {
      int at = l.indexOf(" (b1)");
      if (at > 0) {
        return l.substring(l.lastIndexOf(' ', at - 1) + 1, at);
      }
    }
    return "?";
  }

  @Test
  void aReplicationFailureIsLogged() throws Exception {
    FakeHaMember a = new FakeHaMember("a1", PW);
    FakeHaMember b = new FakeHaMember("b1", PW);
    HaGroupEntry entry =
        new HaGroupEntry(0, "pay", "1" + a.serial(), List.of(a.serial(), b.serial()));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    HaLogSettings settings = new HaLogSettings(true, Optional.empty(), true, 1L << 20);
    try (HaGroupChannel g =
        new HaGroupChannel(
            entry,
            HaSettings.NONE.withReconnectAttempts(0),
            new HaLog(settings, "pay", new PrintStream(out, true, StandardCharsets.UTF_8), CLOCK),
            new HaLocator(FakeHaMember.clusters(List.of(a, b))))) {
      g.connect();
      g.login(Role.KRCO, PW);
      HaMember target = g.members().get(1);
      g.log()
          .replicationFailed(
              UUID.fromString("00000000-0000-0000-0000-000000000001"), target, "refused");
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertTrue(
        text.contains("object 00000000-0000-0000-0000-000000000001 not replicated to member"),
        text);
    assertEquals(1, text.lines().count(), text);
  }

  @Test
  void aFilePastLogLenIsRenamedAndANewOneBegun() throws Exception {
    HaLogSettings settings = new HaLogSettings(true, Optional.of(dir), false, 1024);
    HaLog log = new HaLog(settings, "pay", System.out, CLOCK);
    for (int i = 0; i < 40; i++) {
      log.synchronizedGroup(2, i, 0);
    }
    Path file = dir.resolve(HaLogSettings.FILE_NAME);
    Path old = dir.resolve(HaLogSettings.FILE_NAME + ".1");
    assertTrue(Files.size(file) <= 1024, "size " + Files.size(file));
    assertTrue(Files.exists(old));
    assertTrue(Files.size(old) <= 1024, "size " + Files.size(old));
    long total = Files.readAllLines(file).size() + Files.readAllLines(old).size();
    assertTrue(total < 40, "older lines were dropped with the older file: " + total);
    List<String> last = Files.readAllLines(file);
    assertTrue(last.get(last.size() - 1).contains("39 objects cloned"), last.toString());
  }

  @Test
  void disabledOrWithoutADestinationWritesNothing() throws Exception {
    new HaLog(new HaLogSettings(false, Optional.of(dir), true, 2048), "pay", System.out, CLOCK)
        .synchronizedGroup(1, 1, 0);
    new HaLog(new HaLogSettings(true, Optional.empty(), false, 2048), "pay", System.out, CLOCK)
        .synchronizedGroup(1, 1, 0);
    assertFalse(Files.exists(dir.resolve(HaLogSettings.FILE_NAME)));
  }

  private static long count(List<String> lines, String part) {
    return lines.stream().filter(l -> l.contains(part)).count();
  }
}
