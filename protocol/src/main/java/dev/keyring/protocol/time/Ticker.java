package dev.keyring.protocol.time;

/**
 * The time that every timeout, heartbeat, lockout window, recovery interval and schedule reads.
 * Code never calls {@link System#nanoTime()} or {@link System#currentTimeMillis()} directly: it is
 * given a ticker, {@link #SYSTEM} in production and a fake in tests, so that tests advance time
 * instead of sleeping.
 */
public interface Ticker {
  /** The machine's clocks. */
  Ticker SYSTEM =
      new Ticker() {
        @Override
        public long nanoTime() {
          return System.nanoTime();
        }

        @Override
        public long currentTimeMillis() {
          return System.currentTimeMillis();
        }

        @Override
        public String toString() {
          return "Ticker.SYSTEM";
        }
      };

  /** Monotonic nanoseconds for measuring intervals, as {@link System#nanoTime()}. */
  long nanoTime();

  /** Wall-clock milliseconds since the epoch, as {@link System#currentTimeMillis()}. */
  long currentTimeMillis();
}
