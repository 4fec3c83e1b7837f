package dev.keyring.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.ha.ClusterClients;
import dev.keyring.client.ha.HaGroups;
import dev.keyring.protocol.KeyringSerial;
import dev.keyring.provider.internal.ProviderSettings;
import dev.keyring.testing.channel.FakeCluster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member slot of an HA group and the group's slot take the same access ID of this client: the
 * provider refuses the second with CKR_ACCESS_ID_ALREADY_EXISTS until the first is logged out.
 */
class HaAccessIdTest {
  private static final String PW = "co-password-1";

  @TempDir Path dir;
  private final FakeCluster cluster = new FakeCluster(1);
  private KeyringProvider provider;

  @AfterEach
  void close() {
    if (provider != null) {
      provider.close();
    }
    assertEquals(0, cluster.router().routedSessions(), "sessions left open");
  }

  private KeyringProvider start() throws IOException {
    UUID a1 = cluster.createKeyring("a1", PW);
    UUID b1 = cluster.createKeyring("b1", PW);
    UUID other = cluster.createKeyring("other", PW);
    List<Slot> slots =
        List.of(
            new Slot(1, a1, "a1", false, true, false),
            new Slot(2, b1, "b1", false, true, false),
            new Slot(3, other, "other", false, true, false));
    String sa = KeyringSerial.of(a1);
    String sb = KeyringSerial.of(b1);
    Path conf = dir.resolve("Chrystoki.conf");
    Files.writeString(
        conf,
        "LunaSA Client = {\n"
            + "   LNHServer00 = 127.0.0.1:1792;\n"
            + "   LNHServerClientCert00 = /none/client.pem;\n"
            + "   LNHServerClientKey00 = /none/client-key.pem;\n"
            + "   LNHServerCAFile00 = /none/ca.pem;\n"
            + "   LNHServerCN00 = fake-m1;\n"
            + "}\n"
            + "VirtualToken = {\n"
            + "   VirtualToken00Label = pay;\n"
            + "   VirtualToken00SN = 1"
            + sa
            + ";\n"
            + "   VirtualToken00Members = "
            + sa
            + ","
            + sb
            + ";\n"
            + "}\n");
    ProviderSettings settings = ProviderSettings.read(conf);
    ClusterClients clients =
        new ClusterClients() {
          @Override
          public List<Integer> indexes() {
            return List.of(0);
          }

          @Override
          public List<Slot> slots(int index) {
            return slots;
          }

          @Override
          public KeyringChannel openSession(int index, String keyringId) throws TransportException {
            return cluster.openChannel(keyringId);
          }
        };
    provider =
        new KeyringProvider(
            settings,
            (index, name) -> {
              Optional<KeyringChannel> group =
                  HaGroups.openIfGroup(settings.config(), name, clients);
              return group.isPresent() ? group.get() : cluster.openChannel(name);
            });
    return provider;
  }

  private void load(String slot) throws Exception {
    KeyStore ks = KeyStore.getInstance("Keyring", provider);
    ks.load(
        new ByteArrayInputStream(("slot=" + slot).getBytes(StandardCharsets.UTF_8)),
        PW.toCharArray());
  }

  private IOException refused(String slot) {
    return assertThrows(IOException.class, () -> load(slot));
  }

  @Test
  void theGroupIsRefusedWhileAMemberSlotIsLoggedInUntilItIsLoggedOut() throws Exception {
    start();
    load("a1");
    IOException e = refused("pay");
    assertTrue(e.getMessage().contains("CKR_ACCESS_ID_ALREADY_EXISTS"), e.getMessage());
    assertTrue(e.getMessage().contains("log out of the member slot first"), e.getMessage());
    assertTrue(e.getMessage().contains("'a1'"), e.getMessage());
    load("other"); // a slot in no group is not concerned
    assertTrue(provider.logout("a1"));
    assertFalse(provider.logout("a1"), "already logged out");
    load("pay");
  }

  @Test
  void aMemberSlotIsRefusedWhileTheGroupIsLoggedInUntilItIsLoggedOut() throws Exception {
    start();
    load("pay");
    IOException e = refused("b1");
    assertTrue(e.getMessage().contains("CKR_ACCESS_ID_ALREADY_EXISTS"), e.getMessage());
    assertTrue(e.getMessage().contains("HA group 'pay'"), e.getMessage());
    assertTrue(provider.logout("pay"));
    load("b1");
  }
}
