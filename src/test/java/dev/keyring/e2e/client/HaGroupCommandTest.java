package dev.keyring.e2e.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.Slot;
import dev.keyring.client.cli.KeyringCm;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ConfigFile;
import dev.keyring.client.ha.HaGroupChannel;
import dev.keyring.client.ha.HaGroups;
import dev.keyring.client.ha.HaMemberKey;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyringSerial;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CloningMessages;
import dev.keyring.sim.hsm.Hsm;
import dev.keyring.testing.cli.CliRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyringcm hagroup} over three one-member clusters in this JVM (A and B in one cloning
 * domain, C in another), one client file registered with all three: the group's configuration is
 * written as the seed names it; each prerequisite that fails is refused with its rule named and
 * nothing written; a group's virtual slot keeps handles stable across members, replicates writes
 * before they return, and keeps a multi-part operation on one member.
 */
class HaGroupCommandTest {
  private static final String PW = "keyring-password-2";
  private static final byte[] DATA = "through the group".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  private TestMember a;
  private TestMember b;
  private TestMember c;
  private Path conf;
  private Map<String, String> env;

  @BeforeEach
  void start() throws Exception {
    a = TestMember.start(dir.resolve("a"), "a1", "a2");
    b = TestMember.start(dir.resolve("b"), "b1", "b2");
    c = TestMember.startInDomain(dir.resolve("c"), "another-domain", "c1");
    conf = dir.resolve("Chrystoki.conf");
    ClientConfig cfg = ClientConfig.of(ConfigFile.parse("# kept comment\n", conf.toString()));
    int i = 0;
    for (TestMember m : List.of(a, b, c)) {
      Path certs = Files.createDirectories(dir.resolve("certs" + i));
      cfg = cfg.withCluster(m.issueClient(certs, i, "ha" + i));
      i++;
    }
    cfg.write(conf);
    env = Map.of("KEYRING_CONFIG", conf.toString());
    initialize(0, "a1", PW);
    initialize(0, "a2", PW);
    initialize(1, "b1", PW);
    initialize(1, "b2", "another-password-3");
    initialize(2, "c1", PW);
  }

  @AfterEach
  void stop() {
    for (TestMember m : new TestMember[] {a, b, c}) {
      if (m != null) {
        m.close();
      }
    }
  }

  private void initialize(int cluster, String keyring, String password) throws Exception {
    try (KeyringClient k = KeyringClient.open(ClientConfig.read(conf), cluster);
        KeyringChannel s = k.openSession(keyring)) {
      s.login(Role.KRSO, TestMember.KEYRING_INITIAL);
      s.changePassword(TestMember.KEYRING_INITIAL, password);
      s.initKrco(password);
      s.logout();
    }
  }

  private CliRun cm(String... args) {
    return CliRun.run(KeyringCm::run, env, args);
  }

  private CliRun ok(String... args) {
    CliRun r = cm(args);
    assertEquals(0, r.exit(), r::toString);
    return r;
  }

  private String serial(int cluster, String keyring) throws Exception {
    try (KeyringClient k = KeyringClient.open(ClientConfig.read(conf), cluster)) {
      for (Slot s : k.slots()) {
        if (s.label().equals(keyring)) {
          return s.serialNumber();
        }
      }
    }
    throw new AssertionError(keyring + " not listed");
  }

