package dev.keyring.e2e.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.e2e.tls.PeerTool;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.tomcat.TomcatHttpsSample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.Security;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDK's {@code keytool} with {@code -providerPath} naming the one jar ({@code
 * keyring-provider-all.jar}) and nothing else, as docs/integrations.md shows it: {@code -list -v}
 * lists the keyring's key with a certificate and the one without as {@code PrivateKeyEntry}.
 */
class KeytoolProviderAllTest {
  private static final String PASSWORD = "keytool-test-pw-1";
  private static final Pattern ENTRY =
      Pattern.compile("Alias name: (\\S+)\\R(?:.*\\R)*?Entry type: (\\S+)");

  @TempDir Path dir;

  @Test
  void keytoolListVerbose_withTheOneJarOnly_showsPrivateKeyEntries() throws Exception {
    Path oneJar = Path.of(System.getProperty("keyring.provider-all.jar", "(unset)"));
    if (!Files.isRegularFile(oneJar)) {
      fail(oneJar + " is missing: build it first (mvn -B install -pl provider-all)");
    }
    try (LocalCluster cluster = WatchedClusters.start(dir.resolve("home"))) {
      cluster.createKeyring("tools", PASSWORD);
      Path slotFile = cluster.writeSlotFile("tools");
      KeyringProvider provider = new KeyringProvider(cluster.clientConfig());
      Security.addProvider(provider);
      try {
        TomcatHttpsSample.ensureServerKey(slotFile, PASSWORD, "web");
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA", provider);
        rsa.initialize(
            KeyringKeyGenParameterSpec.builder().label("bare-rsa").keySize(2048).build());
        rsa.generateKeyPair();
      } finally {
        Security.removeProvider(KeyringProvider.NAME);
        provider.close();
      }
      Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
      PeerTool.Run run =
          PeerTool.run(
              dir,
              "",
              List.of(
                  keytool.toString(),
                  "-list",
                  "-v",
                  "-storetype",
                  "Keyring",
                  "-keystore",
                  slotFile.toString(),
                  "-storepass",
                  PASSWORD,
                  "-providerClass",
                  "dev.keyring.provider.KeyringProvider",
                  "-providerArg",
                  cluster.clientConfig().toString(),
                  "-providerPath",
                  oneJar.toString()));
      assertEquals(0, run.exit(), run.transcript());
      assertTrue(run.out().contains("Keystore provider: Keyring"), run.transcript());
      Map<String, String> types = new TreeMap<>();
      Matcher m = ENTRY.matcher(run.out());
      while (m.find()) {
        types.put(m.group(1), m.group(2));
      }
      assertEquals(
          Map.of("bare-rsa", "PrivateKeyEntry", "web", "PrivateKeyEntry"), types, run.transcript());
      assertTrue(run.out().contains("Owner: CN=localhost"), run.transcript());
    }
  }
}
