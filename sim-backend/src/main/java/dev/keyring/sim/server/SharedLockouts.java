package dev.keyring.sim.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.time.Ticker;
import dev.keyring.sim.Appliance;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster-wide half of the appliance users' lockout ({@link AdminLockout} keeps the member's
 * own half): once a member is in a cluster, where the users are cluster state, each failed password
 * check is also counted in the replicated cluster value {@code appliance.lockout.<user>}, by the
 * same rules (10 consecutive from one source lock the user from that source for 60 s; 100 from all
 * sources within 60 s lock it everywhere until that window ends). Every member reads those values
 * as they are applied, so a user locked through one member is locked on every member, and guesses
 * spread over members add up.
 *
 * <p>The events are written through the cluster's replicated write path by one background thread
 * (at most {@value #MAX_PENDING} waiting; more are dropped), never by the thread checking the
 * password: a member that cannot reach a majority goes on answering, and its own counters still
 * count and lock (a failed write never unlocks anything; the member's lock and the cluster's are
 * both enforced). A write that fails is tried again ({@value #ATTEMPTS} attempts, 0.1, 0.2 and 0.4
 * s apart) while the member's cluster service runs; one that failed after it may have been made can
 * then count twice, which locks sooner, never later. The lock reaches the other members within the
 * time of one replicated write. Times are wall-clock milliseconds of the member that wrote the
 * event. Thread-safe.
 */
final class SharedLockouts implements AutoCloseable {
  static final String PREFIX = "appliance.lockout.";
  static final int MAX_PENDING = 1_000;
  static final int MAX_SOURCES_PER_USER = 1_000;

  /**
   * Attempts at writing one event before it is given up: a member that lost the primary for a
   * moment (a forwarded write that failed under load) counts the event on the next one.
   */
  static final int ATTEMPTS = 4;

  /** The wait before the second attempt; it doubles before each further one. */
  static final long RETRY_MILLIS = 100;

  private static final Logger LOG = LoggerFactory.getLogger(SharedLockouts.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** One source's count for a user. */
  static final class Source {
    public int consecutive;
    public long lastMillis;
    public long lockedUntilMillis;
  }

  /** One user's counts, as stored. */
  static final class UserCounts {
    public long lastFailureMillis;
    public long windowStartMillis;
    public int windowFailures;
    public TreeMap<String, Source> sources = new TreeMap<>();
  }

  private final Appliance appliance;
  private final BooleanSupplier replicating;
  private final Ticker ticker;
  private final ThreadPoolExecutor writer;
  private final Map<String, UserCounts> view = new ConcurrentHashMap<>();
  // when each user's counts were last forgotten (its password set): older failures no longer lock
  private final Map<String, Long> forgotten = new ConcurrentHashMap<>();
  private volatile boolean writing = true; // whether the last write went through (for the log)

  /**
   * @param replicating whether the member's cluster service runs (the writes need it)
   */
  SharedLockouts(Appliance appliance, BooleanSupplier replicating, Ticker ticker) {
    this.appliance = appliance;
    this.replicating = replicating;
    this.ticker = ticker;
    this.writer =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(MAX_PENDING),
            r -> {
              Thread t = new Thread(r, "keyring-lockout-writer");
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.DiscardPolicy());
  }

  /** A lock of the cluster's: the milliseconds left, and whether it holds from every source. */
  record Lock(long millisLeft, boolean everywhere) {}

  /** The cluster's lock of {@code user} from {@code source}, if it is locked. */
  Optional<Lock> lock(String user, String source) {
    UserCounts u = view.get(user);
    if (u == null) {
      return Optional.empty();
    }
    long now = ticker.currentTimeMillis();
    long since = forgotten.getOrDefault(user, Long.MIN_VALUE);
    long windowLeft = u.windowStartMillis + AdminLockout.DURATION.toMillis() - now;
    if (u.windowFailures >= AdminLockout.GLOBAL_LIMIT
        && windowLeft > 0
        && u.lastFailureMillis > since) {
      return Optional.of(new Lock(windowLeft, true));
    }
    Source s = u.sources.get(source == null ? "" : source);
    if (s != null && s.lockedUntilMillis > now && s.lastMillis > since) {
      return Optional.of(new Lock(s.lockedUntilMillis - now, false));
    }
    return Optional.empty();
  }

  /** Counts a wrong password for {@code user} from {@code source} in the cluster's state. */
  void failed(String user, String source) {
    long at = ticker.currentTimeMillis();
    String from = source == null ? "" : source;
    submit(
        user,
        u -> {
          long duration = AdminLockout.DURATION.toMillis();
          if (u.windowFailures == 0 || at - u.windowStartMillis >= duration) {
            u.windowStartMillis = at;
            u.windowFailures = 0;
          }
          u.windowFailures++;
          u.lastFailureMillis = Math.max(u.lastFailureMillis, at);
          if (!u.sources.containsKey(from) && u.sources.size() >= MAX_SOURCES_PER_USER) {
            u.sources.values().removeIf(s -> s.lockedUntilMillis <= at);
          }
          Source s = u.sources.computeIfAbsent(from, k -> new Source());
          if (s.lockedUntilMillis > 0 && s.lockedUntilMillis <= at) {
            s.lockedUntilMillis = 0;
            s.consecutive = 0;
          }
          s.consecutive++;
          s.lastMillis = at;
          if (s.consecutive >= AdminLockout.THRESHOLD) {
            s.consecutive = 0;
            s.lockedUntilMillis = at + duration;
          }
          return u;
        });
  }

  /** A right password from {@code source}: its count starts again, when it has one. */
  void succeeded(String user, String source) {
    String from = source == null ? "" : source;
    UserCounts u = view.get(user);
    Source s = u == null ? null : u.sources.get(from);
    if (s == null || s.lockedUntilMillis > ticker.currentTimeMillis()) {
      return;
    }
    submit(
        user,
        c -> {
          Source now = c.sources.get(from);
          if (now != null && now.lockedUntilMillis <= ticker.currentTimeMillis()) {
            c.sources.remove(from);
          }
          return c;
        });
  }

  /**
   * Forgets every count of {@code user} (its password was set, or it was deleted): at once on this
   * member (failures counted before now no longer lock, even those whose events are still being
   * written), and in the cluster's state by a write.
   */
  void forget(String user) {
    long now = ticker.currentTimeMillis();
    forgotten.values().removeIf(at -> now - at > AdminLockout.DURATION.toMillis());
    forgotten.put(user, now);
    submit(user, c -> null);
  }

  /** Reads the cluster value {@code name} again (it was applied on this member). */
  void reload(String name) {
    if (!name.startsWith(PREFIX)) {
      return;
    }
    String user = name.substring(PREFIX.length());
    Optional<byte[]> raw =
        appliance.cluster().isPresent() ? appliance.store().clusterValue(name) : Optional.empty();
    UserCounts u = raw.map(SharedLockouts::decode).orElse(null);
    if (u == null) {
      view.remove(user);
    } else {
      view.put(user, u);
    }
  }

  /** Reads every count again (the member's state was replaced, or its service started). */
  void reloadAll() {
    view.clear();
    if (appliance.cluster().isEmpty()) {
      return;
    }
    for (Map.Entry<String, byte[]> e : appliance.store().clusterValues(PREFIX).entrySet()) {
      UserCounts u = decode(e.getValue());
      if (u != null) {
        view.put(e.getKey().substring(PREFIX.length()), u);
      }
    }
  }

  /** Waits until the events counted so far are written (or given up): for tests. */
  void flush() throws InterruptedException {
    Future<?> done = writer.submit(() -> {});
    try {
      done.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the lockout writer did not finish", e);
    }
  }

  @Override
  public void close() {
    writer.shutdownNow();
  }

  private void submit(String user, UnaryOperator<UserCounts> change) {
    if (appliance.cluster().isEmpty() || !replicating.getAsBoolean()) {
      return; // outside a cluster, or its service stopped: the member's own counters alone
    }
    writer.execute(() -> write(user, change));
  }

  private void write(String user, UnaryOperator<UserCounts> change) {
    for (int attempt = 1; ; attempt++) {
      RuntimeException failed = writeOnce(user, change);
      if (failed == null) {
        return;
      }
      if (attempt >= ATTEMPTS
          || appliance.cluster().isEmpty()
          || !replicating.getAsBoolean()
          || Thread.currentThread().isInterrupted()) {
        givenUp(failed);
        return;
      }
      try {
        Thread.sleep(RETRY_MILLIS << (attempt - 1));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // closing
        givenUp(failed);
        return;
      }
    }
  }

  /** One attempt at writing an event; the failure, or null once it is written. */
  private RuntimeException writeOnce(String user, UnaryOperator<UserCounts> change) {
    String name = PREFIX + user;
    try {
      appliance
          .writer()
          .write(
              tx -> {
                UserCounts current =
                    tx.lockClusterValue(name).map(SharedLockouts::decode).orElse(null);
                UserCounts next = change.apply(current == null ? new UserCounts() : current);
                if (next == null || (next.windowFailures == 0 && next.sources.isEmpty())) {
                  if (current != null) {
                    tx.deleteClusterValue(name);
                  }
                } else {
                  tx.putClusterValue(name, encode(next));
                }
                return null;
              });
      reload(name);
      if (!writing) {
        writing = true;
        LOG.info("failed password checks are counted in the cluster's state again");
      }
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }

  /** An event not written after its attempts: the member's own counters still hold it. */
  private void givenUp(RuntimeException e) {
    // the member's own counters went on counting: nothing is unlocked by a failed write
    if (writing) {
      writing = false;
      LOG.info(
          "failed password checks are counted on this member only until the cluster takes"
              + " writes again: {}",
          e.getMessage());
    } else {
      LOG.debug("a lockout event was not written: {}", e.getMessage());
    }
  }

  private static byte[] encode(UserCounts u) {
    try {
      return JSON.writeValueAsBytes(u);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static UserCounts decode(byte[] raw) {
    try {
      UserCounts u = JSON.readValue(raw, UserCounts.class);
      return u == null || u.sources == null ? null : u;
    } catch (IOException e) {
      LOG.warn("a replicated lockout count is damaged; it is left out");
      return null;
    }
  }
}
