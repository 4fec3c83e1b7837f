package dev.keyring.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The layout of {@code dist/keyring-VERSION/}, its launchers, and the one-jar provider. */
class DistributionIT {

  @ParameterizedTest
  @ValueSource(strings = {"keyring-sim", "keyring-register", "keyringcm"})
  void launcher_help_printsUsage_exitsZero_quietly(String tool) throws Exception {
    Path bin = DistHome.home().resolve("bin").resolve(tool);
    assertTrue(
        Files.getPosixFilePermissions(bin).contains(PosixFilePermission.OWNER_EXECUTE),
        bin + " is not executable");
    assertTrue(Files.readString(bin).startsWith("#!/bin/sh\n"), bin + " is not a POSIX sh script");
    DistHome.Run r = DistHome.run(tool, Map.of(), "--help");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().startsWith("Usage: " + tool), r.toString());
    assertFalse(r.err().contains("SLF4J"), "the logging backend is not set up:\n" + r);
  }

  @Test
  void keyringSim_quickstartHelp_namesItsOptions() throws Exception {
    DistHome.Run r = DistHome.run("keyring-sim", Map.of(), "quickstart", "--help");
    assertEquals(0, r.exit(), r.toString());
    for (String option : List.of("--data", "--keyring", "--password", "--admin-port")) {
      assertTrue(r.out().contains(option), option + " missing:\n" + r);
    }
  }

  @Test
  void launcher_withJavaHomeWithoutJava_saysSo_exitsTwo() throws Exception {
    DistHome.Run r = DistHome.run("keyringcm", Map.of("JAVA_HOME", "/nonexistent-jdk"), "--help");
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("JAVA_HOME is set to '/nonexistent-jdk'"), r.toString());
  }

  @Test
  void launcher_throughASymbolicLink_findsItsHome() throws Exception {
    Path link = Files.createTempDirectory("keyring-bin").resolve("keyring-sim");
    Files.createSymbolicLink(link, DistHome.home().resolve("bin/keyring-sim"));
    DistHome.Run r = DistHome.exec(List.of(link.toString(), "--version"), Map.of());
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().startsWith("keyring-sim"), r.toString());
  }

  @Test
  void providerAll_holdsNoUnrelocatedDependency() throws Exception {
    Path jar = DistHome.home().resolve("lib/keyring-provider-all.jar");
    Path jarTool = Path.of(System.getProperty("java.home"), "bin", "jar");
    DistHome.Run r = DistHome.exec(List.of(jarTool.toString(), "tf", jar.toString()), Map.of());
    assertEquals(0, r.exit(), r.toString());
    List<String> entries = r.out().lines().toList();
    List<String> unrelocated =
        entries.stream()
            .filter(
                e ->
                    e.startsWith("okhttp3/")
                        || e.startsWith("okio/")
                        || e.startsWith("kotlin/")
                        || e.startsWith("com/fasterxml/")
                        || e.startsWith("org/bouncycastle/"))
            .toList();
    assertEquals(List.of(), unrelocated);
    Set<String> expected =
        Set.of(
            "dev/keyring/provider/KeyringProvider.class",
            "dev/keyring/shaded/okhttp3/OkHttpClient.class",
            "dev/keyring/shaded/kotlin/Unit.class",
            "dev/keyring/shaded/com/fasterxml/jackson/databind/ObjectMapper.class",
            "META-INF/services/java.security.Provider");
    for (String e : expected) {
      assertTrue(entries.contains(e), e + " missing from " + jar);
    }
    for (String e : entries) {
      assertTrue(
          e.startsWith("dev/keyring/") || e.startsWith("META-INF/") || e.equals("dev/"),
          "an entry outside dev/keyring and META-INF: " + e);
    }
  }

  @Test
  void tarball_unpacksToTheSameTree() throws Exception {
    Path home = DistHome.home();
    Path tgz = home.resolveSibling(home.getFileName() + ".tar.gz");
    DistHome.Run r = DistHome.exec(List.of("tar", "tzvf", tgz.toString()), Map.of());
    assertEquals(0, r.exit(), r.toString());
    String base = home.getFileName().toString();
    assertTrue(
        r.out()
            .lines()
            .anyMatch(l -> l.startsWith("-rwxr-xr-x") && l.endsWith(base + "/bin/keyring-sim")),
        r.out());
    assertTrue(r.out().contains(base + "/lib/keyring-provider-all.jar"), r.out());
    assertTrue(r.out().contains(base + "/conf/simplelogger.properties"), r.out());
  }
}
