package dev.keyring.e2e.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.signing.JarSigningSample;
import dev.keyring.samples.signing.JarSigningSample.ToolRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.KeyGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDK's {@code keytool -list -v}, run as a child process with {@code -providerClass} and {@code
 * -providerPath}, names each keyring entry by what its key is: a private key without a certificate
 * is a {@code PrivateKeyEntry} (the JDK's default {@code entryInstanceOf} would call it a {@code
 * SecretKeyEntry}), a secret key a {@code SecretKeyEntry}.
 */
class KeytoolListEntryTypeTest {
  private static final Pattern ENTRY =
      Pattern.compile("Alias name: (\\S+)\\R(?:.*\\R)*?Entry type: (\\S+)");

  @TempDir static Path dir;
  static LocalCluster cluster;
  static JarSigningSample tools;

  @BeforeAll
  static void start() throws Exception {
    cluster = WatchedClusters.start(dir);
    cluster.createKeyring(JarSigningSample.KEYRING, JarSigningSample.PASSWORD);
    Path slotFile = cluster.writeSlotFile(JarSigningSample.KEYRING);
    tools =
        new JarSigningSample(
            cluster.clientConfig(),
            slotFile,
            Files.createDirectories(dir.resolve("work")),
            Duration.ofMinutes(3));
    KeyringProvider p = new KeyringProvider(cluster.clientConfig());
    try {
      KeyStore ks = KeyStore.getInstance("Keyring", p);
      ks.load(
          cluster.slotProperties(JarSigningSample.KEYRING),
          JarSigningSample.PASSWORD.toCharArray());
      KeyPairGenerator ec = KeyPairGenerator.getInstance("EC", p);
      ec.initialize(KeyringKeyGenParameterSpec.builder().label("bare-ec").build());
      ec.generateKeyPair();
      KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA", p);
      rsa.initialize(KeyringKeyGenParameterSpec.builder().label("bare-rsa").keySize(2048).build());
      rsa.generateKeyPair();
      KeyGenerator aes = KeyGenerator.getInstance("AES", p);
      aes.init(KeyringKeyGenParameterSpec.builder().label("aes").keySize(256).build());
      aes.generateKey();
    } finally {
      p.close();
    }
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void keytoolListVerbose_showsAPrivateKeyWithoutCertificate_asPrivateKeyEntry() throws Exception {
    ToolRun run = tools.keytool("-list", "-v").requireSuccess();
    Map<String, String> types = new TreeMap<>();
    Matcher m = ENTRY.matcher(run.output());
    while (m.find()) {
      types.put(m.group(1), m.group(2));
    }
    assertEquals(
        Map.of(
            "aes", "SecretKeyEntry", "bare-ec", "PrivateKeyEntry", "bare-rsa", "PrivateKeyEntry"),
        types,
        run.output());
  }

  @Test
  void keytoolList_showsThePrivateKeyEntryLine_forEachPrivateKey() throws Exception {
    ToolRun run = tools.keytool("-list").requireSuccess();
    assertEquals(
        2, run.output().lines().filter(l -> l.endsWith("PrivateKeyEntry, ")).count(), run.output());
    assertEquals(
        1, run.output().lines().filter(l -> l.endsWith("SecretKeyEntry, ")).count(), run.output());
  }
}
