package dev.keyring.e2e.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.config.ConfigFile;
import dev.keyring.client.registration.RegisterCommand;
import dev.keyring.provider.KeyringProvider;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code keyring-register} against a real member's admin API, and its refusals of bad input. */
@Timeout(120)
class RegisterCommandTest {
  private static final Map<String, String> ENV =
      Map.of(RegisterCommand.PASSWORD_ENV, TestMember.ADMIN_PASSWORD, "HOME", "/nonexistent");

  @TempDir static Path shared;
  static TestMember member;

  @TempDir Path dir;

  @BeforeAll
  static void startMember() throws Exception {
    member = TestMember.start(shared, "reg-keyring");
  }

  @AfterAll
  static void stopMember() {
    if (member != null) {
      member.close();
    }
  }

  private Path config() {
    return dir.resolve("etc").resolve("Chrystoki.conf");
  }

  private Path certs() {
    return dir.resolve("certs");
  }

  private RegisterRun register(String cn, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "-n", cn,
                "-i", "127.0.0.1:" + member.adminPort(),
                "-c", member.clusterId().toString(),
                "--config", config().toString(),
                "--dir", certs().toString()));
    args.addAll(List.of(extra));
    return RegisterRun.run(ENV, args.toArray(new String[0]));
  }

  private static List<Path> filesUnder(Path root) throws Exception {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  private static String adminFingerprint() throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256")
                .digest(member.member().adminCertificate().getEncoded()));
  }

  @Test
  void help_explainsOptionsTrustAndExitCodes() {
    RegisterRun r = RegisterRun.run(ENV, "--help");
    assertEquals(0, r.exitCode(), r.toString());
    for (String s :
        List.of(
            "-n",
            "-i",
            "-c",
            "-l",
            "-u",
            "-m",
            "--admin-fingerprint",
            "trusted on first use",
            "KEYRING_ADMIN_PASSWORD",
            "--default-slot",
            "'Keyring Provider' section",
            "Exit codes")) {
      assertTrue(r.out().contains(s), "help lacks '" + s + "':\n" + r.out());
    }
  }

  @Test
  void register_writesFilesAndTheFiveEntriesAtPosition00_andTheClientConnectsWithThem()
      throws Exception {
    RegisterRun r = register("10.1.2.3", "-l", "app-server");
    assertEquals(RegisterCommand.OK, r.exitCode(), r.toString());
    assertTrue(r.err().contains("trusted on first use"), r.err());
    assertTrue(
        r.err().toLowerCase(java.util.Locale.ROOT).replace(":", "").contains(adminFingerprint()),
        "the printed fingerprint is the admin certificate's:\n" + r.err());

    Path clusterDir = certs().resolve(member.clusterId().toString());
    Path cert = clusterDir.resolve("10.1.2.3.pem");
    Path key = clusterDir.resolve("10.1.2.3Key.pem");
    Path ca = clusterDir.resolve("ca.pem");
    assertEquals(List.of(cert, key, ca).stream().sorted().toList(), filesUnder(certs()));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));

    ClientConfig cfg = ClientConfig.read(config());
    ClusterEntry e = cfg.cluster(0).orElseThrow();
    assertEquals("127.0.0.1", e.host());
    assertEquals(member.cryptoPort(), e.port());
    assertEquals(cert, e.clientCert());
    assertEquals(key, e.clientKey());
    assertEquals(ca, e.caFile());
    assertEquals(member.serverCn(), e.serverCn());
    assertEquals(1, cfg.clusters().size());
    String text = Files.readString(config());
    for (String k :
        List.of(
            "LNHServer00",
            "LNHServerClientCert00",
            "LNHServerClientKey00",
            "LNHServerCAFile00",
            "LNHServerCN00")) {
      assertTrue(text.contains(k + " = "), text);
    }

    KeyringClient client = KeyringClient.open(cfg, 0);
    try {
      assertTrue(client.slots().stream().anyMatch(s -> s.label().equals("reg-keyring")));
    } finally {
      client.close();
    }
    assertEquals(0, client.connectionCount());
    assertEquals(0, member.member().openSessions());
  }

  @Test
  void failureAfterTheApplianceSigned_rollsEveryFileBack_exit2() throws Exception {
    Path blocker = Files.writeString(dir.resolve("not-a-directory"), "x");
    Path conf = blocker.resolve("Chrystoki.conf");
    RegisterRun r =
        RegisterRun.run(
            ENV,
            "-n",
            "rollback",
            "-i",
            "127.0.0.1:" + member.adminPort(),
            "-c",
            member.clusterId().toString(),
            "--config",
            conf.toString(),
            "--dir",
            certs().toString());
    assertEquals(RegisterCommand.BAD_INPUT, r.exitCode(), r.toString());
    assertTrue(r.err().contains("could not be written"), r.err());
    assertFalse(Files.exists(certs()), "the directories it made are gone too");
    assertEquals(List.of(blocker), filesUnder(dir));
  }

  @Test
  void withM_theNextFreePositionIsUsed_withoutM_position00IsReplaced() throws Exception {
    Files.createDirectories(config().getParent());
    Files.writeString(config(), "# kept\nMisc = {\n   Keep = me;\n}\n");
    assertEquals(0, register("first").exitCode());
    RegisterRun second = register("second", "-m");
    assertEquals(0, second.exitCode(), second.toString());
    ClientConfig cfg = ClientConfig.read(config());
    assertEquals(List.of(0, 1), cfg.clusters().stream().map(ClusterEntry::index).toList());
    assertTrue(cfg.cluster(1).orElseThrow().clientCert().endsWith("second.pem"));

    String first00 = Files.readString(cfg.cluster(0).orElseThrow().clientCert());
    RegisterRun again = register("third");
    assertEquals(0, again.exitCode(), again.toString());
    ClientConfig after = ClientConfig.read(config());
    assertEquals(2, after.clusters().size());
    assertTrue(after.cluster(0).orElseThrow().clientCert().endsWith("third.pem"));
    assertEquals(cfg.cluster(1), after.cluster(1), "01 untouched");
    assertNotEquals(first00, Files.readString(after.cluster(0).orElseThrow().clientCert()));
    String text = Files.readString(config());
    assertTrue(text.startsWith("# kept\nMisc = {\n   Keep = me;\n}\n"), text);
    assertEquals(1, text.split("LNHServer00 =", -1).length - 1, text);
  }

  @Test
  void defaultSlot_writesTheKeyringProviderSection_thatTheProviderOpensOnLoadOfNull()
      throws Exception {
    RegisterRun r = register("slot-client", "--default-slot", "reg-keyring");
    assertEquals(RegisterCommand.OK, r.exitCode(), r.toString());
    assertTrue(
        r.out().contains("Keyring Provider: DefaultSlot = reg-keyring; DefaultCluster = 00;"),
        r.out());
    ConfigFile file = ConfigFile.read(config());
    assertEquals(Optional.of("reg-keyring"), file.get("Keyring Provider", "DefaultSlot"));
    assertEquals(Optional.of("00"), file.get("Keyring Provider", "DefaultCluster"));
    // the provider reads the section: KeyStore.load(null, …) logs in to that keyring (refused
    // here, the keyring's KRCO being still uninitialized) instead of asking for a slot
    KeyringProvider provider = new KeyringProvider(config());
    try {
      KeyStore ks = KeyStore.getInstance("Keyring", provider);
      IOException e =
          assertThrows(IOException.class, () -> ks.load(null, "wrong-password-1".toCharArray()));
      assertTrue(e.getMessage().contains("cannot open keyring 'reg-keyring'"), e.getMessage());
    } finally {
      provider.close();
    }
  }

  @Test
  void withoutDefaultSlot_aMissingSectionIsWritten_anExistingOneIsKeptAsItIs() throws Exception {
    RegisterRun first = register("plain");
    assertEquals(RegisterCommand.OK, first.exitCode(), first.toString());
    assertTrue(first.out().contains("Keyring Provider: DefaultCluster = 00;"), first.out());
    assertTrue(first.out().contains("--default-slot KEYRING"), first.out());
    ConfigFile file = ConfigFile.read(config());
    assertEquals(Map.of("DefaultCluster", "00"), file.entries("Keyring Provider"));

    // the user's own section, comments and spelling included, survives another registration
    String own =
        Files.readString(config())
            .replace(
                "Keyring Provider = {\n   DefaultCluster = 00;\n}",
                "keyring provider = {   # mine\n   Generators = no;\n   DefaultSlot = \"a b\";\n}");
    assertTrue(own.contains("# mine"), own);
    Files.writeString(config(), own);
    RegisterRun again = register("plain-2", "-m");
    assertEquals(RegisterCommand.OK, again.exitCode(), again.toString());
    String text = Files.readString(config());
    assertTrue(
        text.contains(
            "keyring provider = {   # mine\n   Generators = no;\n   DefaultSlot = \"a b\";\n}"),
        text);
    assertEquals(
        1, text.toLowerCase(java.util.Locale.ROOT).split("keyring provider", -1).length - 1);
  }

  @Test
  void defaultSlot_withM_pointsDefaultClusterAtTheNewPosition_andKeepsOtherKeys() throws Exception {
    Files.createDirectories(config().getParent());
    Files.writeString(
        config(), "Keyring Provider = {\n   Generators = no;\n   DefaultSlot = old;\n}\n");
    assertEquals(0, register("p0").exitCode());
    RegisterRun r = register("p1", "-m", "--default-slot", "reg-keyring");
    assertEquals(RegisterCommand.OK, r.exitCode(), r.toString());
    ConfigFile file = ConfigFile.read(config());
    assertEquals(
        Map.of("Generators", "no", "DefaultSlot", "reg-keyring", "DefaultCluster", "01"),
        file.entries("Keyring Provider"));
    assertTrue(
        Files.readString(config()).startsWith("Keyring Provider = {\n   Generators = no;\n"),
        Files.readString(config()));
  }

  @Test
  void badDefaultSlot_isExit2_andNothingIsWritten() throws Exception {
    for (String bad : new String[] {"", " padded", "a\tb", "x".repeat(257)}) {
      RegisterRun r = register("bad-slot", "--default-slot", bad);
      assertEquals(RegisterCommand.BAD_INPUT, r.exitCode(), r.toString());
      assertTrue(r.err().contains("--default-slot must name a keyring"), r.err());
    }
    assertFalse(Files.exists(config()));
    assertEquals(List.of(), filesUnder(certs()));
  }

  @Test
  void allTenPositionsInUse_withM_isExit2_andNothingIsWritten() throws Exception {
    StringBuilder sb = new StringBuilder("LunaSA Client = {\n");
    for (int i = 0; i < 10; i++) {
      String n = String.format("%02d", i);
      sb.append("   LNHServer")
          .append(n)
          .append(" = 10.0.0.")
          .append(i + 1)
          .append(":50052;\n")
          .append("   LNHServerClientCert")
          .append(n)
          .append(" = /c")
          .append(n)
          .append(";\n")
          .append("   LNHServerClientKey")
          .append(n)
          .append(" = /k")
          .append(n)
          .append(";\n")
          .append("   LNHServerCAFile")
          .append(n)
          .append(" = /ca")
          .append(n)
          .append(";\n")
          .append("   LNHServerCN")
          .append(n)
          .append(" = hsm;\n");
    }
    String full = sb.append("}\n").toString();
    Files.createDirectories(config().getParent());
    Files.writeString(config(), full);
    RegisterRun r = register("eleventh", "-m");
    assertEquals(RegisterCommand.BAD_INPUT, r.exitCode(), r.toString());
    assertTrue(r.err().contains("all 10 cluster positions"), r.err());
    assertEquals(full, Files.readString(config()));
    assertFalse(Files.exists(certs()), "no directory made");
  }

  @Test
  void pinnedFingerprint_ofTheAdminCertificate_isAccepted_silently() throws Exception {
    String colons =
        HexFormat.ofDelimiter(":")
            .withUpperCase()
            .formatHex(HexFormat.of().parseHex(adminFingerprint()));
    RegisterRun r = register("pinned", "--admin-fingerprint", colons);
    assertEquals(0, r.exitCode(), r.toString());
    assertFalse(r.err().contains("trusted on first use"), r.err());
  }

  @Test
  void wrongPinnedFingerprint_isExit3_andNothingIsWritten() throws Exception {
    RegisterRun r = register("mitm", "--admin-fingerprint", "00".repeat(32));
    assertEquals(RegisterCommand.NETWORK, r.exitCode(), r.toString());
    assertTrue(r.err().contains("--admin-fingerprint"), r.err());
    assertFalse(Files.exists(config()));
    assertEquals(List.of(), filesUnder(dir));
  }

  @Test
  void wrongAdminPassword_isRefusedByTheAppliance_exit1_withItsCode() throws Exception {
    List<String> args =
        List.of(
            "-n",
            "badpw",
            "-i",
            "127.0.0.1:" + member.adminPort(),
            "-c",
            member.clusterId().toString(),
            "--config",
            config().toString(),
            "--dir",
            certs().toString());
    RegisterRun r =
        RegisterRun.run(
            Map.of(RegisterCommand.PASSWORD_ENV, "not-the-password"), args.toArray(new String[0]));
    assertEquals(RegisterCommand.REFUSED, r.exitCode(), r.toString());
    assertTrue(r.err().contains("CKR_"), r.err());
    assertEquals(List.of(), filesUnder(dir));
  }

  @Test
  void unknownCluster_isRefusedByTheAppliance_exit1() throws Exception {
    RegisterRun r =
        RegisterRun.run(
            ENV,
            "-n",
            "lost",
            "-i",
            "127.0.0.1:" + member.adminPort(),
            "-c",
            UUID.randomUUID().toString(),
            "--config",
            config().toString(),
            "--dir",
            certs().toString());
    assertEquals(RegisterCommand.REFUSED, r.exitCode(), r.toString());
    assertEquals(List.of(), filesUnder(dir));
  }

  @Test
  void adminPasswordFromAFile_isUsed() throws Exception {
    Path pw = Files.writeString(dir.resolve("pw"), TestMember.ADMIN_PASSWORD + "\n");
    RegisterRun r =
        RegisterRun.run(
            Map.of(),
            "-n",
            "from-file",
            "-i",
            "127.0.0.1:" + member.adminPort(),
            "-c",
            member.clusterId().toString(),
            "--config",
            config().toString(),
            "--dir",
            certs().toString(),
            "--admin-password-file",
            pw.toString());
    assertEquals(0, r.exitCode(), r.toString());
  }

  @Test
  void unreachableMember_isExit3() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    RegisterRun r =
        RegisterRun.run(
            ENV,
            "-n",
            "x",
            "-i",
            "127.0.0.1:" + port,
            "-c",
            member.clusterId().toString(),
            "--config",
            config().toString(),
            "--dir",
            certs().toString(),
            "--timeout",
            "5");
    assertEquals(RegisterCommand.NETWORK, r.exitCode(), r.toString());
    assertEquals(List.of(), filesUnder(dir));
  }

  @Test
  void badInput_isExit2_beforeAnythingIsSent() {
    String id = UUID.randomUUID().toString();
    String cfg = config().toString();
    assertEquals(2, RegisterRun.run(ENV, "-i", "h", "-c", id).exitCode(), "-n missing");
    assertEquals(
        2, RegisterRun.run(ENV, "-n", "a/b", "-i", "h", "-c", id, "--config", cfg).exitCode());
    assertEquals(
        2,
        RegisterRun.run(ENV, "-n", "a", "-i", "h", "-c", "not-a-uuid", "--config", cfg).exitCode());
    assertEquals(
        2, RegisterRun.run(ENV, "-n", "a", "-i", "h:99999", "-c", id, "--config", cfg).exitCode());
    assertEquals(
        2,
        RegisterRun.run(
                ENV, "-n", "a", "-i", "h", "-c", id, "--config", cfg, "--admin-fingerprint", "abc")
            .exitCode());
    RegisterRun noPassword =
        RegisterRun.run(Map.of(), "-n", "a", "-i", "h", "-c", id, "--config", cfg);
    assertEquals(2, noPassword.exitCode(), noPassword.toString());
    assertTrue(noPassword.err().contains(RegisterCommand.PASSWORD_ENV), noPassword.err());
    assertFalse(Files.exists(config()));
  }
}
