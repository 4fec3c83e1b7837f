package dev.keyring.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyring.provider.internal.ProviderSettings;
import dev.keyring.testing.channel.FakeCluster;
import dev.keyring.testing.channel.FakeMember;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A Keyring provider whose channels go to an in-memory {@link FakeCluster}, with keyring {@value
 * #KEYRING} created and loaded as its KeyStore: what the provider's unit tests start from. As a
 * JUnit extension on a test's field ({@code @RegisterExtension}), it closes the provider after each
 * test and checks that nothing leaked: no call left unfinished, no session left open.
 */
public final class FakeClusterProvider implements AfterEachCallback {
  /** The keyring the KeyStore is loaded on. */
  public static final String KEYRING = "app";

  /** Its KRCO password. */
  public static final String PASSWORD = "app-password-1";

  private static Path config;

  private final FakeCluster cluster;
  private final KeyringProvider provider;
  private final KeyStore keyStore;

  private FakeClusterProvider(int members) throws GeneralSecurityException, IOException {
    this.cluster = new FakeCluster(members);
    cluster.createKeyring(KEYRING, PASSWORD);
    this.provider =
        new KeyringProvider(
            ProviderSettings.read(config()), (index, keyring) -> cluster.openChannel(keyring));
    this.keyStore = KeyStore.getInstance("Keyring", provider);
    keyStore.load(
        new ByteArrayInputStream(("slot=" + KEYRING).getBytes(StandardCharsets.UTF_8)),
        PASSWORD.toCharArray());
  }

  /** A provider on a new fake cluster of {@code members} members, its KeyStore loaded. */
  public static FakeClusterProvider start(int members) {
    try {
      return new FakeClusterProvider(members);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("the provider on a fake cluster did not start: " + e, e);
    }
  }

  public FakeCluster cluster() {
    return cluster;
  }

  public KeyringProvider provider() {
    return provider;
  }

  /** The Keyring KeyStore, loaded on {@value #KEYRING}. */
  public KeyStore keyStore() {
    return keyStore;
  }

  /**
   * Closes the provider; fails if a call is left unfinished, if a channel still counts a physical
   * session, or if a session is left open on a member that routing sees up (a member marked down is
   * not told, and closes the session after its idle timeout, as a real one does).
   */
  public void close() {
    provider.close();
    assertEquals(0, cluster.router().outstanding(), "calls begun and never ended");
    assertEquals(0, cluster.router().routedSessions(), "physical sessions never closed");
    for (FakeMember m : cluster.members()) {
      if (cluster.router().isUp(m)) {
        assertEquals(0, m.openSessions(), "sessions left open on " + m);
      }
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    close();
  }

  /**
   * A client configuration file registering one cluster, which no test connects to: the channels
   * come from the fake cluster. Written once per JVM.
   */
  private static synchronized Path config() throws IOException {
    if (config == null) {
      Path f = Files.createTempFile("keyring-fake-", ".conf");
      f.toFile().deleteOnExit();
      Files.writeString(
          f,
          "LunaSA Client = {\n"
              + "   LNHServer00 = 127.0.0.1:1792;\n"
              + "   LNHServerClientCert00 = /none/client.pem;\n"
              + "   LNHServerClientKey00 = /none/client-key.pem;\n"
              + "   LNHServerCAFile00 = /none/ca.pem;\n"
              + "   LNHServerCN00 = fake-m1;\n"
              + "}\n"
              + "Keyring Provider = {\n"
              + "   DefaultSlot = "
              + KEYRING
              + ";\n"
              + "}\n");
      config = f;
    }
    return config;
  }
}
