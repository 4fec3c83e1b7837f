package dev.keyring.sim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.server.Member;
import dev.keyring.sim.server.MemberConfig;
import dev.keyring.testing.cli.CliRun;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyring-sim} against a real member on loopback ports: provisioning from nothing to
 * keyrings, in order, then refusals and usage errors with their exit codes.
 */
@Timeout(120)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeyringSimTest {
  static final String ADMIN_PW = "admin-password-1";
  static final String SO = "so-password-1";
  static final String PO = "po-password-1";
  static final String CO_INITIAL = "co-initial-1";
  static final String CO = "co-password-1";
  static final String KEYRING_PW = "keyring-initial-1";
  static final Pattern UUID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  @TempDir static Path dir;
  static Member member;
  static String fingerprint;
  static String clusterId;
  static String memberId;

  @BeforeAll
  static void start() throws Exception {
    member =
        Member.start(
            MemberConfig.builder()
                .appliance(
                    ApplianceConfig.builder().dataDir(dir.resolve("m")).kdfIterations(1000).build())
                .adminPort(0)
                .cryptoPort(0)
                .initialAdminPassword(ADMIN_PW)
                .build());
  }

  @AfterAll
  static void stop() {
    if (member != null) {
      member.close();
    }
  }

  static CliRun raw(Map<String, String> env, String... args) {
    return CliRun.run(KeyringSim::run, env, args);
  }

  /** A command against the member, pinned when the fingerprint is known. */
  static CliRun sim(String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--port", Integer.toString(member.adminPort())));
    if (fingerprint != null) {
      all.addAll(List.of("--fingerprint", fingerprint));
    }
    return raw(Map.of("KEYRING_ADMIN_PASSWORD", ADMIN_PW), all.toArray(String[]::new));
  }

  static CliRun ok(String... args) {
    CliRun r = sim(args);
    assertEquals(0, r.exit(), r::toString);
    assertTrue(r.out().contains("Command Result : 0 (Success)"), r::toString);
    return r;
  }

  static CliRun refused(String code, String... args) {
    CliRun r = sim(args);
    assertEquals(1, r.exit(), r::toString);
    assertTrue(r.err().contains(code + ": "), r::toString);
    return r;
  }

  static String find(Pattern p, String text) {
    Matcher m = p.matcher(text);
    assertTrue(m.find(), () -> p + " not in:\n" + text);
    return m.groupCount() > 0 ? m.group(1) : m.group();
  }

  @Test
  @Order(1)
  void firstCall_trustsOnFirstUse_andPrintsTheFingerprint() {
    CliRun r = ok("hsm", "show");
    assertTrue(r.out().contains("Initialized"), r::toString);
    String shown = find(Pattern.compile("\\n  ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})\\n"), r.err());
    fingerprint = shown;
    CliRun pinned = ok("hsm", "show");
    assertFalse(pinned.err().contains("trusted on first use"), pinned::toString);
  }

  @Test
  @Order(2)
  void provisioning_fromNothing_toAnAuthorizedMember() {
    ok("hsm", "init", "-label", "hsm1", "-password", SO);
    ok("partition", "create", "-label", "clusterpar", "-sopassword", SO);
    ok(
        "partition",
        "init",
        "-partition",
        "clusterpar",
        "-domain",
        "dom",
        "-sopassword",
        SO,
        "-password",
        PO);
    ok(
        "partition",
        "policy",
        "-partition",
        "clusterpar",
        "-policy",
        "40",
        "-value",
        "0",
        "-popassword",
        PO);
    ok(
        "partition",
        "co",
        "init",
        "-partition",
        "clusterpar",
        "-popassword",
        PO,
        "-password",
        CO_INITIAL);
    ok(
        "partition",
        "co",
        "changepw",
        "-partition",
        "clusterpar",
        "-oldpw",
        CO_INITIAL,
        "-newpw",
        CO);
    CliRun show = ok("partition", "show");
    assertTrue(show.out().contains("40=0"), show::toString);

    CliRun created = ok("cluster", "create", "-label", "c1", "-password", SO);
    clusterId = find(Pattern.compile("Cluster ID\\s+: (" + UUID.pattern() + ")"), created.out());
    CliRun list = ok("cluster", "list");
    assertTrue(list.out().contains(clusterId), list::toString);

    CliRun members = ok("cluster", "member", "list", "-clusterid", clusterId);
    memberId = find(Pattern.compile("P\\*\\s+(" + UUID.pattern() + ")"), members.out());
    assertTrue(members.out().contains("Read-Write"), members::toString);
    ok(
        "cluster",
        "member",
        "authorize",
        "-partition",
        "clusterpar",
        "-memberid",
        memberId,
        "-copassword",
        CO);
    CliRun shown = ok("cluster", "member", "show", "-memberid", memberId);
    assertTrue(shown.out().matches("(?s).*Authorized\\s+: True.*"), shown::toString);
    assertTrue(shown.out().matches("(?s).*Primary\\s+: True.*"), shown::toString);

    ok("cluster", "member", "config", "-memberid", memberId, "-group", "dc1");
    CliRun groups = ok("cluster", "group", "list");
    assertTrue(groups.out().matches("(?s).*dc1\\s+LNH-.*"), groups::toString);
  }

  @Test
  @Order(3)
  void keyrings_areCreatedListedShownUnlockedAndDeleted() {
    CliRun created =
        ok(
            "keyring",
            "create",
            "-label",
            "app",
            "-password",
            KEYRING_PW,
            "-partition",
            "clusterpar",
            "-total",
            "10",
            "-index",
            "100",
            "-copassword",
            CO);
    for (int i = 0; i < 10; i++) {
      assertTrue(
          created.out().contains("created app" + (100 + i) + " (" + (i + 1) + "/10)"),
          created::toString);
    }
    CliRun list = ok("keyring", "list");
    assertTrue(list.out().contains("10 keyrings"), list::toString);
    assertTrue(list.out().contains("initial password"), list::toString);
    CliRun show = ok("keyring", "show", "-label", "app105");
    String id = find(Pattern.compile("Keyring ID\\s+: (" + UUID.pattern() + ")"), show.out());
    ok("keyring", "show", "-keyringid", id);
    ok("keyring", "unlock", "-label", "app105", "-copassword", CO);
    refused(
        "CKR_PIN_INCORRECT", "keyring", "delete", "-label", "app109", "-copassword", "wrong-co-1");
    ok("keyring", "delete", "-keyringid", id, "-copassword", CO);
    assertTrue(ok("keyring", "list").out().contains("9 keyrings"));
    refused("CKR_SLOT_ID_INVALID", "keyring", "show", "-label", "app105");
  }

  @Test
  @Order(4)
  void service_stopRefusesClusterCalls_startBringsThemBack() {
    assertTrue(ok("service", "stop", "cluster").out().matches("(?s).*Status\\s+: stopped.*"));
    refused("CKR_FUNCTION_FAILED", "keyring", "list");
    assertTrue(ok("service", "start", "cluster").out().matches("(?s).*Status\\s+: running.*"));
    ok("service", "restart", "cluster");
    ok("service", "status", "cluster");
    ok("keyring", "list");
  }

  @Test
  @Order(5)
  void aMonitorUser_readsButCannotCreateKeyrings() throws Exception {
    ok("user", "add", "-username", "watcher", "-role", "monitor", "-password", "watcher-pass-1");
    assertTrue(ok("user", "list").out().matches("(?s).*watcher\\s+monitor.*"));
    String pw = write("watcher.pw", "watcher-pass-1");
    String port = Integer.toString(member.adminPort());
    CliRun list =
        raw(
            Map.of(),
            "keyring",
            "list",
            "--port",
            port,
            "--user",
            "watcher",
            "--password-file",
            pw,
            "--fingerprint",
            fingerprint);
    assertEquals(0, list.exit(), list::toString);
    CliRun create =
        raw(
            Map.of(),
            "keyring",
            "create",
            "-label",
            "nope",
            "-password",
            "nope-pass-1",
            "-partition",
            "clusterpar",
            "-copassword",
            CO,
            "--port",
            port,
            "--user",
            "watcher",
            "--password-file",
            pw,
            "--fingerprint",
            fingerprint);
    assertEquals(1, create.exit(), create::toString);
    assertTrue(create.err().startsWith("CKR_FUNCTION_REJECTED: "), create::toString);
  }

  @Test
  @Order(6)
  void badUsage_exitsWith2_andNeverEchoesPasswords() {
    CliRun unknown = sim("keyring", "create", "-label", "x", "-password", "s3cret-value", "bogus");
    assertEquals(2, unknown.exit(), unknown::toString);
    CliRun typo = sim("keyring", "create", "-label", "x", "-pasword", "s3cret-value");
    assertEquals(2, typo.exit(), typo::toString);
    assertFalse(typo.err().contains("s3cret-value"), typo::toString);
    assertFalse(typo.out().contains("s3cret-value"), typo::toString);
    CliRun total =
        sim(
            "keyring",
            "create",
            "-label",
            "x",
            "-partition",
            "clusterpar",
            "-total",
            "101",
            "-password",
            "p-1234567",
            "-copassword",
            CO);
    assertEquals(2, total.exit(), total::toString);
    CliRun notANumber = sim("keyring", "create", "-label", "x", "-partition", "p", "-total", "ten");
    assertEquals(2, notANumber.exit(), notANumber::toString);
    CliRun noSubcommand = sim("cluster");
    assertEquals(2, noSubcommand.exit());
    assertEquals(2, raw(Map.of()).exit());
    CliRun noConsole = sim("keyring", "delete", "-label", "app100");
    assertEquals(2, noConsole.exit(), noConsole::toString);
    assertTrue(noConsole.err().contains("-copassword"), noConsole::toString);
    CliRun noAdminPassword = raw(Map.of(), "keyring", "list", "--port", "" + member.adminPort());
    assertEquals(2, noAdminPassword.exit(), noAdminPassword::toString);
    CliRun help = sim("keyring", "create", "--help");
    assertEquals(0, help.exit());
    assertTrue(help.out().contains("atomic"), help::toString);
  }

  @Test
  @Order(7)
  void unreachableMember_orWrongFingerprint_exitsWith3() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    CliRun r =
        raw(
            Map.of("KEYRING_ADMIN_PASSWORD", ADMIN_PW),
            "cluster",
            "list",
            "--port",
            "" + closed,
            "--timeout",
            "5");
    assertEquals(3, r.exit(), r::toString);
    CliRun pin =
        raw(
            Map.of("KEYRING_ADMIN_PASSWORD", ADMIN_PW),
            "cluster",
            "list",
            "--port",
            "" + member.adminPort(),
            "--fingerprint",
            "00".repeat(32));
    assertEquals(3, pin.exit(), pin::toString);
    assertTrue(pin.err().contains("TLS"), pin::toString);
  }

  @Test
  @Order(8)
  void wrongAdminPassword_isRefusedWithItsCode() {
    CliRun r =
        raw(
            Map.of("KEYRING_ADMIN_PASSWORD", "not-the-password"),
            "cluster",
            "list",
            "--port",
            "" + member.adminPort(),
            "--fingerprint",
            fingerprint);
    assertEquals(1, r.exit(), r::toString);
    assertTrue(r.err().startsWith("CKR_"), r::toString);
  }

  static String write(String name, String content) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, content + "\n");
    return p.toString();
  }

  @Test
  @Order(9)
  void hsmPolicy_setAsTheSo_showsInHsmShow_andBadInputIsRefused() {
    ok("hsm", "policy", "-policy", "12", "-value", "0", "-password", SO);
    assertTrue(ok("hsm", "show").out().contains("12=0"), "policy 12 shown as set");
    ok("hsm", "policy", "-policy", "12", "-value", "1", "-password", SO);
    CliRun shown = ok("hsm", "show");
    for (String p : new String[] {"7=1", "12=1", "16=1"}) {
      assertTrue(shown.out().contains(p), () -> p + " not in:\n" + shown.out());
    }
    refused(
        "CKR_PIN_INCORRECT", "hsm", "policy", "-policy", "7", "-value", "0", "-password", "x" + SO);
    CliRun bad = sim("hsm", "policy", "-policy", "7", "-value", "2", "-password", SO);
    assertEquals(2, bad.exit(), bad::toString);
    assertTrue(bad.err().contains("-value must be 0 or 1"), bad::toString);
  }
}
