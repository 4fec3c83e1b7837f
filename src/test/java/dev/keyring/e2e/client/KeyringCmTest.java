package dev.keyring.e2e.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.cli.KeyringCm;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.config.ConfigFile;
import dev.keyring.testing.cli.CliRun;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code keyringcm} against a real member: the role flow, keys, signatures and exit codes. */
@Timeout(120)
class KeyringCmTest {
  static final String NEW_PASSWORD = "keyring-password-2";

  @TempDir static Path dir;
  static TestMember member;
  static Path conf;
  static int keyrings;

  @BeforeAll
  static void start() throws Exception {
    member = TestMember.start(dir);
    conf = dir.resolve("Chrystoki.conf");
    ClusterEntry entry = member.issueClient(Files.createDirectories(dir.resolve("certs")), 0, "cm");
    ClientConfig.of(ConfigFile.parse("", conf.toString())).withCluster(entry).write(conf);
  }

  @AfterAll
  static void stop() {
    if (member != null) {
      member.close();
    }
  }

  @AfterEach
  void noSessionLeft() {
    assertEquals(0, member.member().openSessions(), "member sessions left open");
  }

  static CliRun cm(Map<String, String> env, String... args) {
    return CliRun.run(KeyringCm::run, env, args);
  }

  static CliRun cm(String... args) {
    return cm(Map.of("KEYRING_CONFIG", conf.toString()), args);
  }

  static CliRun ok(String... args) {
    CliRun r = cm(args);
    assertEquals(0, r.exit(), r::toString);
    assertTrue(r.out().contains("Command Result : No Error"), r::toString);
    return r;
  }

  static synchronized String newKeyring() {
    String label = "cm" + (++keyrings);
    member.createKeyring(label);
    return label;
  }

