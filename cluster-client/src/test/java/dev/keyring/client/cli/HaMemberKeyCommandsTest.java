package dev.keyring.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ConfigFile;
import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.client.ha.FakeHaMember;
import dev.keyring.client.ha.HaMemberKey;
import dev.keyring.protocol.ObjectClass;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hagroup deletegroup}, {@code removemember} and {@code removememberkey} over in-memory
 * members: the member keys leave with the members, the file is written even when a member cannot be
 * reached (named, exit code 1), a wrong password changes nothing.
 */
class HaMemberKeyCommandsTest {
  private static final String PW = "co-password";

  @TempDir Path dir;

  private final FakeHaMember a = new FakeHaMember("a1", PW);
  private final FakeHaMember b = new FakeHaMember("b1", PW);
  private final FakeHaMember c = new FakeHaMember("c1", PW);
  private Path conf;
  private String number;

  private record Run(int exit, String out, String err) {}

  @BeforeEach
  void group() throws Exception {
    number = "1" + a.serial();
    for (FakeHaMember m : List.of(a, b, c)) {
      m.put(UUID.randomUUID(), ObjectClass.DATA, HaMemberKey.template(number, "pay"));
      m.put(UUID.randomUUID(), ObjectClass.PRIVATE_KEY, FakeHaMember.labelled("tls"));
    }
    conf = dir.resolve("Chrystoki.conf");
    ClientConfig.of(ConfigFile.parse("# kept\n", conf.toString()))
        .withHaGroup(
            new HaGroupEntry(0, "pay", number, List.of(a.serial(), b.serial(), c.serial())))
        .write(conf);
  }

  private Run cm(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        KeyringCm.run(
            new PrintWriter(out),
            new PrintWriter(err),
            Map.of("KEYRING_CONFIG", conf.toString()),
            FakeHaMember.clusters(List.of(a, b, c)),
            args);
    return new Run(exit, out.toString(), err.toString());
  }

  private long memberKeys(FakeHaMember m) {
    return m.objectsById().values().stream()
        .filter(o -> HaMemberKey.isMarker(o.label().orElse(null)))
        .count();
  }

  @Test
  void removeMember_removesItsMemberKeyOnly_andTheOthersKeepTheirs() throws Exception {
    Run r = cm("hagroup", "removemember", "-group", "pay", "-serial", b.serial(), "-password", PW);
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("removed from member " + b.serial() + " (b1)"), r.out());
    assertEquals(0, memberKeys(b));
    assertEquals(1, b.objectsById().size(), "b1's key stays");
    assertEquals(1, memberKeys(a));
    assertEquals(1, memberKeys(c));
    assertEquals(
        List.of(a.serial(), c.serial()),
        ClientConfig.read(conf).haGroup("pay").orElseThrow().memberSerials());
  }

  @Test
  void deleteGroup_withAMemberDown_writesTheFile_namesIt_andExitsOne() throws Exception {
    c.down = true;
    Run r = cm("hagroup", "deletegroup", "-label", "pay", "-password", PW);
    assertEquals(1, r.exit(), r.toString());
    assertTrue(ClientConfig.read(conf).haGroups().isEmpty(), "the group left the file");
    assertTrue(Files.readString(conf).contains("# kept"));
    assertEquals(0, memberKeys(a));
    assertEquals(0, memberKeys(b));
    assertTrue(r.err().contains("member " + c.serial() + " keeps its member key"), r.err());
    assertTrue(r.err().contains("cannot be reached"), r.err());
    assertTrue(
        r.err()
            .contains(
                "keyringcm hagroup removememberkey -serialnumber "
                    + c.serial()
                    + " -groupnumber "
                    + number),
        r.err());
    assertFalse(r.out().contains("Command Result : No Error"), r.out());

    c.down = false;
    assertEquals(1, memberKeys(c), "c1 kept it");
    Run later =
        cm(
            "hagroup",
            "removememberkey",
            "-serialnumber",
            c.serial(),
            "-groupnumber",
            number,
            "-password",
            PW);
    assertEquals(0, later.exit(), later.toString());
    assertEquals(0, memberKeys(c));
    assertEquals(1, c.objectsById().size(), "c1's key stays");
  }

  @Test
  void recover_listsAConflictFoundByTheRecoveryOnce_andExitsOne() throws Exception {
    UUID id = UUID.randomUUID();
    a.put(id, ObjectClass.DATA, FakeHaMember.labelled("v1"));
    b.put(id, ObjectClass.DATA, FakeHaMember.labelled("v2"));
    b.failNext.set(1); // b1 cannot be reached when the command opens the group
    Run r = cm("hagroup", "recover", "-group", "pay", "-password", PW);
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().contains("Recovered: " + b.serial()), r.out());
    assertTrue(r.err().contains("1 objects are held in different versions"), r.err());
    assertEquals(2, r.err().split(id.toString(), -1).length, "listed once: " + r.err());
    assertTrue(r.err().contains("differing: CKA_LABEL"), r.err());
    assertEquals("v1", a.objectsById().get(id).label().orElseThrow());
    assertEquals("v2", b.objectsById().get(id).label().orElseThrow());
  }

  @Test
  void aWrongPassword_changesNothing() throws Exception {
    String before = Files.readString(conf);
    Run r = cm("hagroup", "deletegroup", "-label", "pay", "-password", "wrong");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("CKR_PIN_INCORRECT"), r.err());
    assertEquals(before, Files.readString(conf));
    assertEquals(1, memberKeys(a));
    assertEquals(1, memberKeys(b));
  }
}
