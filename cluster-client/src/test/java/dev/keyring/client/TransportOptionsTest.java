package dev.keyring.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TransportOptionsTest {
  @Test
  void defaults_areHttp11_withBoundedTimeouts() {
    TransportOptions d = TransportOptions.defaults();
    assertEquals(TransportOptions.HttpVersion.HTTP_1_1, d.httpVersion());
    assertEquals(Duration.ofSeconds(5), d.connectTimeout());
    assertEquals(Duration.ofMinutes(2), d.callTimeout());
    assertEquals(8, d.maxIdleConnections());
    assertEquals(16, d.maxConnections());
    assertEquals(3, d.toBuilder().maxConnections(3).build().maxConnections());
  }

  @Test
  void badValues_areRefusedAtBuild_namingOptionRuleAndValue() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TransportOptions.builder().connectTimeout(Duration.ZERO).build());
    assertEquals("connectTimeout must be 100 ms to 5 min, got 0 s", e.getMessage());
    IllegalArgumentException f =
        assertThrows(
            IllegalArgumentException.class,
            () -> TransportOptions.builder().maxIdleConnections(0).build());
    assertEquals("maxIdleConnections must be 1 to 256, got 0", f.getMessage());
    for (int bad : new int[] {0, 1025}) {
      IllegalArgumentException g =
          assertThrows(
              IllegalArgumentException.class,
              () -> TransportOptions.builder().maxConnections(bad).build());
      assertEquals("maxConnections must be 1 to 1024, got " + bad, g.getMessage());
    }
    assertThrows(
        IllegalArgumentException.class, () -> TransportOptions.builder().httpVersion(null).build());
  }

  @Test
  void wire_isTheChannelByDefault_httpOnRequest_withAHeartbeat() {
    if (System.getProperty(TransportOptions.WIRE_PROPERTY) == null) {
      assertEquals(TransportOptions.Wire.CHANNEL, TransportOptions.defaults().wire());
    }
    TransportOptions h = TransportOptions.builder().wire(TransportOptions.Wire.HTTP).build();
    assertEquals(TransportOptions.Wire.HTTP, h.wire());
    assertEquals(TransportOptions.Wire.HTTP, h.toBuilder().build().wire());
    TransportOptions c = TransportOptions.builder().wire(TransportOptions.Wire.CHANNEL).build();
    assertEquals(TransportOptions.Wire.CHANNEL, c.wire());
    assertEquals(TransportOptions.Wire.CHANNEL, c.toBuilder().build().wire());
    assertEquals(Duration.ofSeconds(5), c.heartbeatInterval());
    assertEquals(
        "heartbeatInterval must be 100 ms to 1 h, got 10 ms",
        assertThrows(
                IllegalArgumentException.class,
                () -> TransportOptions.builder().heartbeatInterval(Duration.ofMillis(10)).build())
            .getMessage());
    assertEquals(
        "wire must be HTTP or CHANNEL, got null",
        assertThrows(
                IllegalArgumentException.class, () -> TransportOptions.builder().wire(null).build())
            .getMessage());
  }

  @Test
  void wireProperty_choosesTheDefault_andABadValueIsRefusedByName() {
    restoring(
        TransportOptions.WIRE_PROPERTY,
        () -> {
          System.setProperty(TransportOptions.WIRE_PROPERTY, "http");
          assertEquals(TransportOptions.Wire.HTTP, TransportOptions.builder().build().wire());
          System.setProperty(TransportOptions.WIRE_PROPERTY, " Channel ");
          assertEquals(TransportOptions.Wire.CHANNEL, TransportOptions.builder().build().wire());
          System.setProperty(TransportOptions.WIRE_PROPERTY, "rest");
          assertEquals(
              "system property keyring.client.wire must be http or channel, got 'rest'",
              assertThrows(IllegalArgumentException.class, TransportOptions::builder).getMessage());
        });
  }

  /**
   * {@code defaults()}, which clients configured by file (the provider) use, reads the properties
   * when it is called: they were read once, when the class was initialized, so a bad value failed
   * that initialization (an {@code ExceptionInInitializerError}, then {@code NoClassDefFoundError}
   * for the JVM's life) and a value set later was never seen.
   */
  @Test
  void defaults_readTheProperties_whenCalled_andRefuseABadValueByName() {
    restoring(
        TransportOptions.WIRE_PROPERTY,
        () -> {
          System.setProperty(TransportOptions.WIRE_PROPERTY, "htp");
          assertEquals(
              "system property keyring.client.wire must be http or channel, got 'htp'",
              assertThrows(IllegalArgumentException.class, TransportOptions::defaults)
                  .getMessage());
          System.setProperty(TransportOptions.WIRE_PROPERTY, "http");
          assertEquals(TransportOptions.Wire.HTTP, TransportOptions.defaults().wire());
          System.clearProperty(TransportOptions.WIRE_PROPERTY);
          assertEquals(TransportOptions.Wire.CHANNEL, TransportOptions.defaults().wire());
        });
  }

  @Test
  void hedgingProperty_choosesTheDefault_andABadValueIsRefusedByName() {
    restoring(
        TransportOptions.HEDGING_PROPERTY,
        () -> {
          System.setProperty(TransportOptions.HEDGING_PROPERTY, "true");
          assertTrue(TransportOptions.builder().build().hedging());
          assertFalse(TransportOptions.builder().hedging(false).build().hedging());
          System.setProperty(TransportOptions.HEDGING_PROPERTY, " FALSE ");
          assertFalse(TransportOptions.builder().build().hedging());
          System.setProperty(TransportOptions.HEDGING_PROPERTY, "yes");
          assertEquals(
              "system property keyring.client.hedging must be true or false, got 'yes'",
              assertThrows(IllegalArgumentException.class, TransportOptions::builder).getMessage());
        });
  }

  @Test
  void channelSpin_is200MicrosByDefault_0to1ms_andItsPropertyChoosesTheDefault() {
    restoring(
        TransportOptions.CHANNEL_SPIN_PROPERTY,
        () -> {
          System.clearProperty(TransportOptions.CHANNEL_SPIN_PROPERTY);
          assertEquals(Duration.ofNanos(200_000), TransportOptions.defaults().channelSpin());
          assertEquals(
              Duration.ZERO,
              TransportOptions.builder().channelSpin(Duration.ZERO).build().channelSpin());
          TransportOptions o =
              TransportOptions.builder().channelSpin(Duration.ofNanos(7_000)).build();
          assertEquals(Duration.ofNanos(7_000), o.toBuilder().build().channelSpin());
          assertTrue(o.toString().contains("channelSpin=7 µs"), o.toString());
          assertEquals(
              "channelSpin must be 0 s to 1 ms, got 1001 µs",
              assertThrows(
                      IllegalArgumentException.class,
                      () ->
                          TransportOptions.builder()
                              .channelSpin(Duration.ofNanos(1_001_000))
                              .build())
                  .getMessage());
          System.setProperty(TransportOptions.CHANNEL_SPIN_PROPERTY, " 0 ");
          assertEquals(Duration.ZERO, TransportOptions.builder().build().channelSpin());
          System.setProperty(TransportOptions.CHANNEL_SPIN_PROPERTY, "120");
          assertEquals(Duration.ofNanos(120_000), TransportOptions.builder().build().channelSpin());
          assertWholeNumberRefused(
              TransportOptions.CHANNEL_SPIN_PROPERTY,
              "microseconds from 0 to 1000",
              "1001",
              "-1",
              "50us");
        });
  }

  @Test
  void channelConnections_are8ByDefault_1to16_andTheirPropertyChoosesTheDefault() {
    restoring(
        TransportOptions.CHANNEL_CONNECTIONS_PROPERTY,
        () -> {
          System.clearProperty(TransportOptions.CHANNEL_CONNECTIONS_PROPERTY);
          assertEquals(8, TransportOptions.defaults().channelConnections());
          TransportOptions o = TransportOptions.builder().channelConnections(16).build();
          assertEquals(16, o.toBuilder().build().channelConnections());
          assertTrue(o.toString().contains("channelConnections=16"), o.toString());
          assertEquals(
              1, TransportOptions.builder().channelConnections(1).build().channelConnections());
          for (int bad : new int[] {0, 17, -1}) {
            assertEquals(
                "channelConnections must be 1 to 16, got " + bad,
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TransportOptions.builder().channelConnections(bad).build())
                    .getMessage());
          }
          System.setProperty(TransportOptions.CHANNEL_CONNECTIONS_PROPERTY, " 1 ");
          assertEquals(1, TransportOptions.builder().build().channelConnections());
          assertWholeNumberRefused(
              TransportOptions.CHANNEL_CONNECTIONS_PROPERTY,
              "connections from 1 to 16",
              "0",
              "17",
              "two");
        });
  }

  /** Each of {@code bad} as {@code property} makes the builder refuse it, naming the range. */
  private static void assertWholeNumberRefused(String property, String range, String... bad) {
    for (String b : bad) {
      System.setProperty(property, b);
      assertEquals(
          "system property "
              + property
              + " must be a whole number of "
              + range
              + ", got '"
              + b
              + "'",
          assertThrows(IllegalArgumentException.class, TransportOptions::builder).getMessage());
    }
  }

  @Test
  void zeroCallTimeout_meansNone() {
    assertEquals(
        Duration.ZERO, TransportOptions.builder().callTimeout(Duration.ZERO).build().callTimeout());
  }

  @Test
  void toBuilder_keepsEveryOption() {
    TransportOptions o =
        TransportOptions.builder()
            .httpVersion(TransportOptions.HttpVersion.HTTP_2)
            .readTimeout(Duration.ofSeconds(7))
            .keepAlive(Duration.ofSeconds(9))
            .build();
    TransportOptions copy = o.toBuilder().build();
    assertEquals(o.toString(), copy.toString());
  }

  @Test
  void routingDefaults_refreshTheViewEvery5s_probeDownMembersEverySecond_forever() {
    TransportOptions d = TransportOptions.defaults();
    assertEquals(Duration.ofSeconds(5), d.viewRefresh());
    assertEquals(Duration.ofSeconds(1), d.recoveryInterval());
    assertEquals(-1, d.recoveryRetries());
    assertEquals(null, d.affinityGroup(), "the registered member's group");
  }

  @Test
  void badRoutingValues_areRefusedAtBuild_namingOptionRuleAndValue() {
    IllegalArgumentException refresh =
        assertThrows(
            IllegalArgumentException.class,
            () -> TransportOptions.builder().viewRefresh(Duration.ofMillis(10)).build());
    assertEquals("viewRefresh must be 100 ms to 1 h, got 10 ms", refresh.getMessage());
    IllegalArgumentException interval =
        assertThrows(
            IllegalArgumentException.class,
            () -> TransportOptions.builder().recoveryInterval(Duration.ZERO).build());
    assertEquals("recoveryInterval must be 100 ms to 10 min, got 0 s", interval.getMessage());
    IllegalArgumentException retries =
        assertThrows(
            IllegalArgumentException.class,
            () -> TransportOptions.builder().recoveryRetries(-2).build());
    assertEquals(
        "recoveryRetries must be -1 (forever) or 0 to 1000000, got -2", retries.getMessage());
    IllegalArgumentException group =
        assertThrows(
            IllegalArgumentException.class,
            () -> TransportOptions.builder().affinityGroup("east coast").build());
    assertEquals(
        "affinityGroup must be 1 to 64 printable characters without blanks, or null for the"
            + " registered member's group, got 'east coast'",
        group.getMessage());
  }

  @Test
  void toBuilder_keepsTheRoutingOptions() {
    TransportOptions o =
        TransportOptions.builder()
            .viewRefresh(Duration.ofSeconds(30))
            .affinityGroup("east")
            .recoveryInterval(Duration.ofMillis(250))
            .recoveryRetries(12)
            .build();
    TransportOptions copy = o.toBuilder().build();
    assertEquals(o.toString(), copy.toString());
    assertEquals("east", copy.affinityGroup());
    assertEquals(12, copy.recoveryRetries());
  }

  @Test
  void hedgingDefaults_onBetween50And500ms_withA750msDeadline() {
    TransportOptions d = TransportOptions.defaults();
    if (System.getProperty(TransportOptions.HEDGING_PROPERTY) == null) {
      assertEquals(true, d.hedging());
    }
    assertEquals(Duration.ofMillis(50), d.hedgeMinDelay());
    assertEquals(Duration.ofMillis(500), d.hedgeMaxDelay());
    assertEquals(Duration.ofMillis(750), d.answerDeadline());
    assertEquals(
        Duration.ZERO,
        TransportOptions.builder().answerDeadline(Duration.ZERO).build().answerDeadline(),
        "no deadline");
    TransportOptions off = TransportOptions.builder().hedging(false).build();
    assertEquals(false, off.toBuilder().build().hedging());
  }

  @Test
  void badHedgeDelays_areRefused_namingTheRule() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                TransportOptions.builder()
                    .hedgeMinDelay(Duration.ofMillis(200))
                    .hedgeMaxDelay(Duration.ofMillis(100))
                    .build());
    assertEquals("hedgeMaxDelay must be 200 ms to 10 s, got 100 ms", e.getMessage());
    IllegalArgumentException f =
        assertThrows(
            IllegalArgumentException.class,
            () -> TransportOptions.builder().answerDeadline(Duration.ofMillis(5)).build());
    assertEquals("answerDeadline must be 10 ms to 1 h, got 5 ms", f.getMessage());
  }

  /** Runs {@code body}, then gives the system property {@code name} back the value it had. */
  private static void restoring(String name, Runnable body) {
    String was = System.getProperty(name);
    try {
      body.run();
    } finally {
      if (was == null) {
        System.clearProperty(name);
      } else {
        System.setProperty(name, was);
      }
    }
  }
}
