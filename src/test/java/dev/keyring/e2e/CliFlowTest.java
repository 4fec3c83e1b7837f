package dev.keyring.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.cli.KeyringCm;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.registration.RegisterCommand;
import dev.keyring.protocol.Role;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.cli.KeyringSim;
import dev.keyring.sim.server.Member;
import dev.keyring.sim.server.MemberConfig;
import dev.keyring.testing.cli.CliRun;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command-line tools from nothing: {@code keyring-sim} provisions a fresh member over its admin
 * API (HSM, partition, CO, cluster, member, ten keyrings), {@code keyring-register} registers a
 * client, and {@code keyringcm} takes a keyring through its roles to a key and a signature the JDK
 * verifies. Refusals, usage errors and an unreachable member end with exit codes 1, 2 and 3. Every
 * command and its output go to {@code target/cli-transcript.md}; {@code
 * target/cli-transcript.sanitized.md} has placeholders for what changes between runs (it is the
 * source of {@code docs/cli-transcript.md}).
 */
@Timeout(300)
class CliFlowTest {
  static final String ADMIN_PW = "admin-password-1";
  static final String SO = "so-password-1";
  static final String PO = "po-password-1";
  static final String CO_INITIAL = "co-initial-1";
  static final String CO = "co-password-1";
  static final String KEYRING_INITIAL = "keyring-initial-1";
  static final String KEYRING_PW = "keyring-password-2";
  static final Pattern UUID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  @TempDir Path dir;

  private Member member;
  private String fingerprint;
  private final Transcript transcript =
      new Transcript(
          "Keyring command-line transcript",
          "Recorded by `CliFlowTest` (e2e module) against a fresh simulated member on loopback:"
              + " `keyring-sim` (appliance side, over the admin REST API), `keyring-register` and"
              + " `keyringcm` (client side, over the crypto API). Password values are shown as"
              + " `****`. After the first command every `keyring-sim` line also carried `--port"
              + " <admin-port> --fingerprint <fingerprint>` (left out below); the admin password"
              + " came from `KEYRING_ADMIN_PASSWORD` and `keyringcm` found its configuration"
              + " through `KEYRING_CONFIG`. Values that change between runs are placeholders.");

