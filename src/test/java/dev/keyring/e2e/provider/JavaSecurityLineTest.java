package dev.keyring.e2e.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.config.JavaSecurityConfigured;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider installed by a {@code java.security} line alone, in a separate JVM: {@code
 * security.provider.N=Keyring <config path>} makes the JDK find it by name (ServiceLoader) and call
 * {@code configure(path)}.
 */
class JavaSecurityLineTest {
  private static final String PASSWORD = "line-password-1";

  @Test
  void providerLine_configuresTheProvider_inAnotherJvm(@TempDir Path dir) throws Exception {
    try (LocalCluster cluster = WatchedClusters.start(dir)) {
      cluster.createKeyring("line", PASSWORD);
      KeyringProvider p = new KeyringProvider(cluster.clientConfig());
      try {
        KeyStore ks = KeyStore.getInstance("Keyring", p);
        ks.load(cluster.slotProperties("line"), PASSWORD.toCharArray());
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", p);
        g.initialize(KeyringKeyGenParameterSpec.builder().label("app-key").build());
        g.generateKeyPair();
      } finally {
        p.close();
      }
      Path props = dir.resolve("java.security.extra");
      Files.writeString(
          props,
          // the next free position: the JDK reads security.provider.N up to the first gap
          "security.provider."
              + (java.security.Security.getProviders().length + 1)
              + "=Keyring "
              + cluster.clientConfig()
              + "\n",
          StandardCharsets.UTF_8);
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add("-Djava.security.properties=" + props);
      cmd.add(JavaSecurityConfigured.class.getName());
      cmd.add(cluster.writeSlotFile("line").toString());
      cmd.add(PASSWORD);
      cmd.add("app-key");
      Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      boolean done = proc.waitFor(120, TimeUnit.SECONDS);
      String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!done) {
        proc.destroyForcibly();
      }
      assertTrue(done, "the child JVM did not finish:\n" + out);
      assertEquals(0, proc.exitValue(), out);
      assertTrue(out.contains("provider Keyring configured=true"), out);
      assertTrue(out.contains("aliases [app-key]"), out);
      assertTrue(out.contains("signed by Keyring with private key EC 256 bits"), out);
      assertEquals(0, cluster.cluster().member(0).openSessions(), "sessions left open");
    }
  }
}
