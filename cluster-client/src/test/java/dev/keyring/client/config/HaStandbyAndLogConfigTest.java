package dev.keyring.client.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code VirtualTokenNNStandby} and the HA log keys of {@code HAConfiguration}. */
class HaStandbyAndLogConfigTest {
  private static final String TEXT =
      "# the application servers' client file\n"
          + "VirtualToken = {\n"
          + "   VirtualToken00Label = pay;\n"
          + "   VirtualToken00SN = 1211061551419;\n"
          + "   VirtualToken00Members = 211061551419,629620263835,555310472286;\n"
          + "   # kept\n"
          + "   VirtualToken00Standby = 555310472286;\n"
          + "   SomethingElse = kept;\n"
          + "}\n"
          + "HAConfiguration = {\n"
          + "   haLogStatus = enabled;\n"
          + "   HALogPath = /var/log/keyring;\n"
          + "   logLen = 4096;\n"
          + "}\n";

  private static ClientConfig parse(String text) {
    return ClientConfig.of(ConfigFile.parse(text, "Chrystoki.conf"));
  }

  @Test
  void standbyMembersAndLogSettingsAreRead() {
    ClientConfig c = parse(TEXT);
    HaGroupEntry g = c.haGroup("pay").orElseThrow();
    assertEquals(List.of("555310472286"), g.standbySerials());
    assertEquals(List.of("211061551419", "629620263835"), g.activeSerials());
    HaLogSettings log = c.haLog();
    assertTrue(log.enabled());
    assertEquals(Optional.of(Path.of("/var/log/keyring")), log.directory());
    assertFalse(log.toStdout());
    assertEquals(4096, log.maxLength());
    assertTrue(c.haSettings().logEnabled());
  }

  @Test
  void writingKeepsCommentsAndOtherEntriesAndDropsAnEmptyStandbyList() {
    ClientConfig c = parse(TEXT);
    HaGroupEntry g = c.haGroup("pay").orElseThrow();
    String text = c.withHaGroup(g.withStandby(List.of())).file().render();
    assertFalse(text.contains("Standby"), text);
    assertTrue(text.contains("# kept") && text.contains("SomethingElse = kept"), text);
    ClientConfig back = parse(text).withHaGroup(g.withStandby(List.of("629620263835")));
    assertEquals(
        List.of("629620263835"), parse(back.file().render()).haGroup("pay").get().standbySerials());
    // a member removed from the group leaves the standby list too
    HaGroupEntry fewer = g.withMembers(List.of("211061551419", "629620263835"));
    assertEquals(List.of(), fewer.standbySerials());
  }

  @Test
  void logSettingsAreWrittenAndReadBack() {
    ClientConfig c = parse(TEXT);
    HaLogSettings next = new HaLogSettings(true, Optional.empty(), true, 1L << 20);
    String text = c.withHaLog(next).file().render();
    assertFalse(text.contains("HALogPath"), text);
    assertTrue(text.contains("haLogToStdout = enabled"), text);
    assertEquals(next, parse(text).haLog());
    assertEquals(HaLogSettings.NONE, parse("HAConfiguration = {\n}\n").haLog());
  }

  @Test
  void badStandbyListsAndLogValuesAreRefusedWithTheRule() {
    ConfigFileException notMember =
        assertThrows(
            ConfigFileException.class, () -> parse(TEXT.replace("Standby = 555", "Standby = 777")));
    assertTrue(
        notMember.getMessage().contains("is not a member of HA group 'pay'"),
        notMember.getMessage());
    ConfigFileException allStandby =
        assertThrows(
            ConfigFileException.class,
            () ->
                parse(
                    TEXT.replace(
                        "Standby = 555310472286",
                        "Standby = 211061551419,629620263835,555310472286")));
    assertTrue(
        allStandby.getMessage().contains("at least one active member"), allStandby.getMessage());
    ConfigFileException len =
        assertThrows(ConfigFileException.class, () -> parse(TEXT.replace("4096", "12")));
    assertTrue(
        len.getMessage().contains("'logLen' in section 'HAConfiguration' must be"),
        len.getMessage());
    ConfigFileException stdout =
        assertThrows(
            ConfigFileException.class,
            () -> parse(TEXT.replace("logLen = 4096;", "haLogToStdout = maybe;")));
    assertTrue(stdout.getMessage().contains("enabled or disabled"), stdout.getMessage());
  }
}