  /** A tool's run and the arguments it was given (for the transcript). */
  record Run(int exit, String out, String err, List<String> args) {
    Run(CliRun r, String... args) {
      this(r.exit(), r.out(), r.err(), List.of(args));
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  @Test
  void theToolsFromNothing_toAVerifiedSignature_withExitCodes() throws Exception {
    try (Member m =
        Member.start(
            MemberConfig.builder()
                .appliance(
                    ApplianceConfig.builder()
                        .dataDir(dir.resolve("member"))
                        .kdfIterations(1000)
                        .build())
                .adminPort(0)
                .cryptoPort(0)
                .initialAdminPassword(ADMIN_PW)
                .build())) {
      member = m;
      try {
        assertTimeoutPreemptively(Duration.ofSeconds(240), this::flow);
        assertEquals(0, m.openSessions(), "member sessions left open");
      } finally {
        writeTranscripts(m);
      }
    }
  }

  private void flow() throws Exception {
    String port = Integer.toString(member.adminPort());
    transcript.section(
        "Trust on first use",
        "Without `--fingerprint` the member's admin certificate is trusted on first use and its"
            + " fingerprint printed; every later command pins it.");
    Run first =
        record(
            "keyring-sim",
            sim(Map.of("KEYRING_ADMIN_PASSWORD", ADMIN_PW), "hsm", "show", "--port", port));
    assertEquals(0, first.exit, first::toString);
    fingerprint = group("\\n  ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})\\n", first.err);
    assertTrue(first.out.contains("Initialized   : no"), first::toString);

    transcript.section("HSM, partition and Crypto Officer", null);
    ok("hsm", "init", "-label", "hsm1", "-password", SO);
    ok("hsm", "show");
    ok("partition", "create", "-label", "clusterpar", "-sopassword", SO);
    ok(
        "partition",
        "init",
        "-partition",
        "clusterpar",
        "-domain",
        "e2e-domain",
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
    Run par = ok("partition", "show");
    assertTrue(par.out.contains("40=0"), par::toString);

    transcript.section("Cluster and member", null);
    Run created = ok("cluster", "create", "-label", "e2e-cluster", "-password", SO);
    String clusterId = group("Cluster ID\\s+: (" + UUID.pattern() + ")", created.out);
    assertTrue(ok("cluster", "list").out.contains(clusterId));
    Run members = ok("cluster", "member", "list", "-clusterid", clusterId);
    String memberId = group("P\\*\\s+(" + UUID.pattern() + ")", members.out);
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
    Run shown = ok("cluster", "member", "show", "-memberid", memberId);
    assertTrue(shown.out.matches("(?s).*Authorized\\s+: True.*"), shown::toString);
    assertTrue(shown.out.matches("(?s).*Mode\\s+: Read-Write.*"), shown::toString);
    ok("cluster", "member", "config", "-memberid", memberId, "-group", "dc1");
    assertTrue(ok("cluster", "group", "list").out.matches("(?s).*dc1\\s+LNH-.*"));

    transcript.section("Keyrings", null);
    Run keyrings =
        ok(
            "keyring",
            "create",
            "-label",
            "app",
            "-password",
            KEYRING_INITIAL,
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
          keyrings.out.contains("created app" + (100 + i) + " (" + (i + 1) + "/10)"),
          keyrings::toString);
    }
    Run list = ok("keyring", "list");
    assertTrue(list.out.contains("10 keyrings"), list::toString);
    for (int i = 100; i <= 109; i++) {
      assertTrue(list.out.contains("app" + i + " "), list::toString);
    }
    ok("keyring", "show", "-label", "app100");

    transcript.section("Client registration", null);
    Path conf = dir.resolve("client").resolve("Chrystoki.conf");
    Run reg =
        record(
            "keyring-register",
            register(
                "-n",
                "e2e-client",
                "-i",
                "127.0.0.1:" + port,
                "-c",
                clusterId,
                "--config",
                conf.toString(),
                "--admin-fingerprint",
                fingerprint));
    assertEquals(0, reg.exit, reg::toString);
    registeredCryptoPort = member.cryptoPort();

    transcript.section(
        "Keyring roles with keyringcm",
        "Each `keyringcm` command is one process and one session: it takes the slot and the"
            + " password, logs in, works, and logs out.");
    Map<String, String> cm = Map.of("KEYRING_CONFIG", conf.toString());
    Run slots = cm(cm, "slot", "list");
    assertEquals(0, slots.exit, slots::toString);
    assertTrue(slots.out.contains("10 slots"), slots::toString);
    assertTrue(slots.out.contains("app109"), slots::toString);
    Run po =
        cm(cm, "role", "login", "-name", "po", "-slot", "app100", "-password", KEYRING_INITIAL);
    assertEquals(0, po.exit, po::toString);
    assertTrue(po.out.contains("must be changed"), po::toString);
    Run changed =
        cm(
            cm,
            "role",
            "changepw",
            "-name",
            "po",
            "-slot",
            "app100",
            "-oldpw",
            KEYRING_INITIAL,
            "-newpw",
            KEYRING_PW);
    assertEquals(0, changed.exit, changed::toString);
    Run init =
        cm(
            cm,
            "role",
            "init",
            "-name",
            "co",
            "-slot",
            "app100",
            "-sopassword",
            KEYRING_PW,
            "-password",
            KEYRING_PW);
    assertEquals(0, init.exit, init::toString);
    Run co = cm(cm, "role", "login", "-name", "co", "-slot", "app100", "-password", KEYRING_PW);
    assertEquals(0, co.exit, co::toString);

    transcript.section("Keys, contents and a signature", null);
    Run rsa =
        cm(
            cm,
            "key",
            "generate",
            "-slot",
            "app100",
            "-password",
            KEYRING_PW,
            "-type",
            "rsa",
            "-bits",
            "2048",
            "-label",
            "rsa-signer");
    assertEquals(0, rsa.exit, rsa::toString);
    Run ec =
        cm(
            cm,
            "key",
            "generate",
            "-slot",
            "app100",
            "-password",
            KEYRING_PW,
            "-type",
            "ec",
            "-curve",
            "P-256",
            "-label",
            "ec-signer");
    assertEquals(0, ec.exit, ec::toString);
    long ecPublic = Long.parseLong(group("Public key handle:\\s+(\\d+)", ec.out));
    long ecPrivate = Long.parseLong(group("Private key handle:\\s+(\\d+)", ec.out));
    Run contents = cm(cm, "partition", "contents", "-slot", "app100", "-password", KEYRING_PW);
    assertEquals(0, contents.exit, contents::toString);
    assertTrue(contents.out.contains("Number of objects: 4"), contents::toString);
    assertTrue(contents.out.matches("(?s).*PRIVATE_KEY\\s+EC\\s+ec-signer.*"), contents::toString);
    assertTrue(contents.out.matches("(?s).*PUBLIC_KEY\\s+RSA\\s+rsa-signer.*"), contents::toString);

    Path data = dir.resolve("message.txt");
    Files.writeString(data, "signed with keyringcm\n", StandardCharsets.UTF_8);
    Path sig = dir.resolve("message.sig");
    Run signed =
        cm(
            cm,
            "sign",
            "-slot",
            "app100",
            "-password",
            KEYRING_PW,
            "-key",
            "" + ecPrivate,
            "-mechanism",
            "CKM_ECDSA_SHA256",
            "-in",
            data.toString(),
            "-out",
            sig.toString());
    assertEquals(0, signed.exit, signed::toString);
    Run verified =
        cm(
            cm,
            "verify",
            "-slot",
            "app100",
            "-password",
            KEYRING_PW,
            "-key",
            "" + ecPublic,
            "-mechanism",
            "CKM_ECDSA_SHA256",
            "-in",
            data.toString(),
            "-signature",
            sig.toString());
    assertEquals(0, verified.exit, verified::toString);
    assertTrue(jdkVerifies(conf, ecPublic, Files.readAllBytes(data), Files.readAllBytes(sig)));

    transcript.section("Refusals: exit code 1", null);
    Run wrongCo =
        cm(cm, "role", "login", "-name", "co", "-slot", "app100", "-password", "wrong-password-9");
    assertEquals(1, wrongCo.exit, wrongCo::toString);
    assertTrue(wrongCo.err.startsWith("CKR_PIN_INCORRECT: "), wrongCo::toString);
    Run wrongPartitionCo =
        sim(
            Map.of("KEYRING_ADMIN_PASSWORD", ADMIN_PW),
            pinned("keyring", "delete", "-label", "app109", "-copassword", "wrong-co-9"));
    record("keyring-sim", wrongPartitionCo);
    assertEquals(1, wrongPartitionCo.exit, wrongPartitionCo::toString);
    assertTrue(wrongPartitionCo.err.startsWith("CKR_PIN_INCORRECT: "), wrongPartitionCo::toString);
    Files.copy(data, dir.resolve("tampered.txt"));
    Files.writeString(dir.resolve("tampered.txt"), "tampered", StandardCharsets.UTF_8);
    Run badSig =
        cm(
            cm,
            "verify",
            "-slot",
            "app100",
            "-password",
            KEYRING_PW,
            "-key",
            "" + ecPublic,
            "-mechanism",
            "CKM_ECDSA_SHA256",
            "-in",
            dir.resolve("tampered.txt").toString(),
            "-signature",
            sig.toString());
    assertEquals(1, badSig.exit, badSig::toString);
    assertTrue(badSig.err.startsWith("CKR_SIGNATURE_INVALID: "), badSig::toString);
    ok("user", "add", "-username", "watcher", "-role", "monitor", "-password", "watcher-pass-1");
    Path watcherPw = dir.resolve("watcher.pw");
    Files.writeString(watcherPw, "watcher-pass-1\n", StandardCharsets.UTF_8);
    Run monitor =
        record(
            "keyring-sim",
            sim(
                Map.of(),
                pinned(
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
                    "--user",
                    "watcher",
                    "--password-file",
                    watcherPw.toString())));
    assertEquals(1, monitor.exit, monitor::toString);
    assertTrue(monitor.err.startsWith("CKR_FUNCTION_REJECTED: "), monitor::toString);

    transcript.section("Usage errors: exit code 2", null);
    Run notANumber =
        record(
            "keyring-sim",
            sim(
                Map.of("KEYRING_ADMIN_PASSWORD", ADMIN_PW),
                pinned(
                    "keyring",
                    "create",
                    "-label",
                    "x",
                    "-partition",
                    "clusterpar",
                    "-total",
                    "ten")));
    assertEquals(2, notANumber.exit, notANumber::toString);
    Run typo = cm(cm, "role", "login", "-name", "co", "-slot", "app100", "-pasword", KEYRING_PW);
    assertEquals(2, typo.exit, typo::toString);
    assertFalse(typo.err.contains(KEYRING_PW), typo::toString);
    assertFalse(typo.out.contains(KEYRING_PW), typo::toString);
    Run noPassword = cm(cm, "partition", "contents", "-slot", "app100");
    assertEquals(2, noPassword.exit, noPassword::toString);
    Run unknown = cm(cm, "slot", "lst");
    assertEquals(2, unknown.exit, unknown::toString);

    transcript.section("Unreachable member: exit code 3", null);
    int dead;
    try (ServerSocket s = new ServerSocket(0)) {
      dead = s.getLocalPort();
    }
    deadPort = dead;
    Run unreachable =
        record(
            "keyring-sim",
            sim(
                Map.of("KEYRING_ADMIN_PASSWORD", ADMIN_PW),
                "cluster",
                "list",
                "--port",
                "" + dead,
                "--timeout",
                "5"));
    assertEquals(3, unreachable.exit, unreachable::toString);
    Path deadConf = dir.resolve("client").resolve("dead.conf");
    Files.writeString(
        deadConf,
        Files.readString(conf).replace(":" + registeredCryptoPort, ":" + dead),
        StandardCharsets.UTF_8);
    Run cmUnreachable =
        cm(Map.of("KEYRING_CONFIG", deadConf.toString()), "slot", "list", "--timeout", "5");
    assertEquals(3, cmUnreachable.exit, cmUnreachable::toString);

    transcript.section(
        "Cluster service",
        "Stopped, the service refuses cluster and keyring calls (exit code 1) and closes the"
            + " crypto API.");
    Run stopped = ok("service", "stop", "cluster");
    assertTrue(stopped.out.matches("(?s).*Status\\s+: stopped.*"), stopped::toString);
    Run whileStopped =
        record(
            "keyring-sim",
            sim(Map.of("KEYRING_ADMIN_PASSWORD", ADMIN_PW), pinned("keyring", "list")));
    assertEquals(1, whileStopped.exit, whileStopped::toString);
    ok("service", "start", "cluster");
  }

  private int deadPort = -1;
  private int registeredCryptoPort = -1;

  // ------------------------------------------------------------------ running the tools

  private static Run sim(Map<String, String> env, String... args) {
    return new Run(CliRun.run(KeyringSim::run, env, args), args);
  }

  private String[] pinned(String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(
        List.of("--port", Integer.toString(member.adminPort()), "--fingerprint", fingerprint));
    return all.toArray(String[]::new);
  }

  /** A {@code keyring-sim} command, pinned, with the admin password from the environment. */
  private Run ok(String... args) {
    Run r = record("keyring-sim", sim(Map.of("KEYRING_ADMIN_PASSWORD", ADMIN_PW), pinned(args)));
    assertEquals(0, r.exit, r::toString);
    assertTrue(r.out.contains("Command Result : 0 (Success)"), r::toString);
    return r;
  }

  private Run cm(Map<String, String> env, String... args) {
    return record("keyringcm", new Run(CliRun.run(KeyringCm::run, env, args), args));
  }

  private static Run register(String... args) {
    return new Run(
        CliRun.run(RegisterCommand::run, Map.of(RegisterCommand.PASSWORD_ENV, ADMIN_PW), args),
        args);
  }

  private Run record(String tool, Run r) {
    List<String> shown = new ArrayList<>(r.args);
    if (tool.equals("keyring-sim") && fingerprint != null) {
      int at = shown.indexOf("--fingerprint");
      if (at > 0 && shown.get(at + 1).equals(fingerprint)) {
        shown.subList(at, at + 2).clear();
        int p = shown.indexOf("--port");
        if (p >= 0 && shown.get(p + 1).equals(Integer.toString(member.adminPort()))) {
          shown.subList(p, p + 2).clear();
        }
      }
    }
    transcript.command(tool, shown, r.exit, r.out, r.err);
    return r;
  }

  private static String group(String regex, String text) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertTrue(m.find(), () -> regex + " not in:\n" + text);
    return m.group(1);
  }

