package dev.keyring.testing.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import org.junit.jupiter.api.Test;

class FakeClusterTest {
  private final FakeCluster cluster = new FakeCluster(2);

  @Test
  void channel_onAKeyring_usesItsKeys_andClosingItLeavesNoSessionOnAnyMember() throws Exception {
    cluster.createKeyring("app", "app-password-1");
    try (KeyringChannel ch = cluster.openChannel("app")) {
      ch.login(Role.KRCO, "app-password-1");
      ch.generateKey(KeyGenParams.aes(256), Attributes.empty());
      cluster.member(0).down();
      assertEquals(16, ch.random(16).length); // served by m2, logged in there
      cluster.member(0).up();
    }
    assertEquals(0, cluster.member(1).openSessions());
    assertEquals(0, cluster.router().routedSessions());
    assertEquals(0, cluster.router().outstanding());
    assertEquals(1, cluster.objects("app").size());
  }

  @Test
  void channel_onAnUnknownKeyring_isRefusedWithSlotIdInvalid() {
    HsmException e = assertThrows(HsmException.class, () -> cluster.openChannel("none"));
    assertEquals(ResultCode.CKR_SLOT_ID_INVALID, e.code());
    assertEquals(0, cluster.openSessions());
  }

  @Test
  void keyrings_haveUniqueLabels() {
    cluster.createKeyring("app", "app-password-1");
    assertThrows(
        IllegalArgumentException.class, () -> cluster.createKeyring("app", "other-password"));
  }
}
