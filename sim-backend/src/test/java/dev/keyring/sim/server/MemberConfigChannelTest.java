package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.channel.ChannelServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The channel's advertised port: 0 (the listening port) by default, a port, else refused; the
 * reader's spin: 200 µs by default (or the system property's), 0 to 1,000, else refused; the
 * connections one client may hold: 128 by default, room for 16 processes of 8 connections each.
 */
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
  void channelMaxConnectionsPerClient_is128ByDefault_andTakesAValue() {
    assertEquals(128, builder().build().channelMaxConnectionsPerClient());
    assertEquals(
        3, builder().channelMaxConnectionsPerClient(3).build().channelMaxConnectionsPerClient());
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

  @Test
  void channelSpinMicros_defaultsTo200_takes0To1000_andRefusesTheRestByName() {
    assertEquals(200, builder().build().channelSpinMicros());
    assertEquals(0, builder().channelSpinMicros(0).build().channelSpinMicros());
    assertEquals(1000, builder().channelSpinMicros(1000).build().channelSpinMicros());
    for (int bad : new int[] {-1, 1001}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> builder().channelSpinMicros(bad).build());
      assertEquals("channelSpinMicros must be 0 to 1000, got " + bad, e.getMessage());
    }
  }

  @Test
  void channelSpinMicros_followsTheSystemProperty_unlessSet_andABadPropertyRefusesTheSettings() {
    String was = System.getProperty(ChannelServer.SPIN_PROPERTY);
    try {
      System.setProperty(ChannelServer.SPIN_PROPERTY, "0");
      assertEquals(0, builder().build().channelSpinMicros());
      assertEquals(20, builder().channelSpinMicros(20).build().channelSpinMicros());
      MemberConfig.Builder again = builder();
      assertEquals(0, again.build().channelSpinMicros());
      System.setProperty(ChannelServer.SPIN_PROPERTY, "70");
      assertEquals(70, again.build().channelSpinMicros(), "read at each build, not kept");
      System.setProperty(ChannelServer.SPIN_PROPERTY, "5000");
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> builder().build());
      assertEquals(
          "system property keyring.member.channel.spinMicros must be a whole number of"
              + " microseconds from 0 to 1000, got '5000'",
          e.getMessage());
    } finally {
      if (was == null) {
        System.clearProperty(ChannelServer.SPIN_PROPERTY);
      } else {
        System.setProperty(ChannelServer.SPIN_PROPERTY, was);
      }
    }
  }
}
