package dev.keyring.sim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.server.Member;
import dev.keyring.sim.server.MemberConfig;
import dev.keyring.testing.cli.CliRun;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyring-sim member}: a data directory it cannot use or a port it cannot listen on refuses
 * the start with one line naming what to change (exit code 2), not a stack trace.
 */
class MemberStartRefusalsTest {
  @TempDir Path dir;

  private static CliRun member(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "member";
    System.arraycopy(args, 0, all, 1, args.length);
    return CliRun.run(KeyringSim::run, Map.of(), all);
  }

  private static void oneLineWithoutStackTrace(CliRun r) {
    assertEquals(2, r.exit(), r::toString);
    assertTrue(r.err().startsWith("error: "), r::toString);
    assertFalse(r.err().contains("\tat "), r::toString);
    assertFalse(r.err().contains("Exception"), r::toString);
  }

  @Test
  void dataThatIsAFile_isRefusedByName() throws Exception {
    Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
    CliRun r = member("--data", file.toString(), "--admin-port", "0", "--crypto-port", "0");
    oneLineWithoutStackTrace(r);
    assertTrue(r.err().contains("--data " + file + " is not a directory"), r::toString);
  }

  @Test
  void aPortOutOfRange_isRefused_namingTheOption() {
    String data = dir.resolve("data").toString();
    CliRun admin = member("--data", data, "--admin-port", "70000");
    oneLineWithoutStackTrace(admin);
    assertEquals("error: --admin-port must be 0 to 65535, got 70000", admin.err().strip());
    CliRun crypto = member("--data", data, "--crypto-port", "-1");
    oneLineWithoutStackTrace(crypto);
    assertEquals("error: --crypto-port must be 0 to 65535, got -1", crypto.err().strip());
  }

  @Test
  void aConfigOrPasswordFileThatIsMissingOrEmpty_isRefusedByName() throws Exception {
    String data = dir.resolve("data").toString();
    Path missing = dir.resolve("missing.properties");
    CliRun noConfig = member("--data", data, "--config", missing.toString());
    oneLineWithoutStackTrace(noConfig);
    assertEquals(
        "error: --config " + missing + " cannot be read: no such file",
        noConfig.err().strip(),
        noConfig::toString);
    CliRun noPasswordFile = member("--data", data, "--admin-password-file", missing.toString());
    oneLineWithoutStackTrace(noPasswordFile);
    assertEquals(
        "error: --admin-password-file " + missing + " cannot be read: no such file",
        noPasswordFile.err().strip(),
        noPasswordFile::toString);
    Path empty = Files.writeString(dir.resolve("empty.pw"), "\n");
    CliRun emptyPassword = member("--data", data, "--admin-password-file", empty.toString());
    oneLineWithoutStackTrace(emptyPassword);
    assertEquals(
        "error: --admin-password-file " + empty + " is empty",
        emptyPassword.err().strip(),
        emptyPassword::toString);
  }

  @Test
  void dataInUseByARunningMember_isRefused_withWhatToDo() throws Exception {
    Path data = dir.resolve("data");
    try (Member running =
        Member.start(
            MemberConfig.builder()
                .appliance(ApplianceConfig.builder().dataDir(data).kdfIterations(1000).build())
                .adminPort(0)
                .cryptoPort(0)
                .initialAdminPassword("admin-password-1")
                .build())) {
      // in another JVM, as a second member would be: in this one H2 shares the open database
      CliRun r =
          CliRun.inChildJvm(
              KeyringSim.class.getName(),
              Map.of(),
              List.of(
                  "member", "--data", data.toString(), "--admin-port", "0", "--crypto-port", "0"));
      oneLineWithoutStackTrace(r);
      assertEquals(
          "error: --data "
              + data
              + " is in use by another running member (its store is locked): stop that member,"
              + " or give another --data",
          r.err().strip(),
          r::toString);
    }
  }

  @Test
  void anAdminPortInUse_isRefused_withWhatToChange() throws Exception {
    Path config = Files.writeString(dir.resolve("member.properties"), "kdfIterations=1000\n");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      CliRun r =
          member(
              "--data",
              dir.resolve("data").toString(),
              "--config",
              config.toString(),
              "--bind",
              "127.0.0.1",
              "--admin-port",
              Integer.toString(port),
              "--crypto-port",
              "0");
      oneLineWithoutStackTrace(r);
      assertTrue(r.err().contains("the member cannot listen"), r::toString);
      assertTrue(r.err().contains(":" + port), r::toString);
      assertTrue(r.err().contains("--admin-port"), r::toString);
    }
  }
}
