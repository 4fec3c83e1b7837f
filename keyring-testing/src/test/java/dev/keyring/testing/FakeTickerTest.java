package dev.keyring.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FakeTickerTest {
  @Test
  void advance_movesBothClocksTogether() {
    FakeTicker t = new FakeTicker(5_000);
    long n0 = t.nanoTime();
    t.advance(Duration.ofMillis(1_500));
    assertEquals(n0 + 1_500_000_000L, t.nanoTime());
    assertEquals(6_500, t.currentTimeMillis());
  }

  @Test
  void advance_backward_isRefused() {
    FakeTicker t = new FakeTicker();
    assertThrows(IllegalArgumentException.class, () -> t.advance(Duration.ofMillis(-1)));
  }
}