  @Test
  void createAndAddMember_writeTheVirtualToken_keepingTheFilesComment() throws Exception {
    String sa = serial(0, "a1");
    String sb = serial(1, "b1");
    assertTrue(KeyringSerial.isSerial(sa), sa);
    CliRun list = ok("slot", "list");
    assertTrue(list.out().contains("Serial Number ->        " + sa), list.out());

    CliRun created = ok("hagroup", "creategroup", "-label", "pay", "-slot", "a1", "-password", PW);
    assertTrue(created.out().contains("group number 1" + sa), created.out());
    ok("hagroup", "addmember", "-group", "pay", "-serialnumber", sb, "-password", PW);
    ok("hagroup", "retry", "-count", "5");
    ok("hagroup", "interval", "-seconds", "7");
    ok("hagroup", "haonly", "-enable");

    String text = Files.readString(conf);
    assertTrue(text.contains("# kept comment"), text);
    ClientConfig cfg = ClientConfig.read(conf);
    assertEquals(List.of(sa, sb), cfg.haGroup("pay").orElseThrow().memberSerials());
    assertEquals("1" + sa, cfg.haGroup("pay").orElseThrow().serialNumber());
    assertTrue(cfg.haSettings().haOnly());
    assertEquals(5, cfg.haSettings().reconnectAttempts().getAsInt());
    assertEquals(7, cfg.haSettings().autoReconnectInterval().orElseThrow().getSeconds());

    CliRun listed = ok("hagroup", "listgroups", "-password", PW);
    System.out.println("$ keyringcm hagroup creategroup -label pay -slot a1\n" + created.out());
    System.out.println("$ keyringcm hagroup listgroups\n" + listed.out());
    assertTrue(listed.out().contains("HA Group Number: 1" + sa), listed.out());
    assertTrue(listed.out().contains("Needs sync:      no"), listed.out());

    ok("hagroup", "removemember", "-group", "pay", "-serial", sb, "-password", PW);
    assertEquals(List.of(sa), ClientConfig.read(conf).haGroup("pay").orElseThrow().memberSerials());
    ok("hagroup", "deletegroup", "-label", "pay", "-password", PW);
    assertTrue(ClientConfig.read(conf).haGroups().isEmpty());
    assertTrue(Files.readString(conf).contains("# kept comment"));
  }

  @Test
  void labelHa_isRefused_andNothingIsWritten() throws Exception {
    String before = Files.readString(conf);
    CliRun r = cm("hagroup", "creategroup", "-label", "ha", "-slot", "a1", "-password", PW);
    assertEquals(KeyringCm.BAD_INPUT, r.exit(), r.toString());
    assertTrue(r.err().contains("'HA' is reserved"), r.toString());
    assertEquals(before, Files.readString(conf));
  }

  @Test
  void eachPrerequisite_refusesWithItsRule_andNothingIsWritten() throws Exception {
    ok("hagroup", "creategroup", "-label", "pay", "-slot", "a1", "-password", PW);
    String before = Files.readString(conf);

    CliRun domain = addMember(2, "c1");
    assertEquals(KeyringCm.REFUSED, domain.exit(), domain.toString());
    assertTrue(domain.err().contains("cloning domain differs"), domain.toString());

    CliRun credential = addMember(1, "b2");
    assertEquals(KeyringCm.REFUSED, credential.exit(), credential.toString());
    assertTrue(
        credential.err().contains("crypto officer credential must be the same"),
        credential.toString());

    Hsm hsmB = b.member().appliance().hsm();
    int[][] policies = {
      {Hsm.POLICY_PRIVATE_KEY_CLONING, 0}, {Hsm.POLICY_SECRET_KEY_CLONING, 0},
    };
    for (int[] p : policies) {
      hsmB.setPartitionPolicy(TestMember.PO, p[0], 0);
      CliRun r = addMember(1, "b1");
      assertEquals(KeyringCm.REFUSED, r.exit(), r.toString());
      assertTrue(r.err().contains("partition policy " + p[0]), r.toString());
      hsmB.setPartitionPolicy(TestMember.PO, p[0], 1);
    }
    for (int id : new int[] {Hsm.POLICY_CLONING, Hsm.POLICY_NETWORK_REPLICATION}) {
      hsmB.setPolicy(TestMember.SO, id, 0);
      CliRun r = addMember(1, "b1");
      assertEquals(KeyringCm.REFUSED, r.exit(), r.toString());
      assertTrue(r.err().contains("HSM policy " + id), r.toString());
      hsmB.setPolicy(TestMember.SO, id, 1);
    }
    hsmB.setPolicy(TestMember.SO, Hsm.POLICY_NON_FIPS_ALGORITHMS, 0);
    CliRun fips = addMember(1, "b1");
    assertEquals(KeyringCm.REFUSED, fips.exit(), fips.toString());
    assertTrue(fips.err().contains("HSM policy 12"), fips.toString());
    hsmB.setPolicy(TestMember.SO, Hsm.POLICY_NON_FIPS_ALGORITHMS, 1);

    assertEquals(before, Files.readString(conf), "no refusal writes the file");
    assertEquals(0, addMember(1, "b1").exit(), "all met: added");
  }

