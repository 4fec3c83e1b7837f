package dev.keyring.client.config;

import static dev.keyring.client.config.Fixtures.chrystokiConf;
import static dev.keyring.client.config.Fixtures.withLinesAfter;
import static dev.keyring.client.config.Fixtures.withoutLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientConfigTest {
  private static final String TEXT = chrystokiConf();
  private static final ClientConfig CONFIG =
      ClientConfig.of(ConfigFile.parse(TEXT, "Chrystoki.conf"));

  private static final String CERT_ROOT = "/usr/safenet/lunaclient/cert/";

  private static ClusterEntry entry(int index, String host, int port) {
    return new ClusterEntry(
        index,
        host,
        port,
        Path.of(CERT_ROOT + "client/c" + index + "/client.pem"),
        Path.of(CERT_ROOT + "client/c" + index + "/clientKey.pem"),
        Path.of(CERT_ROOT + "server/c" + index + "/lnh_ca.pem"),
        "lnh.example.net");
  }

  private static ClientConfig parse(String text) {
    return ClientConfig.of(ConfigFile.parse(text, "Chrystoki.conf"));
  }

  // ---- clusters ----

  @Test
  void clusters_areReadFromLunaSaClientSection_inIndexOrder() {
    String dir = CERT_ROOT + "client/7d0c5d2e-1f47-4b8a-9a51-0e6f3c2b9d10/";
    ClusterEntry first =
        new ClusterEntry(
            0,
            "10.20.0.11",
            50052,
            Path.of(dir + "payments-01.pem"),
            Path.of(dir + "payments-01Key.pem"),
            Path.of(CERT_ROOT + "server/7d0c5d2e-1f47-4b8a-9a51-0e6f3c2b9d10/lnh_ca.pem"),
            "lnh.example.net");
    assertEquals(2, CONFIG.clusters().size());
    assertEquals(first, CONFIG.clusters().get(0));
    assertEquals(1, CONFIG.clusters().get(1).index());
    assertEquals("hsm-dub.example.net", CONFIG.clusters().get(1).host());
  }

  @Test
  void clusters_withoutPort_useDefault50052_andKeepAnExplicitPort() {
    ClientConfig cfg = CONFIG.withCluster(entry(2, "10.9.9.9", 1792));
    assertEquals(50052, CONFIG.clusters().get(1).port());
    assertEquals(1792, cfg.cluster(2).orElseThrow().port());
    assertEquals(Optional.of("10.9.9.9:1792"), cfg.file().get("LunaSA Client", "LNHServer02"));
  }

  @Test
  void clusters_acceptIpv6Addresses_withOrWithoutBrackets() {
    String text = clusterText(0, "[fd00::5]:1792") + clusterText(1, "fd00::6");
    ClientConfig cfg = parse("LunaSA Client = {\n" + text + "}\n");
    assertEquals("fd00::5", cfg.clusters().get(0).host());
    assertEquals(1792, cfg.clusters().get(0).port());
    assertEquals("[fd00::5]:1792", cfg.clusters().get(0).server());
    assertEquals("fd00::6", cfg.clusters().get(1).host());
    assertEquals(50052, cfg.clusters().get(1).port());
  }

  private static String clusterText(int i, String server) {
    String n = String.format("%02d", i);
    return "  LNHServer"
        + n
        + " = "
        + server
        + ";\n  LNHServerClientCert"
        + n
        + " = /c.pem;\n  LNHServerClientKey"
        + n
        + " = /k.pem;\n  LNHServerCAFile"
        + n
        + " = /ca.pem;\n  LNHServerCN"
        + n
        + " = cn;\n";
  }

  @Test
  void clusters_keysInAnyCase_areRecognised() {
    ClientConfig cfg = parse("lunasa client = {\n" + clusterText(4, "h:1").toLowerCase() + "}\n");
    assertEquals(4, cfg.clusters().get(0).index());
  }

  @Test
  void clusters_incompleteEntry_isAnErrorNamingTheMissingKeyAndIndex() {
    String text = withoutLine(TEXT, "LNHServerCAFile01");
    ConfigFileException e = assertThrows(ConfigFileException.class, () -> parse(text));
    assertEquals(
        "Chrystoki.conf:38: cluster 01 in section 'LunaSA Client' is incomplete:"
            + " LNHServerCAFile01 is missing (each cluster needs LNHServer01,"
            + " LNHServerClientCert01, LNHServerClientKey01, LNHServerCAFile01, LNHServerCN01)",
        e.getMessage());
  }

  @Test
  void clusters_emptyValue_isAnErrorNamingTheKey() {
    String text = TEXT.replace("LNHServerCN00 = lnh.example.net;", "LNHServerCN00 = ;");
    ConfigFileException e = assertThrows(ConfigFileException.class, () -> parse(text));
    assertTrue(
        e.getMessage()
            .startsWith(
                "Chrystoki.conf:36: cluster 00 in section 'LunaSA Client' is"
                    + " incomplete: LNHServerCN00 is empty"),
        e.getMessage());
  }

  @Test
  void clusters_indexOutsideTwoDigits00To09_isAnError() {
    for (String key : List.of("LNHServer10", "LNHServer1", "LNHServerCN123")) {
      ConfigFileException e =
          assertThrows(
              ConfigFileException.class, () -> parse("LunaSA Client = {\n  " + key + " = x;\n}\n"));
      assertTrue(
          e.getMessage().startsWith("Chrystoki.conf:2: '" + key + "' has cluster index"),
          e.getMessage());
      assertTrue(e.getMessage().endsWith("indexes are two digits, 00-09"), e.getMessage());
    }
  }

  @Test
  void clusters_badPort_isAnErrorNamingTheLine() {
    ConfigFileException e =
        assertThrows(
            ConfigFileException.class,
            () -> parse("LunaSA Client = {\n" + clusterText(0, "h:70000") + "}\n"));
    assertEquals(
        "Chrystoki.conf:2: 'LNHServer00 = h:70000' is not host:port: the port must be a number"
            + " 1-65535, got '70000'",
        e.getMessage());
  }

  @Test
  void nextFreeIndex_fillsPositions00To09InOrder_thenReportsThatAllAreInUse() {
    ClientConfig cfg = ClientConfig.of(ConfigFile.parse(""));
    for (int expected = 0; expected < 10; expected++) {
      int index = cfg.nextFreeIndex();
      assertEquals(expected, index);
      cfg = cfg.withCluster(entry(index, "10.0.0." + (index + 1), 50052));
    }
    assertEquals(10, cfg.clusters().size());
    ClientConfig full = cfg;
    IllegalStateException e = assertThrows(IllegalStateException.class, full::nextFreeIndex);
    assertEquals(
        "all 10 cluster positions (00-09) are in use; remove one from the LunaSA Client section"
            + " first",
        e.getMessage());
    assertEquals(3, full.withoutCluster(3).nextFreeIndex());
  }

  @Test
  void withCluster_addsItsFiveKeysAtTheEndOfTheSection_andChangesNothingElse() {
    ClientConfig cfg = CONFIG.withCluster(entry(CONFIG.nextFreeIndex(), "10.30.0.7", 50052));
    String added =
        "    LNHServer02 = 10.30.0.7:50052;\n"
            + "    LNHServerClientCert02 = /usr/safenet/lunaclient/cert/client/c2/client.pem;\n"
            + "    LNHServerClientKey02 = /usr/safenet/lunaclient/cert/client/c2/clientKey.pem;\n"
            + "    LNHServerCAFile02 = /usr/safenet/lunaclient/cert/server/c2/lnh_ca.pem;\n"
            + "    LNHServerCN02 = lnh.example.net;\n";
    assertEquals(
        withLinesAfter(TEXT, "LNHServerCN01 = lnh.example.net;", added), cfg.file().render());
    assertEquals(entry(2, "10.30.0.7", 50052), cfg.cluster(2).orElseThrow());
    assertEquals(TEXT, CONFIG.file().render());
  }

  @Test
  void withCluster_onOccupiedPosition_isRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> CONFIG.withCluster(entry(0, "10.1.1.1", 50052)));
    assertEquals(
        "cluster position 00 is already in use by 10.20.0.11:50052; remove it first"
            + " (withoutCluster(0)) or use nextFreeIndex()",
        e.getMessage());
  }

  @Test
  void withCluster_withoutLunaSaClientSection_createsIt() {
    ClientConfig cfg = parse("Luna = {\n  DefaultTimeOut = 500000;\n}\n");
    ClientConfig added = cfg.withCluster(entry(0, "h", 50052));
    assertEquals(List.of("Luna", "LunaSA Client"), added.file().sections());
    String rendered = added.file().render();
    assertTrue(
        rendered.startsWith(
            "Luna = {\n  DefaultTimeOut = 500000;\n}\n\nLunaSA Client = {\n  LNHServer00 = h:50052;\n"),
        rendered);
  }

  @Test
  void withoutCluster_removesItsFiveLines_andKeepsCommentsAndOtherClusters() {
    ClientConfig cfg = CONFIG.withoutCluster(1);
    String expected = TEXT;
    for (String key :
        List.of(
            "LNHServer01 =",
            "LNHServerClientCert01",
            "LNHServerClientKey01",
            "LNHServerCAFile01",
            "LNHServerCN01")) {
      expected = withoutLine(expected, key);
    }
    assertEquals(expected, cfg.file().render());
    assertEquals(List.of(CONFIG.clusters().get(0)), cfg.clusters());
    assertTrue(cfg.file().render().contains("// cluster 01: Dublin"));
  }

  @Test
  void withoutCluster_freePosition_returnsTheSameConfig() {
    assertSame(CONFIG, CONFIG.withoutCluster(7));
    assertThrows(IllegalArgumentException.class, () -> CONFIG.withoutCluster(10));
  }

  @Test
  void clusterEntry_rejectsOutOfRangeValues_withTheRuleInTheMessage() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> entry(10, "h", 50052));
    assertEquals("cluster index must be 0-9 (00-09), got 10", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> entry(0, "h", 0));
    assertEquals("port must be 1-65535, got 0", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> entry(0, "two words", 1));
    assertThrows(IllegalArgumentException.class, () -> entry(0, "[::1]", 1));
  }

  // ---- HA groups ----

  @Test
  void haGroups_areReadFromVirtualToken_withLabelSerialAndMembers() {
    assertEquals(
        List.of(
            new HaGroupEntry(
                0, "payments", "1154438865287", List.of("154438865287", "1238700701509"))),
        CONFIG.haGroups());
    assertEquals(Optional.of(CONFIG.haGroups().get(0)), CONFIG.haGroup("PAYMENTS"));
  }

  @Test
  void withHaGroup_existingIndex_replacesValuesInPlace() {
    HaGroupEntry grown =
        new HaGroupEntry(
            0,
            "payments",
            "1154438865287",
            List.of("154438865287", "1238700701509", "1238700701510"));
    ClientConfig cfg = CONFIG.withHaGroup(grown);
    assertEquals(
        TEXT.replace(
            "VirtualToken00Members = 154438865287,1238700701509;",
            "VirtualToken00Members = 154438865287,1238700701509,1238700701510;"),
        cfg.file().render());
    assertEquals(List.of(grown), cfg.haGroups());
  }

  @Test
  void withHaGroup_newIndex_isAddedAtTheEndOfVirtualToken() {
    HaGroupEntry second = new HaGroupEntry(1, "ledger", "1500100200", List.of("500100200"));
    ClientConfig cfg = CONFIG.withHaGroup(second);
    assertEquals(
        withLinesAfter(
            TEXT,
            "VirtualTokenActiveRecovery = activeEnhanced;",
            "   VirtualToken01Label = ledger;\n"
                + "   VirtualToken01SN = 1500100200;\n"
                + "   VirtualToken01Members = 500100200;\n"),
        cfg.file().render());
    assertEquals(2, cfg.haGroups().size());
    assertEquals(TEXT, cfg.withoutHaGroup(1).file().render());
  }

  @Test
  void withHaGroup_labelUsedByAnotherIndex_isRefused() {
    HaGroupEntry clash = new HaGroupEntry(3, "Payments", "1999", List.of("999"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CONFIG.withHaGroup(clash));
    assertEquals(
        "HA group label 'Payments' is already used by VirtualToken00; labels must be unique",
        e.getMessage());
  }

  @Test
  void haGroupEntry_refusesTheReservedLabelHa_andNonDigitSerials() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> new HaGroupEntry(0, "HA", "1", List.of()));
    assertEquals("HA group label 'HA' is reserved; choose another label", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new HaGroupEntry(0, "g", "12a", List.of()));
    assertThrows(
        IllegalArgumentException.class, () -> new HaGroupEntry(0, "g", "1", List.of("5", "5")));
  }

  @Test
  void haGroups_incompleteGroup_isAnErrorNamingTheMissingKey() {
    String text = withoutLine(TEXT, "VirtualToken00SN");
    ConfigFileException e = assertThrows(ConfigFileException.class, () -> parse(text));
    assertEquals(
        "Chrystoki.conf:51: HA group 00 in section 'VirtualToken' is incomplete:"
            + " VirtualToken00SN is missing (each group needs its Label, SN and Members)",
        e.getMessage());
  }

  @Test
  void haGroups_badMemberList_isAnError() {
    String text = TEXT.replace("154438865287,1238700701509;", "154438865287,,1238700701509;");
    ConfigFileException e = assertThrows(ConfigFileException.class, () -> parse(text));
    assertTrue(
        e.getMessage()
            .startsWith("Chrystoki.conf:53: 'VirtualToken00Members' has an empty place between"),
        e.getMessage());
  }

  // ---- HA settings ----

  @Test
  void haSettings_areReadFromHaConfiguration() {
    assertEquals(
        new HaSettings(true, true, OptionalInt.of(-1), Optional.of(Duration.ofSeconds(60))),
        CONFIG.haSettings());
  }

  @Test
  void haSettings_withoutSection_readAsNone() {
    assertEquals(HaSettings.NONE, parse("Luna = {\n}\n").haSettings());
  }

  @Test
  void withHaSettings_writesOnlyTheKeysThatChange() {
    ClientConfig cfg =
        CONFIG.withHaSettings(
            CONFIG.haSettings().withAutoReconnectInterval(Duration.ofSeconds(30)));
    assertEquals(
        TEXT.replace("AutoReconnectInterval = 60;", "AutoReconnectInterval = 30;"),
        cfg.file().render());
    assertSame(CONFIG, CONFIG.withHaSettings(CONFIG.haSettings()));
  }

  @Test
  void withHaSettings_emptyOptional_removesTheKey() {
    HaSettings s =
        new HaSettings(true, true, OptionalInt.empty(), Optional.of(Duration.ofSeconds(60)));
    assertEquals(withoutLine(TEXT, "reconnAtt"), CONFIG.withHaSettings(s).file().render());
  }

  @Test
  void withHaSettings_onFileWithoutSection_createsIt() {
    ClientConfig cfg =
        parse("").withHaSettings(HaSettings.NONE.withHaOnly(true).withReconnectAttempts(10));
    assertEquals(
        "HAConfiguration = {\n   HAOnly = 1;\n   reconnAtt = 10;\n}\n", cfg.file().render());
    assertEquals(OptionalInt.of(10), ClientConfig.of(cfg.file()).haSettings().reconnectAttempts());
  }

  @Test
  void haSettings_badValues_areErrorsNamingKeyRuleAndValue() {
    ConfigFileException e =
        assertThrows(
            ConfigFileException.class, () -> parse("HAConfiguration = {\n HAOnly = maybe;\n}"));
    assertEquals(
        "Chrystoki.conf:2: 'HAOnly' in section 'HAConfiguration' must be 1 or 0, got 'maybe'",
        e.getMessage());
    e =
        assertThrows(
            ConfigFileException.class,
            () -> parse("HAConfiguration = {\n AutoReconnectInterval = 0;\n}"));
    assertEquals(
        "Chrystoki.conf:2: 'AutoReconnectInterval' in section 'HAConfiguration' must be a number"
            + " of seconds ≥ 1, got '0'",
        e.getMessage());
    IllegalArgumentException iae =
        assertThrows(
            IllegalArgumentException.class,
            () -> HaSettings.NONE.withAutoReconnectInterval(Duration.ZERO));
    assertEquals(
        "autoReconnectInterval must be a whole number of seconds ≥ 1 s, got PT0S",
        iae.getMessage());
  }

  @Test
  void read_parsesAndInterpretsAFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("Chrystoki.conf");
    Files.writeString(file, TEXT);
    ClientConfig cfg = ClientConfig.read(file);
    assertEquals(2, cfg.clusters().size());
    cfg.withoutCluster(0).write(file);
    assertEquals(
        List.of(1), ClientConfig.read(file).clusters().stream().map(ClusterEntry::index).toList());
  }

  @Test
  void defaultPath_isTheFileNamedByKeyringConfig_whenSet() {
    assertEquals(
        Path.of("/etc/keyring/Chrystoki.conf"),
        ClientConfig.defaultPath(
            java.util.Map.of("KEYRING_CONFIG", "/etc/keyring/Chrystoki.conf", "HOME", "/home/a")));
  }

  @Test
  void defaultPath_isUnderHome_whenKeyringConfigIsUnsetOrBlank() {
    Path expected = Path.of("/home/a", ".keyring", "Chrystoki.conf");
    assertEquals(expected, ClientConfig.defaultPath(java.util.Map.of("HOME", "/home/a")));
    assertEquals(
        expected,
        ClientConfig.defaultPath(java.util.Map.of("KEYRING_CONFIG", " ", "HOME", "/home/a")));
  }
}