  static String group(String regex, String text) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertTrue(m.find(), () -> regex + " not in:\n" + text);
    return m.group(1);
  }

  @Test
  void roleFlow_thenKeysContentsSignAndVerify() throws Exception {
    String slot = newKeyring();
    CliRun slots = ok("slot", "list");
    assertTrue(slots.out().contains(slot), slots::toString);
    CliRun po =
        ok("role", "login", "-name", "po", "-slot", slot, "-password", TestMember.KEYRING_INITIAL);
    assertTrue(po.out().contains("must be changed"), po::toString);
    ok(
        "role",
        "changepw",
        "-name",
        "po",
        "-slot",
        slot,
        "-oldpw",
        TestMember.KEYRING_INITIAL,
        "-newpw",
        NEW_PASSWORD);
    CliRun notYet = cm("role", "login", "-name", "co", "-slot", slot, "-password", NEW_PASSWORD);
    assertEquals(1, notYet.exit(), notYet::toString);
    ok("role", "init", "-name", "co", "-slot", slot, "-sopassword", NEW_PASSWORD);
    ok("role", "login", "-name", "co", "-slot", slot, "-password", NEW_PASSWORD);

    CliRun rsa =
        ok(
            "key",
            "generate",
            "-slot",
            slot,
            "-password",
            NEW_PASSWORD,
            "-type",
            "rsa",
            "-label",
            "r");
    CliRun aes =
        ok(
            "key",
            "generate",
            "-slot",
            slot,
            "-password",
            NEW_PASSWORD,
            "-type",
            "aes",
            "-label",
            "a");
    assertTrue(aes.out().contains("Secret key handle"), aes::toString);
    String rsaPrivate = group("Private key handle:\\s+(\\d+)", rsa.out());
    String rsaPublic = group("Public key handle:\\s+(\\d+)", rsa.out());
    CliRun contents = ok("partition", "contents", "-slot", slot, "-password", NEW_PASSWORD);
    assertTrue(contents.out().contains("Number of objects: 3"), contents::toString);
    assertTrue(contents.out().matches("(?s).*SECRET_KEY\\s+AES\\s+a.*"), contents::toString);

    Path in = dir.resolve(slot + ".txt");
    Files.writeString(in, "x".repeat(3 << 20), StandardCharsets.UTF_8); // several parts
    Path sig = dir.resolve(slot + ".sig");
    ok(
        "sign",
        "-slot",
        slot,
        "-password",
        NEW_PASSWORD,
        "-key",
        rsaPrivate,
        "-mechanism",
        "CKM_SHA256_RSA_PKCS_PSS",
        "-in",
        in.toString(),
        "-out",
        sig.toString());
    assertEquals(256, Files.size(sig));
    ok(
        "verify",
        "-slot",
        slot,
        "-password",
        NEW_PASSWORD,
        "-key",
        rsaPublic,
        "-mechanism",
        "SHA256_RSA_PKCS_PSS",
        "-in",
        in.toString(),
        "-signature",
        sig.toString());
    Files.writeString(in, "changed", StandardCharsets.UTF_8);
    CliRun bad =
        cm(
            "verify",
            "-slot",
            slot,
            "-password",
            NEW_PASSWORD,
            "-key",
            rsaPublic,
            "-mechanism",
            "CKM_SHA256_RSA_PKCS_PSS",
            "-in",
            in.toString(),
            "-signature",
            sig.toString());
    assertEquals(1, bad.exit(), bad::toString);
    assertTrue(bad.err().startsWith("CKR_SIGNATURE_INVALID: "), bad::toString);
  }

  @Test
  void slotNumbers_andUuids_nameSlotsToo() {
    String slot = newKeyring();
    CliRun slots = ok("slot", "list");
    String number =
        group("Slot Id ->\\s+(\\d+)\\s+Label ->\\s+" + Pattern.quote(slot) + "\\s", slots.out());
    String uuid =
        group(
            "Label ->\\s+" + Pattern.quote(slot) + "\\s+Keyring ID ->\\s+([0-9a-f-]{36})",
            slots.out());
    ok("role", "login", "-name", "po", "-slot", number, "-password", TestMember.KEYRING_INITIAL);
    ok("role", "login", "-name", "so", "-slot", uuid, "-password", TestMember.KEYRING_INITIAL);
    CliRun none =
        cm("role", "login", "-name", "po", "-slot", "no-such-slot", "-password", "x-1234567");
    assertEquals(1, none.exit(), none::toString);
    assertTrue(none.err().startsWith("CKR_SLOT_ID_INVALID: "), none::toString);
  }

  @Test
  void wrongPassword_exitsWith1_andNamesTheCode() {
    String slot = newKeyring();
    CliRun r = cm("role", "login", "-name", "po", "-slot", slot, "-password", "wrong-password-1");
    assertEquals(1, r.exit(), r::toString);
    assertTrue(r.err().startsWith("CKR_PIN_INCORRECT: "), r::toString);
    assertFalse(r.err().contains("wrong-password-1"), r::toString);
  }

  @Test
  void badUsage_andBadConfiguration_exitWith2() {
    assertEquals(2, cm().exit());
    assertEquals(2, cm("role").exit());
    assertEquals(2, cm("role", "login", "-name", "xx", "-slot", "a", "-password", "p").exit());
    assertEquals(2, cm("role", "init", "-name", "po", "-slot", "a", "-sopassword", "p").exit());
    CliRun noPassword = cm("partition", "contents", "-slot", "a");
    assertEquals(2, noPassword.exit(), noPassword::toString);
    CliRun typo = cm("role", "login", "-name", "co", "-slot", "a", "--passwd=top-secret-1");
    assertEquals(2, typo.exit(), typo::toString);
    assertFalse(typo.err().contains("top-secret-1"), typo::toString);
    assertEquals(
        2,
        cm("key", "generate", "-slot", "a", "-password", "p", "-type", "rsa", "-bits", "1024")
            .exit());
    assertEquals(
        2,
        cm(
                "sign",
                "-slot",
                "a",
                "-password",
                "p",
                "-key",
                "1",
                "-mechanism",
                "CKM_AES_GCM",
                "-in",
                conf.toString(),
                "-out",
                dir.resolve("x").toString())
            .exit());
    CliRun missing = cm(Map.of("HOME", dir.resolve("nowhere").toString()), "slot", "list");
    assertEquals(2, missing.exit(), missing::toString);
    CliRun index = cm("slot", "list", "--cluster", "05");
    assertEquals(2, index.exit(), index::toString);
    assertEquals(2, cm("slot", "list", "--cluster", "x").exit());
    CliRun help = cm("role", "changepw", "--help");
    assertEquals(0, help.exit());
    assertTrue(help.out().contains("-newpw"), help::toString);
  }

  @Test
  void unreachableMember_exitsWith3() throws Exception {
    int dead;
    try (ServerSocket s = new ServerSocket(0)) {
      dead = s.getLocalPort();
    }
    Path deadConf = dir.resolve("dead.conf");
    Files.writeString(
        deadConf,
        Files.readString(conf).replace(":" + member.cryptoPort(), ":" + dead),
        StandardCharsets.UTF_8);
    CliRun r = cm(Map.of(), "slot", "list", "--config", deadConf.toString(), "--timeout", "5");
    assertEquals(3, r.exit(), r::toString);
  }
}
