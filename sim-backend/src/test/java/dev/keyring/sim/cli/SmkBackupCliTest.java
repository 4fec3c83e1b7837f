package dev.keyring.sim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.Role;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.keyring.KeyringSession;
import dev.keyring.sim.server.Member;
import dev.keyring.sim.server.MemberConfig;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.OwnerOnlyFiles;
import dev.keyring.testing.admin.AdminRestClient;
import dev.keyring.testing.admin.Provisioning;
import dev.keyring.testing.cli.CliRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.Signature;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SMK backup and restore procedure with {@code keyring-sim} against two real members: a backup
 * HSM connected to the first, initialized, the SMK backed up; the backup HSM moved to a second
 * appliance, the SMK restored there, a cluster created, the first cluster's keyring backup restored
 * and its key used. Refusals exit 1 with their code, usage errors 2. The commands and their output
 * go to {@code target/smk-backup-transcript.md}.
 */
@Timeout(180)
class SmkBackupCliTest {
  static final String ADMIN_PW = Provisioning.ADMIN_PW;
  static final String SO = Provisioning.SO;
  static final String CO = Provisioning.CO;
  static final String BSO = "backup-so-password-1";
  static final String BPW = "backup-partition-pw-1";
  static final String FILE_PW = "backup-password-1";
  static final String DOMAIN = "cli-cloning-domain";
  static final List<String> SECRETS = List.of(ADMIN_PW, SO, CO, BSO, BPW, FILE_PW, DOMAIN);

  @TempDir Path dir;
  final StringBuilder transcript = new StringBuilder();

  static Member start(Path dir) throws Exception {
    return Member.start(
        MemberConfig.builder()
            .appliance(ApplianceConfig.builder().dataDir(dir).kdfIterations(1000).build())
            .adminPort(0)
            .cryptoPort(0)
            .initialAdminPassword(ADMIN_PW)
            .build());
  }

  /** Runs one command against {@code m}; records it with its passwords masked. */
  CliRun sim(String who, Member m, String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--port", Integer.toString(m.adminPort())));
    CliRun r =
        CliRun.run(
            KeyringSim::run,
            Map.of("KEYRING_ADMIN_PASSWORD", ADMIN_PW),
            all.toArray(String[]::new));
    List<String> shown = new ArrayList<>();
    for (String a : args) {
      shown.add(SECRETS.contains(a) ? "****" : a);
    }
    transcript.append(who).append("$ keyring-sim ").append(String.join(" ", shown)).append('\n');
    transcript.append(r.out());
    // the first-use trust notice aside: refusals and usage errors
    String err =
        r.err()
            .lines()
            .filter(l -> l.startsWith("CKR_") || l.startsWith("error:") || l.startsWith("Try "))
            .reduce("", (x, y) -> x + y + "\n");
    transcript.append(err);
    for (String s : SECRETS) {
      assertFalse(r.out().contains(s) || r.err().contains(s), () -> "echoes a secret: " + r);
    }
    return r;
  }

  CliRun ok(String who, Member m, String... args) {
    CliRun r = sim(who, m, args);
    assertEquals(0, r.exit(), r::toString);
    return r;
  }

  CliRun refused(String code, String who, Member m, String... args) {
    CliRun r = sim(who, m, args);
    assertEquals(1, r.exit(), r::toString);
    assertTrue(r.err().contains(code + ": "), r::toString);
    return r;
  }

  static String find(Pattern p, String text) {
    Matcher m = p.matcher(text);
    assertTrue(m.find(), () -> p + " not in:\n" + text);
    return m.group(1);
  }

