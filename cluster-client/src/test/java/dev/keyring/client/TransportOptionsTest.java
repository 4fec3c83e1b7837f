package dev.keyring.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
    assertThrows(
        IllegalArgumentException.class, () -> TransportOptions.builder().httpVersion(null).build());
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
}