  private static boolean jdkVerifies(Path conf, long publicHandle, byte[] data, byte[] sig)
      throws Exception {
    try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
        KeyringChannel s = client.openSession("app100")) {
      s.login(Role.KRCO, KEYRING_PW);
      PublicKey pub = s.getObject(publicHandle).toPublicKey();
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(pub);
      v.update(data);
      return v.verify(sig);
    }
  }

  private void writeTranscripts(Member m) throws Exception {
    Path target = Path.of("target");
    Transcript.write(target.resolve("cli-transcript.md"), transcript.text());
    Map<String, String> literals = new LinkedHashMap<>();
    literals.put(dir.toAbsolutePath().toString(), "<dir>");
    literals.put(Integer.toString(m.adminPort()), "<admin-port>");
    if (registeredCryptoPort > 0) {
      literals.put(Integer.toString(registeredCryptoPort), "<crypto-port>");
    }
    if (m.cryptoPort() > 0 && m.cryptoPort() != registeredCryptoPort) {
      literals.put(Integer.toString(m.cryptoPort()), "<crypto-port-after-restart>");
    }
    if (deadPort > 0) {
      literals.put(Integer.toString(deadPort), "<closed-port>");
    }
    String serial = m.appliance().hsm().serialNumber();
    literals.put(serial, "<hsm-serial>");
    Transcript.write(target.resolve("cli-transcript.sanitized.md"), transcript.sanitized(literals));
  }
}