  @Test
  void existingObjects_onTheNewMember_needCopyRemoveOrQuit() throws Exception {
    try (KeyringClient k = KeyringClient.open(ClientConfig.read(conf), 1);
        KeyringChannel s = k.openSession("b1")) {
      s.login(Role.KRCO, PW);
      s.generateKey(KeyGenParams.aes(256), Attributes.builder().label("old").build());
    }
    ok("hagroup", "creategroup", "-label", "pay", "-slot", "a1", "-password", PW);
    CliRun none = addMember(1, "b1");
    assertEquals(KeyringCm.BAD_INPUT, none.exit(), none.toString());
    assertTrue(none.err().contains("-existing copy"), none.toString());
    CliRun quit = addMember(1, "b1", "-existing", "quit");
    assertEquals(0, quit.exit(), quit.toString());
    assertEquals(1, ClientConfig.read(conf).haGroup("pay").orElseThrow().memberSerials().size());
    CliRun copy = addMember(1, "b1", "-existing", "copy");
    assertTrue(copy.out().contains("Needs sync: yes"), copy.toString());
    CliRun sync = ok("hagroup", "synchronize", "-group", "pay", "-password", PW);
    assertTrue(sync.out().contains("1 objects cloned"), sync.toString());
    assertEquals(1, labelled(0, "a1", "old"), "b1's key was copied to a1");
  }

