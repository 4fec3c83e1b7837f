package dev.keyring.e2e.cluster;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.testing.cluster.ClusterHarness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Client threads of a randomized fault run, each on a keyring of its own: create a data object with
 * a unique label, and once a dozen are live, destroy the oldest. Objects whose create was uncertain
 * are looked for now and then and destroyed, so that no keyring fills up over a long run.
 */
final class FaultWorkload implements AutoCloseable {
  static final String INITIAL = "keyring-initial-1";
  static final String PASSWORD = "keyring-password-2";
  private static final int LIVE_PER_THREAD = 12;

  private final KeyringClient client;
  private final FaultHistory history;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();

  static int threads(int members) {
    return 4;
  }

  static String keyring(int thread) {
    return "fz" + thread;
  }

  /** Keyrings fz0..fz3 with their KRCO, and a client registered with member 0. */
  static void provision(ClusterHarness h, Path dir, int members) throws Exception {
    h.createKeyrings(0, "fz", INITIAL, threads(members), 0);
    Path conf =
        h.registerClient(0, "fault-client", dir.resolve("client").resolve("Chrystoki.conf"));
    try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0)) {
      for (int t = 0; t < threads(members); t++) {
        try (KeyringChannel s = client.openSession(keyring(t))) {
          KeyringSetup.initialize(s, INITIAL, PASSWORD);
        }
      }
    }
    h.awaitConverged(Duration.ofSeconds(60));
  }

  FaultWorkload(KeyringClient client, int members, FaultHistory history) {
    this.client = client;
    this.history = history;
    for (int t = 0; t < threads(members); t++) {
      int thread = t;
      Thread th = new Thread(() -> loop(thread), "fault-load-" + t);
      th.setDaemon(true);
      threads.add(th);
      th.start();
    }
  }

  private record Live(String label, long handle) {}

  private void loop(int t) {
    Deque<Live> live = new ArrayDeque<>();
    Set<String> uncertain = new HashSet<>();
    long n = 0;
    KeyringChannel s = null;
    while (running.get()) {
      try {
        if (s == null) {
          s = client.openSession(keyring(t));
          s.login(Role.KRCO, PASSWORD);
        }
        n++;
        if (n % 40 == 0 && !uncertain.isEmpty()) {
          sweep(t, s, uncertain);
        } else if (live.size() >= LIVE_PER_THREAD) {
          delete(t, s, live);
        } else {
          create(t, s, live, uncertain, "fz" + t + "-" + n);
        }
      } catch (TransportException | RuntimeException e) {
        // opening or logging in failed: a fault is under way; try again shortly
        closeQuietly(s);
        s = null;
        pause(100);
      }
    }
    closeQuietly(s);
  }

  private void create(int t, KeyringChannel s, Deque<Live> live, Set<String> uncertain, String l) {
    long start = history.now();
    try {
      KeyringObject o =
          s.createObject(
              Attributes.builder()
                  .objectClass(ObjectClass.DATA)
                  .label(l)
                  .set(AttributeType.CKA_VALUE, l.getBytes(StandardCharsets.UTF_8))
                  .build());
      history.record(t, "create", l, start, FaultHistory.Outcome.OK, "handle " + o.handle());
      live.add(new Live(l, o.handle()));
    } catch (Exception e) {
      FaultHistory.Outcome out = classify(e);
      history.record(t, "create", l, start, out, describe(e));
      if (out == FaultHistory.Outcome.UNCERTAIN) {
        uncertain.add(l);
      } else if (out == FaultHistory.Outcome.REFUSED) {
        pause(50); // no member takes writes now: ask again a little later
      }
    }
  }

  private void delete(int t, KeyringChannel s, Deque<Live> live) {
    Live oldest = live.peekFirst();
    long start = history.now();
    try {
      s.destroyObject(oldest.handle());
      history.record(t, "delete", oldest.label(), start, FaultHistory.Outcome.OK, null);
      live.removeFirst();
    } catch (Exception e) {
      FaultHistory.Outcome out = classify(e);
      history.record(t, "delete", oldest.label(), start, out, describe(e));
      if (out != FaultHistory.Outcome.REFUSED) {
        live.removeFirst(); // maybe gone: the checker does not count on it either way
      }
    }
  }

  /** Destroys the objects of uncertain creates that did happen. */
  private void sweep(int t, KeyringChannel s, Set<String> uncertain) {
    for (String l : new ArrayList<>(uncertain)) {
      long start = history.now();
      try {
        List<KeyringObject> found =
            s.findObjects(Attributes.builder().objectClass(ObjectClass.DATA).label(l).build());
        for (KeyringObject o : found) {
          s.destroyObject(o.handle());
        }
        // "not there" proves nothing (an uncertain create may still be applied later) and changes
        // nothing: only a destroy is an operation of the history
        if (!found.isEmpty()) {
          history.record(t, "delete", l, start, FaultHistory.Outcome.OK, "sweep");
          uncertain.remove(l);
        }
      } catch (Exception e) {
        history.record(t, "delete", l, start, FaultHistory.Outcome.UNCERTAIN, describe(e));
        return;
      }
    }
  }

  /**
   * REFUSED when the member said it changed nothing (read-only, or removed), or the request never
   * left the client; UNCERTAIN otherwise.
   */
  static FaultHistory.Outcome classify(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof HsmException h) {
        return h.code() == ResultCode.CKR_TOKEN_WRITE_PROTECTED
                || h.code() == ResultCode.CKR_DEVICE_REMOVED
            ? FaultHistory.Outcome.REFUSED
            : FaultHistory.Outcome.UNCERTAIN;
      }
      if (c instanceof TransportException x) {
        return x.requestSent() ? FaultHistory.Outcome.UNCERTAIN : FaultHistory.Outcome.REFUSED;
      }
    }
    return FaultHistory.Outcome.UNCERTAIN;
  }

  private static String describe(Throwable e) {
    String m = e.getClass().getSimpleName() + ": " + e.getMessage();
    return m.length() > 160 ? m.substring(0, 160) : m;
  }

  private static void closeQuietly(KeyringChannel s) {
    if (s != null) {
      try {
        s.close();
      } catch (Exception e) {
        // the member is away; the session ends with it
      }
    }
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    for (Thread th : threads) {
      th.join(120_000);
    }
  }
}
