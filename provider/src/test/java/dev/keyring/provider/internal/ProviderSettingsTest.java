package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProviderSettingsTest {
  @TempDir Path dir;

  private Path write(String text) throws Exception {
    Path f = dir.resolve("Chrystoki.conf");
    Files.writeString(f, text);
    return f;
  }

  private static String clients(String extra) {
    return "LunaSA Client = {\n"
        + "   LNHServer00 = 127.0.0.1:50052;\n"
        + "   LNHServerClientCert00 = /x/c.pem;\n"
        + "   LNHServerClientKey00 = /x/k.pem;\n"
        + "   LNHServerCAFile00 = /x/ca.pem;\n"
        + "   LNHServerCN00 = LNH-1;\n"
        + "}\n"
        + extra;
  }

  @Test
  void read_withProviderSection_takesDefaultSlotAndCluster() throws Exception {
    ProviderSettings s =
        ProviderSettings.read(
            write(
                clients(
                    "Keyring Provider = {\n DefaultSlot = app100;\n DefaultCluster = 00;\n}\n")));
    assertEquals("app100", s.defaultSlot().orElseThrow());
    assertEquals(0, s.defaultCluster());
  }

  @Test
  void read_withoutProviderSection_hasNoDefaultSlot_andTheFirstCluster() throws Exception {
    ProviderSettings s = ProviderSettings.read(write(clients("")));
    assertTrue(s.defaultSlot().isEmpty());
    assertEquals(0, s.defaultCluster());
  }

  @Test
  void read_missingFile_saysToRegister() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ProviderSettings.read(dir.resolve("none.conf")));
    assertTrue(e.getMessage().contains("keyring-register"), e.getMessage());
  }

  @Test
  void read_withNoCluster_isRefused() throws Exception {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ProviderSettings.read(write("Keyring Provider = {\n DefaultSlot = a;\n}\n")));
    assertTrue(e.getMessage().contains("registers no cluster"), e.getMessage());
  }

  @Test
  void read_unknownKey_isNamed() throws Exception {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ProviderSettings.read(
                    write(clients("Keyring Provider = {\n DefaultSlott = a;\n}\n"))));
    assertTrue(e.getMessage().contains("DefaultSlott"), e.getMessage());
  }

  @Test
  void read_unregisteredDefaultCluster_isRefusedWithTheRegisteredOnes() throws Exception {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ProviderSettings.read(
                    write(clients("Keyring Provider = {\n DefaultCluster = 03;\n}\n"))));
    assertTrue(e.getMessage().contains("03") && e.getMessage().contains("00"), e.getMessage());
  }

  @Test
  void read_generators_yesByDefault_noWhenSaid_elseRefused() throws Exception {
    assertTrue(ProviderSettings.read(write(clients(""))).generators());
    assertTrue(
        !ProviderSettings.read(write(clients("Keyring Provider = {\n Generators = no;\n}\n")))
            .generators());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ProviderSettings.read(
                    write(clients("Keyring Provider = {\n Generators = maybe;\n}\n"))));
    assertTrue(e.getMessage().contains("maybe"), e.getMessage());
  }

  @Test
  void read_keysOfTheProviderSection_areReadWithoutRegardToCase_asEverywhereInTheFile()
      throws Exception {
    ProviderSettings s =
        ProviderSettings.read(
            write(
                clients(
                    "keyring provider = {\n defaultslot = app;\n DEFAULTCLUSTER = 00;\n"
                        + " generators = no;\n}\n")));
    assertEquals("app", s.defaultSlot().orElseThrow());
    assertEquals(0, s.defaultCluster());
    assertFalse(s.generators());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"KeyringProvider", "Keyring Providers", "Keyring-Provider", "Keyrng Provider"})
  void read_aMisspeltProviderSection_isRefused_namingIt(String section) throws Exception {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ProviderSettings.read(write(clients(section + " = {\n Generators = no;\n}\n"))));
    assertTrue(e.getMessage().contains("section '" + section + "'"), e.getMessage());
    assertTrue(e.getMessage().contains("'Keyring Provider'"), e.getMessage());
  }

  @Test
  void parseClusterIndex_acceptsOneOrTwoDigits_only() {
    assertEquals(7, ProviderSettings.parseClusterIndex("07", "x"));
    assertEquals(7, ProviderSettings.parseClusterIndex("7", "x"));
    assertThrows(
        IllegalArgumentException.class, () -> ProviderSettings.parseClusterIndex("10", "x"));
    assertThrows(
        IllegalArgumentException.class, () -> ProviderSettings.parseClusterIndex("a", "x"));
  }
}