  @Test
  void virtualSlot_stableHandles_writesOnEveryMember_multiPartOnOneMember() throws Exception {
    ok("hagroup", "creategroup", "-label", "pay", "-slot", "a1", "-password", PW);
    ok("hagroup", "addmember", "-group", "pay", "-slot", "b1", "--cluster", "01", "-password", PW);
    ClientConfig cfg = ClientConfig.read(conf);
    try (ConfiguredClusters clients = new ConfiguredClusters(cfg);
        HaGroupChannel g = HaGroups.open(cfg, cfg.haGroup("pay").orElseThrow(), clients)) {
      g.login(Role.KRCO, PW);
      KeyringKeyPair kp =
          g.generateKeyPair(
              KeyGenParams.ec(Curve.P256),
              Attributes.builder().label("web").build(),
              Attributes.builder().label("web").build());
      assertEquals(1, labelled(0, "a1", "web"), "on a1 before the call returned");
      assertEquals(1, labelled(1, "b1", "web"), "on b1 before the call returned");

      long handle = kp.privateKey().handle();
      for (int i = 0; i < 8; i++) {
        byte[] sig = g.sign(handle, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(kp.publicKey().toPublicKey());
        v.update(DATA);
        assertTrue(v.verify(sig));
      }
      assertTrue(
          g.operationsByMember().values().stream().allMatch(n -> n >= 4),
          "single-part calls are balanced: " + g.operationsByMember());
      List<KeyringObject> found = g.findObjects(Attributes.builder().label("web").build());
      assertTrue(found.stream().anyMatch(o -> o.handle() == handle), "the same handle: " + found);

      Map<String, Long> before = g.operationsByMember();
      KeyringOperation op =
          g.startOperation(
              KeyringOperation.Kind.SIGN, handle, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE);
      for (int i = 0; i < 5; i++) {
        op.update(DATA);
      }
      byte[] sig = op.finish();
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(kp.publicKey().toPublicKey());
      for (int i = 0; i < 5; i++) {
        v.update(DATA);
      }
      assertTrue(v.verify(sig), "the parts were signed as one message on one member");
      Map<String, Long> after = g.operationsByMember();
      long moved =
          after.entrySet().stream()
              .filter(e -> !e.getValue().equals(before.get(e.getKey())))
              .count();
      assertEquals(1, moved, "the operation started on one member: " + before + " → " + after);

      HsmException admin =
          org.junit.jupiter.api.Assertions.assertThrows(HsmException.class, () -> g.initKrco(PW));
      assertEquals(ResultCode.CKR_FUNCTION_REJECTED, admin.code());

      g.destroyObject(handle);
      assertEquals(0, labelled(0, "a1", "web"));
      assertEquals(0, labelled(1, "b1", "web"));
      assertFalse(g.memberStatus().values().stream().anyMatch(s -> s.startsWith("down")));
    }
  }

  @Test
  void haOnly_hidesMemberSlots_fromSlotListAndTheProvider() throws Exception {
    ok("hagroup", "creategroup", "-label", "pay", "-slot", "a1", "-password", PW);
    ok("hagroup", "addmember", "-group", "pay", "-slot", "b1", "--cluster", "01", "-password", PW);
    ok("hagroup", "haonly", "-enable");
    String sa = serial(0, "a1");
    CliRun list = ok("slot", "list");
    assertFalse(list.out().contains("Serial Number ->        " + sa), list.out());
    assertFalse(list.out().matches("(?s).*Label ->\\s+a1\\s.*"), list.out());
    assertTrue(list.out().contains("HA Virtual Slot ->      pay"), list.out());
    assertTrue(list.out().contains("a2"), "a slot in no group stays listed: " + list.out());

    dev.keyring.provider.KeyringProvider provider = new dev.keyring.provider.KeyringProvider(conf);
    try {
      java.security.KeyStore member = java.security.KeyStore.getInstance("Keyring", provider);
      java.io.IOException hidden =
          org.junit.jupiter.api.Assertions.assertThrows(
              java.io.IOException.class,
              () ->
                  member.load(
                      new java.io.ByteArrayInputStream("slot=a1".getBytes(StandardCharsets.UTF_8)),
                      PW.toCharArray()));
      assertTrue(hidden.getMessage().contains("HA-only mode"), hidden.getMessage());
      java.security.KeyStore group = java.security.KeyStore.getInstance("Keyring", provider);
      group.load(
          new java.io.ByteArrayInputStream("slot=pay".getBytes(StandardCharsets.UTF_8)),
          PW.toCharArray());
      java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC", provider);
      java.security.KeyPair kp = g.generateKeyPair();
      Signature s = Signature.getInstance("SHA256withECDSA", provider);
      s.initSign(kp.getPrivate());
      s.update(DATA);
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(kp.getPublic());
      v.update(DATA);
      assertTrue(v.verify(s.sign()), "the group's virtual slot signs");
    } finally {
      provider.close();
    }
  }

  @Test
  void standbyMember_receivesEveryObject_servesNothingWhileAnActiveOneIsUp() throws Exception {
    ok("hagroup", "creategroup", "-label", "pay", "-slot", "a1", "-password", PW);
    ok("hagroup", "addmember", "-group", "pay", "-slot", "b1", "--cluster", "01", "-password", PW);
    String sa = serial(0, "a1");
    String sb = serial(1, "b1");
    CliRun added = ok("hagroup", "addstandby", "-group", "pay", "-slot", "b1", "--cluster", "01");
    assertTrue(added.out().contains("Standby Members: " + sb), added.out());
    assertEquals(
        List.of(sb), ClientConfig.read(conf).haGroup("pay").orElseThrow().standbySerials());
    assertTrue(Files.readString(conf).contains("VirtualToken00Standby = " + sb));
    assertTrue(Files.readString(conf).contains("# kept comment"));

    CliRun only = cm("hagroup", "addstandby", "-group", "pay", "-serialnumber", sa);
    assertEquals(2, only.exit(), only.toString());
    assertTrue(only.err().contains("only active member"), only.toString());
    CliRun notMember = cm("hagroup", "addstandby", "-group", "pay", "-slot", "a2");
    assertEquals(2, notMember.exit(), notMember.toString());
    assertTrue(
        notMember.err().contains("add it with hagroup addmember first"), notMember.toString());

    CliRun listed = ok("hagroup", "listgroups", "-password", PW);
    System.out.println("$ keyringcm hagroup listgroups\n" + listed.out());
    assertTrue(listed.out().contains("Standby Members: " + sb), listed.out());
    assertTrue(listed.out().matches("(?s).*" + sb + "\\s+b1\\s+alive, standby.*"), listed.out());

    ClientConfig cfg = ClientConfig.read(conf);
    try (ConfiguredClusters clients = new ConfiguredClusters(cfg);
        HaGroupChannel g = HaGroups.open(cfg, cfg.haGroup("pay").orElseThrow(), clients)) {
      g.login(Role.KRCO, PW);
      KeyringKeyPair kp =
          g.generateKeyPair(
              KeyGenParams.ec(Curve.P256),
              Attributes.builder().label("web").build(),
              Attributes.builder().label("web").build());
      assertEquals(1, labelled(1, "b1", "web"), "cloned to the standby member before returning");
      for (int i = 0; i < 6; i++) {
        g.sign(kp.privateKey().handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
      }
      assertEquals(0L, g.operationsByMember().get(sb), "standby: " + g.operationsByMember());
      assertEquals(7L, g.operationsByMember().get(sa), "active: " + g.operationsByMember());
    }

    ok("hagroup", "removestandby", "-group", "pay", "-serialnumber", sb);
    assertEquals(List.of(), ClientConfig.read(conf).haGroup("pay").orElseThrow().standbySerials());
    assertFalse(Files.readString(conf).contains("Standby"));
  }

  @Test
  void haLog_settingsWritten_andAMemberSlotBesideItsGroupIsRefused() throws Exception {
    ok("hagroup", "creategroup", "-label", "pay", "-slot", "a1", "-password", PW);
    ok("hagroup", "addmember", "-group", "pay", "-slot", "b1", "--cluster", "01", "-password", PW);
    Path logs = dir.resolve("halog");
    CliRun set = ok("hagroup", "halog", "-enable", "-path", logs.toString(), "-maxlength", "4096");
    assertTrue(set.out().contains("HA Log Status:  enabled"), set.out());
    ClientConfig cfg = ClientConfig.read(conf);
    assertTrue(cfg.haLog().enabled());
    assertEquals(logs, cfg.haLog().directory().orElseThrow());
    assertEquals(4096, cfg.haLog().maxLength());
    CliRun bad = cm("hagroup", "halog", "-maxlength", "10");
    assertEquals(2, bad.exit(), bad.toString());

    dev.keyring.provider.KeyringProvider provider = new dev.keyring.provider.KeyringProvider(conf);
    try {
      load(provider, "a1");
      java.io.IOException refused =
          org.junit.jupiter.api.Assertions.assertThrows(
              java.io.IOException.class, () -> load(provider, "pay"));
      assertTrue(
          refused.getMessage().contains("CKR_ACCESS_ID_ALREADY_EXISTS"), refused.getMessage());
      assertTrue(
          refused.getMessage().contains("log out of the member slot first"), refused.getMessage());
      assertTrue(provider.logout("a1"));
      load(provider, "pay");
      java.io.IOException reverse =
          org.junit.jupiter.api.Assertions.assertThrows(
              java.io.IOException.class, () -> load(provider, "b1\ncluster=01"));
      assertTrue(
          reverse.getMessage().contains("CKR_ACCESS_ID_ALREADY_EXISTS"), reverse.getMessage());
    } finally {
      provider.close();
    }
  }

  @Test
  void groupMemberKey_anotherClientCreatingTheGroup_choosesCopyRemoveOrQuit() throws Exception {
    String sa = serial(0, "a1");
    ok("hagroup", "creategroup", "-label", "pay", "-slot", "a1", "-password", PW);
    List<CloningMessages.ClonableObject> keys = memberKeys(0, "a1");
    assertEquals(1, keys.size(), "creategroup leaves the member key: " + keys);
    assertEquals(HaMemberKey.LABEL_PREFIX + "1" + sa, keys.get(0).label());
    ok("hagroup", "addmember", "-group", "pay", "-slot", "b1", "--cluster", "01", "-password", PW);
    assertEquals(1, memberKeys(1, "b1").size(), "addmember leaves it on the new member");

    // a second application server: its own client file, the same keyrings
    Path second = dir.resolve("second.conf");
    ClientConfig.read(conf).withoutHaGroup(0).write(second);
    Map<String, String> env2 = Map.of("KEYRING_CONFIG", second.toString());
    CliRun asked =
        CliRun.run(
            KeyringCm::run,
            env2,
            "hagroup",
            "creategroup",
            "-label",
            "web",
            "-slot",
            "a1",
            "-password",
            PW);
    assertEquals(2, asked.exit(), asked.toString());
    assertTrue(
        asked.err().contains("already carries the HA group member key of group 1" + sa),
        asked.toString());
    assertTrue(asked.err().contains("-existing copy, remove or quit"), asked.toString());
    CliRun quit =
        CliRun.run(
            KeyringCm::run,
            env2,
            "hagroup",
            "creategroup",
            "-label",
            "web",
            "-slot",
            "a1",
            "-password",
            PW,
            "-existing",
            "quit");
    assertEquals(0, quit.exit(), quit.toString());
    assertTrue(ClientConfig.read(second).haGroups().isEmpty(), "quit writes nothing");
    CliRun copy =
        CliRun.run(
            KeyringCm::run,
            env2,
            "hagroup",
            "creategroup",
            "-label",
            "web",
            "-slot",
            "a1",
            "-password",
            PW,
            "-existing",
            "copy");
    assertEquals(0, copy.exit(), copy.toString());
    assertTrue(copy.out().contains("this client shares group 1" + sa), copy.out());
    assertEquals("1" + sa, ClientConfig.read(second).haGroup("web").orElseThrow().serialNumber());
    assertEquals(keys, memberKeys(0, "a1"), "copy keeps the member key as it was");

    CliRun remove =
        CliRun.run(
            KeyringCm::run,
            env2,
            "hagroup",
            "creategroup",
            "-label",
            "fresh",
            "-slot",
            "a1",
            "-password",
            PW,
            "-existing",
            "remove");
    assertEquals(0, remove.exit(), remove.toString());
    List<CloningMessages.ClonableObject> after = memberKeys(0, "a1");
    assertEquals(1, after.size(), after.toString());
    assertFalse(after.get(0).objectId().equals(keys.get(0).objectId()), "a new member key");

    // the virtual slot neither lists nor replicates member keys
    ClientConfig cfg = ClientConfig.read(conf);
    try (ConfiguredClusters clients = new ConfiguredClusters(cfg);
        HaGroupChannel g = HaGroups.open(cfg, cfg.haGroup("pay").orElseThrow(), clients)) {
      g.login(Role.KRCO, PW);
      assertEquals(List.of(), g.findObjects(Attributes.empty()));
      assertEquals(0, g.synchronize().cloned());
    }
    assertEquals(1, memberKeys(1, "b1").size());
  }

  @Test
  void removeMemberAndDeleteGroup_removeTheMemberKeys_soCreateGroupThereAsksNothing()
      throws Exception {
    String sa = serial(0, "a1");
    String sb = serial(1, "b1");
    String key = HaMemberKey.LABEL_PREFIX + "1" + sa;
    ok("hagroup", "creategroup", "-label", "pay", "-slot", "a1", "-password", PW);
    ok("hagroup", "addmember", "-group", "pay", "-slot", "b1", "--cluster", "01", "-password", PW);
    generateThroughGroup("pay", "web");
    assertEquals(1, memberKeys(1, "b1").size());

    CliRun removed = ok("hagroup", "removemember", "-group", "pay", "-serial", sb, "-password", PW);
    System.out.println(
        "$ keyringcm hagroup removemember -group pay -serial " + sb + "\n" + removed.out());
    assertTrue(
        removed.out().contains("Member key " + key + " removed from member " + sb + " (b1)."),
        removed.out());
    assertEquals(List.of(), memberKeys(1, "b1"), "the member key left with b1");
    assertEquals(1, labelled(1, "b1", "web"), "b1's application key stays");
    assertEquals(1, memberKeys(0, "a1").size(), "a1 stays in the group with its member key");
    CliRun there =
        ok(
            "hagroup",
            "creategroup",
            "-label",
            "solo",
            "-slot",
            "b1",
            "--cluster",
            "01",
            "-password",
            PW);
    assertFalse(there.out().contains("Keeping"), there.out());

    CliRun deleted = ok("hagroup", "deletegroup", "-label", "pay", "-password", PW);
    assertTrue(deleted.out().contains("HA group pay deleted."), deleted.out());
    assertTrue(
        deleted.out().contains("Member key " + key + " removed from member " + sa + " (a1)."),
        deleted.out());
    assertEquals(List.of(), memberKeys(0, "a1"));
    assertEquals(1, labelled(0, "a1", "web"), "a1's application key stays");
    CliRun again = ok("hagroup", "creategroup", "-label", "pay2", "-slot", "a1", "-password", PW);
    assertTrue(again.out().contains("group number 1" + sa), "asked nothing: " + again.out());
    assertEquals(1, memberKeys(0, "a1").size(), "a new member key");
  }

  @Test
  void deleteGroup_withAMemberDown_deletesTheGroup_andNamesTheMemberKeepingItsKey()
      throws Exception {
    String sa = serial(0, "a1");
    String sb = serial(1, "b1");
    String number = "1" + sa;
    ok("hagroup", "creategroup", "-label", "pay", "-slot", "a1", "-password", PW);
    ok("hagroup", "addmember", "-group", "pay", "-slot", "b1", "--cluster", "01", "-password", PW);
    CliRun stillMember =
        cm(
            "hagroup",
            "removememberkey",
            "-serialnumber",
            sb,
            "-groupnumber",
            number,
            "-password",
            PW);
    assertEquals(KeyringCm.BAD_INPUT, stillMember.exit(), stillMember.toString());
    assertTrue(stillMember.err().contains("is a member of HA group 'pay' here"), stillMember.err());
    CliRun badNumber = cm("hagroup", "removememberkey", "-serialnumber", sb, "-groupnumber", "12");
    assertEquals(KeyringCm.BAD_INPUT, badNumber.exit(), badNumber.toString());
    assertTrue(badNumber.err().contains("-groupnumber must be 1 followed by"), badNumber.err());
    assertEquals(1, memberKeys(1, "b1").size(), "refusals remove nothing");
    CliRun wrong = cm("hagroup", "deletegroup", "-label", "pay", "-password", "not-the-password");
    assertEquals(KeyringCm.REFUSED, wrong.exit(), wrong.toString());
    assertTrue(wrong.err().contains("CKR_PIN_INCORRECT"), wrong.toString());
    assertTrue(ClientConfig.read(conf).haGroup("pay").isPresent(), "a wrong password: no change");
    assertEquals(1, memberKeys(0, "a1").size());

    b.stop();
    CliRun r = cm("hagroup", "deletegroup", "-label", "pay", "-password", PW, "--timeout", "5");
    System.out.println(
        "$ keyringcm hagroup deletegroup -label pay   # b1's cluster stopped\n"
            + r.out()
            + r.err());
    assertEquals(KeyringCm.REFUSED, r.exit(), r.toString());
    assertTrue(ClientConfig.read(conf).haGroups().isEmpty(), "the file changed: " + r);
    assertTrue(r.out().contains("HA group pay deleted."), r.toString());
    assertTrue(r.out().contains("removed from member " + sa + " (a1)"), r.toString());
    assertTrue(
        r.err()
            .contains(
                "member " + sb + " keeps its member key " + HaMemberKey.LABEL_PREFIX + number),
        r.toString());
    String later =
        "keyringcm hagroup removememberkey -serialnumber " + sb + " -groupnumber " + number;
    assertTrue(r.err().contains(later), r.toString());
    assertFalse(r.out().contains("Command Result : No Error"), r.toString());
    assertEquals(List.of(), memberKeys(0, "a1"));

    b.restart();
    CliRun removedLater =
        ok(
            "hagroup",
            "removememberkey",
            "-serialnumber",
            sb,
            "-groupnumber",
            number,
            "-password",
            PW);
    assertTrue(removedLater.out().contains("removed from member " + sb), removedLater.out());
    assertEquals(List.of(), memberKeys(1, "b1"));
    ok(
        "hagroup",
        "creategroup",
        "-label",
        "web",
        "-slot",
        "b1",
        "--cluster",
        "01",
        "-password",
        PW);
  }

  private void generateThroughGroup(String group, String label) throws Exception {
    ClientConfig cfg = ClientConfig.read(conf);
    try (ConfiguredClusters clients = new ConfiguredClusters(cfg);
        HaGroupChannel g = HaGroups.open(cfg, cfg.haGroup(group).orElseThrow(), clients)) {
      g.login(Role.KRCO, PW);
      g.generateKeyPair(
          KeyGenParams.ec(Curve.P256),
          Attributes.builder().label(label).build(),
          Attributes.builder().label(label).build());
    }
  }

  private List<CloningMessages.ClonableObject> memberKeys(int cluster, String keyring)
      throws Exception {
    try (KeyringClient k = KeyringClient.open(ClientConfig.read(conf), cluster);
        KeyringChannel s = k.openSession(keyring)) {
      s.login(Role.KRCO, PW);
      return HaMemberKey.markers(s.clonableObjects());
    }
  }

  private static void load(dev.keyring.provider.KeyringProvider provider, String slot)
      throws Exception {
    java.security.KeyStore ks = java.security.KeyStore.getInstance("Keyring", provider);
    ks.load(
        new java.io.ByteArrayInputStream(("slot=" + slot).getBytes(StandardCharsets.UTF_8)),
        PW.toCharArray());
  }

  private CliRun addMember(int cluster, String keyring, String... more) {
    String[] base = {
      "hagroup",
      "addmember",
      "-group",
      "pay",
      "-slot",
      keyring,
      "--cluster",
      String.format("%02d", cluster),
      "-password",
      PW
    };
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return cm(all);
  }

  /** How many keys (private or secret) labelled {@code label} the keyring holds. */
  private int labelled(int cluster, String keyring, String label) throws Exception {
    try (KeyringClient k = KeyringClient.open(ClientConfig.read(conf), cluster);
        KeyringChannel s = k.openSession(keyring)) {
      s.login(Role.KRCO, PW);
      int n = 0;
      for (CloningMessages.ClonableObject o : s.clonableObjects()) {
        if (o.label().equals(label) && !o.objectClass().equals("PUBLIC_KEY")) {
          n++;
        }
      }
      return n;
    }
  }
}
