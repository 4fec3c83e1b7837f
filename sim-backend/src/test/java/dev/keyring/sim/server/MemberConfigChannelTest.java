package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.sim.ApplianceConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The channel's advertised port: 0 (the listening port) by default, a port, else refused. */
class MemberConfigChannelTest {
  @TempDir Path dir;

  private MemberConfig.Builder builder() {
    return MemberConfig.builder().appliance(ApplianceConfig.builder().dataDir(dir).build());
  }

  @Test
  void advertisedChannelPort_defaultsToTheListeningPort_andTakesAPort() {
    assertEquals(0, builder().build().advertisedChannelPort());
    assertEquals(41000, builder().advertisedChannelPort(41000).build().advertisedChannelPort());
  }

  @Test
  void advertisedChannelPort_outOfRange_isRefusedByName() {
    for (int bad : new int[] {-1, 65536}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> builder().advertisedChannelPort(bad).build());
      assertEquals(
          "advertisedChannelPort must be 0 (the listening port) or a port up to 65535, got " + bad,
          e.getMessage());
    }
  }
}
