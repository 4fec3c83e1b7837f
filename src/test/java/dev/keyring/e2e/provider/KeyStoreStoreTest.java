package dev.keyring.e2e.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyring.client.config.ConfigFile;
import dev.keyring.e2e.WatchedClusters;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.LocalCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.util.Collections;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code KeyStore.store(stream, pw)} writes the slot properties back: keytool writes the store to
 * the file it loaded after every change, and that file must still name the keyring.
 */
class KeyStoreStoreTest {
  private static final String KEYRING = "stored";
  private static final String PASSWORD = "stored-password-1";
  @TempDir static Path dir;
  static LocalCluster cluster;
  static KeyringProvider provider;

  @BeforeAll
  static void start() throws Exception {
    cluster = WatchedClusters.start(dir);
    cluster.createKeyring(KEYRING, PASSWORD);
    provider = new KeyringProvider(cluster.clientConfig());
  }

  @AfterAll
  static void stop() {
    if (provider != null) {
      provider.close();
    }
    if (cluster != null) {
      assertEquals(0, cluster.cluster().member(0).openSessions(), "sessions left open");
      cluster.close();
    }
  }

  @Test
  void store_toTheLoadedFile_writesTheSlotPropertiesBack_andTheFileLoadsAgain() throws Exception {
    Path file = cluster.writeSlotFile(KEYRING);
    byte[] before = Files.readAllBytes(file);
    KeyStore ks = KeyStore.getInstance("Keyring", provider);
    try (InputStream in = Files.newInputStream(file)) {
      ks.load(in, PASSWORD.toCharArray());
    }
    KeyPairGenerator.getInstance("EC", provider).generateKeyPair();
    // what keytool does after a change: store into a buffer, then overwrite the file
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ks.store(out, PASSWORD.toCharArray());
    Files.write(file, out.toByteArray());
    assertEquals(new String(before, StandardCharsets.UTF_8), Files.readString(file));

    KeyStore again = KeyStore.getInstance("Keyring", provider);
    try (InputStream in = Files.newInputStream(file)) {
      again.load(in, PASSWORD.toCharArray());
    }
    assertEquals(Collections.list(ks.aliases()), Collections.list(again.aliases()));
  }

  @Test
  void store_afterLoadingTheDefaultSlot_writesItsNameAndCluster() throws Exception {
    Path conf = dir.resolve("with-default.conf");
    ConfigFile.read(cluster.clientConfig())
        .set("Keyring Provider", "DefaultSlot", KEYRING)
        .write(conf);
    KeyringProvider p = new KeyringProvider(conf);
    try {
      KeyStore ks = KeyStore.getInstance("Keyring", p);
      ks.load(null, PASSWORD.toCharArray());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ks.store(out, PASSWORD.toCharArray());
      Properties written = new Properties();
      written.load(new ByteArrayInputStream(out.toByteArray()));
      assertEquals(KEYRING, written.getProperty("slot"));
      assertEquals("00", written.getProperty("cluster"));
      KeyStore again = KeyStore.getInstance("Keyring", p);
      again.load(new ByteArrayInputStream(out.toByteArray()), PASSWORD.toCharArray());
      assertEquals(Collections.list(ks.aliases()), Collections.list(again.aliases()));
      ks.store(null, null);
    } finally {
      p.close();
    }
  }
}