  @Test
  void smkBackedUpRestoredElsewhere_andTheOldClustersKeyringBackupSignsThere() throws Exception {
    Path usb = dir.resolve("usb-backup-hsm");
    byte[] data = "cli".getBytes(StandardCharsets.UTF_8);
    PublicKey before;
    String serial;
    String day = LocalDate.now(ZoneOffset.UTC).format(DateTimeFormatter.BASIC_ISO_DATE);
    String tokenpar = Provisioning.PARTITION + "_" + day;
    try (Member a = start(dir.resolve("a"))) {
      AdminRestClient ca = new AdminRestClient(a.adminPort(), a.adminCertificate());
      Provisioning.provision(ca, "hsm-a", DOMAIN, "first-cluster");
      before = keyringWithKey(a);
      ok(
          "member1",
          a,
          "cluster",
          "backup",
          "run",
          "-filename",
          "kr.bak",
          "-backuppassword",
          FILE_PW);
      assertTrue(ok("member1", a, "token", "backup", "list").out().contains("No backup HSM"));
      CliRun attached = ok("member1", a, "token", "backup", "attach", "-path", usb.toString());
      serial = find(Pattern.compile("backup HSM (\\S+) connected"), attached.out());
      assertTrue(ok("member1", a, "token", "backup", "list").out().contains(serial));
      refused(
          "CKR_CRYPTOKI_NOT_INITIALIZED",
          "member1",
          a,
          "token",
          "backup",
          "partition",
          "list",
          "-serial",
          serial);
      ok(
          "member1",
          a,
          "token",
          "backup",
          "init",
          "-serial",
          serial,
          "-label",
          "usb-backup",
          "-sopassword",
          BSO,
          "-domain",
          DOMAIN);
      String[] backup = {
        "partition",
        "backup",
        "-partition",
        Provisioning.PARTITION,
        "-serial",
        serial,
        "-copassword",
        CO,
        "-sopassword",
        BSO,
        "-password",
        BPW,
        "-domain",
        DOMAIN
      };
      CliRun done = ok("member1", a, backup);
      String smk = find(Pattern.compile("SMK ([0-9a-f]{16}) of partition"), done.out());
      assertTrue(done.out().contains("'" + tokenpar + "'"), done::toString);
      CliRun listed = ok("member1", a, "token", "backup", "partition", "list", "-serial", serial);
      assertTrue(listed.out().contains(tokenpar) && listed.out().contains(smk), listed::toString);
      refused("CKR_FUNCTION_FAILED", "member1", a, backup);
      refused(
          "CKR_FUNCTION_FAILED",
          "member1",
          a,
          "partition",
          "backup",
          "-partition",
          Provisioning.PARTITION,
          "-serial",
          serial,
          "-copassword",
          CO,
          "-sopassword",
          BSO,
          "-password",
          BPW,
          "-domain",
          "another-domain",
          "-tokenpar",
          "other");
      refused(
          "CKR_PIN_INCORRECT",
          "member1",
          a,
          "partition",
          "backup",
          "-partition",
          Provisioning.PARTITION,
          "-serial",
          serial,
          "-copassword",
          CO,
          "-sopassword",
          "wrong-password-9",
          "-password",
          BPW,
          "-domain",
          DOMAIN,
          "-tokenpar",
          "other");
      refused(
          "CKR_TOKEN_NOT_PRESENT",
          "member1",
          a,
          "token",
          "backup",
          "partition",
          "list",
          "-serial",
          "1234");
      assertEquals(
          2, sim("member1", a, "token", "backup", "partition", "list", "-serial", "a b").exit());
      assertEquals(
          2,
          sim(
                  "member1",
                  a,
                  "partition",
                  "backup",
                  "-partition",
                  Provisioning.PARTITION,
                  "-serial",
                  serial,
                  "-tokenpar",
                  "a b")
              .exit());
      assertEquals(
          2,
          sim(
                  "member1",
                  a,
                  "partition",
                  "restore",
                  "-partition",
                  Provisioning.PARTITION,
                  "-serial",
                  serial,
                  "-tokenpar",
                  tokenpar)
              .exit(),
          "-add is required");
      refused(
          "CKR_FUNCTION_FAILED",
          "member1",
          a,
          "partition",
          "restore",
          "-partition",
          Provisioning.PARTITION,
          "-tokenpar",
          tokenpar,
          "-serial",
          serial,
          "-add",
          "-password",
          BPW,
          "-copassword",
          CO);
      ok("member1", a, "token", "backup", "detach", "-serial", serial);
      Path files = dir.resolve("b/files/admin");
      OwnerOnlyFiles.directory(dir.resolve("b/files"));
      OwnerOnlyFiles.directory(files);
      Files.copy(dir.resolve("a/files/admin/kr.bak"), files.resolve("kr.bak"));
    }
    try (Member b = start(dir.resolve("b"))) {
      AdminRestClient cb = new AdminRestClient(b.adminPort(), b.adminCertificate());
      Provisioning.prepareHsm(cb, "hsm-b", DOMAIN);
      ok("member2", b, "token", "backup", "attach", "-path", usb.toString());
      ok("member2", b, "token", "backup", "partition", "list", "-serial", serial);
      ok(
          "member2",
          b,
          "partition",
          "restore",
          "-partition",
          Provisioning.PARTITION,
          "-tokenpar",
          tokenpar,
          "-serial",
          serial,
          "-add",
          "-password",
          BPW,
          "-copassword",
          CO);
      ok("member2", b, "partition", "show");
      CliRun created =
          ok("member2", b, "cluster", "create", "-label", "restored-cluster", "-password", SO);
      assertTrue(created.out().contains("restored-cluster"), created::toString);
      CliRun members = ok("member2", b, "cluster", "member", "list");
      String memberId = find(Pattern.compile("P\\*\\s+([0-9a-f-]{36})"), members.out());
      ok(
          "member2",
          b,
          "cluster",
          "member",
          "authorize",
          "-partition",
          Provisioning.PARTITION,
          "-memberid",
          memberId,
          "-copassword",
          CO);
      CliRun restored =
          ok(
              "member2",
              b,
              "cluster",
              "restore",
              "run",
              "-filename",
              "kr.bak",
              "-type",
              "keyring",
              "-restorepassword",
              FILE_PW);
      assertTrue(restored.out().contains("completed"), restored::toString);
      KeyringRecord k = b.appliance().keyrings().keyring("payments");
      byte[] sig;
      try (KeyringSession co =
          b.appliance().keyrings().login(k.id(), Role.KRCO, "keyring-password-2")) {
        long handle = co.findObjects(Attributes.builder().label("priv").build()).get(0).handle();
        sig = co.sign(handle, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, data);
      }
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(before);
      v.update(data);
      assertTrue(v.verify(sig), "the restored keyring's key signs as before");
    }
    Path out = Path.of("target/smk-backup-transcript.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, transcript.toString().replace(dir.toAbsolutePath().toString(), "<dir>"));
  }

  static PublicKey keyringWithKey(Member m) {
    KeyringRecord k =
        m.appliance()
            .keyrings()
            .createKeyrings(CO, "payments", "keyring-initial-1", 1, null, null)
            .get(0);
    try (KeyringSession so =
        m.appliance().keyrings().login(k.id(), Role.KRSO, "keyring-initial-1")) {
      so.changePassword("keyring-initial-1", "keyring-password-2");
      so.initKrco("keyring-password-2");
    }
    try (KeyringSession co =
        m.appliance().keyrings().login(k.id(), Role.KRCO, "keyring-password-2")) {
      return PublicKeyAttributes.toPublicKey(
          co.generateKeyPair(
                  KeyGenParams.ec(Curve.P256),
                  Attributes.builder().label("pub").build(),
                  Attributes.builder().label("priv").build())
              .publicKey()
              .attributes());
    }
  }
}
