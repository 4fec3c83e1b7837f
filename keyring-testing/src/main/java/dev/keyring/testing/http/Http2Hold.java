package dev.keyring.testing.http;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * Holds HTTP/2 streams open on one connection: a raw frame writer opens {@code streams} requests
 * whose HEADERS announce a body but never END_STREAM, then sends one byte of DATA on each every
 * {@code dribble}; streams the server answers, refuses or resets are replaced on the next round,
 * and a connection the server ends is opened again, until {@link #close()}. It answers the server's
 * SETTINGS and PING as a client must and reads (without decoding) whatever else comes.
 */
public final class Http2Hold implements AutoCloseable {
  private static final byte[] PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final int DATA = 0;
  private static final int HEADERS = 1;
  private static final int RST_STREAM = 3;
  private static final int SETTINGS = 4;
  private static final int PING = 6;
  private static final int GOAWAY = 7;
  private static final int END_STREAM = 0x1;
  private static final int ACK = 0x1;
  private static final int END_HEADERS = 0x4;

  private final SSLContext tls;
  private final int port;
  private final String path;
  private final Map<String, String> headers;
  private final int streams;
  private final Duration dribble;
  private final Thread driver;
  private volatile boolean running = true;
  private volatile RawHttp connection;

  private final AtomicInteger opened = new AtomicInteger();
  private final AtomicInteger closedByServer = new AtomicInteger();
  private final AtomicInteger resets = new AtomicInteger();
  private final AtomicInteger goaways = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();

  private Http2Hold(
      SSLContext tls,
      int port,
      String path,
      Map<String, String> headers,
      int streams,
      Duration dribble) {
    this.tls = tls;
    this.port = port;
    this.path = path;
    this.headers = headers;
    this.streams = streams;
    this.dribble = dribble;
    this.driver = new Thread(this::drive, "h2-hold-" + port);
    driver.setDaemon(true);
  }

  /** Starts holding {@code streams} POSTs to {@code path} (with {@code headers}) open. */
  public static Http2Hold start(
      SSLContext tls,
      int port,
      String path,
      Map<String, String> headers,
      int streams,
      Duration dribble) {
    Http2Hold h = new Http2Hold(tls, port, path, headers, streams, dribble);
    h.driver.start();
    return h;
  }

  private void drive() {
    while (running) {
      try (RawHttp c = RawHttp.open(tls, port, Duration.ofSeconds(10), "h2")) {
        if (!"h2".equals(c.socket().getApplicationProtocol())) {
          throw new IllegalStateException("the server did not agree to HTTP/2");
        }
        connection = c;
        connections.incrementAndGet();
        hold(c);
      } catch (IOException e) {
        // the server ended the connection: open another
      } finally {
        connection = null;
      }
      sleep(100);
    }
  }

  private void hold(RawHttp c) throws IOException {
    OutputStream out = c.socket().getOutputStream();
    Set<Integer> open = ConcurrentHashMap.newKeySet();
    synchronized (out) {
      out.write(PREFACE);
      frame(out, SETTINGS, 0, 0, new byte[0]);
      out.flush();
    }
    Thread reader = new Thread(() -> read(c, out, open), "h2-hold-reader-" + port);
    reader.setDaemon(true);
    reader.start();
    int next = 1;
    while (running && reader.isAlive()) {
      synchronized (out) {
        while (open.size() < streams && next > 0) {
          open.add(next);
          frame(out, HEADERS, END_HEADERS, next, headerBlock());
          opened.incrementAndGet();
          next += 2;
        }
        for (int id : open) {
          frame(out, DATA, 0, id, new byte[] {'a'});
        }
        out.flush();
      }
      sleep(dribble.toMillis());
    }
  }

  private void read(RawHttp c, OutputStream out, Set<Integer> open) {
    try {
      c.socket().setSoTimeout(0);
      DataInputStream in = new DataInputStream(c.socket().getInputStream());
      while (running) {
        int length = (in.readUnsignedShort() << 8) | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fffffff;
        byte[] payload = new byte[length];
        in.readFully(payload);
        if (type == SETTINGS && (flags & ACK) == 0) {
          synchronized (out) {
            frame(out, SETTINGS, ACK, 0, new byte[0]);
            out.flush();
          }
        } else if (type == PING && (flags & ACK) == 0) {
          synchronized (out) {
            frame(out, PING, ACK, 0, payload);
            out.flush();
          }
        } else if (type == RST_STREAM) {
          resets.incrementAndGet();
          open.remove(stream);
        } else if ((type == HEADERS || type == DATA) && (flags & END_STREAM) != 0) {
          if (open.remove(stream)) {
            closedByServer.incrementAndGet();
          }
        } else if (type == GOAWAY) {
          goaways.incrementAndGet();
          c.close();
          return;
        }
      }
    } catch (IOException e) {
      c.close(); // the connection ended
    }
  }

  /** The request's header block: static-table entries and literals without indexing. */
  private byte[] headerBlock() {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0x83); // :method POST
    b.write(0x87); // :scheme https
    literal(b, 4, path); // :path
    literal(b, 1, "127.0.0.1:" + port); // :authority
    literal(b, 31, "application/json"); // content-type
    literal(b, 28, "1000000"); // content-length
    for (Map.Entry<String, String> h : headers.entrySet()) {
      b.write(0x00);
      string(b, h.getKey().toLowerCase(java.util.Locale.ROOT));
      string(b, h.getValue());
    }
    return b.toByteArray();
  }

  private static void literal(ByteArrayOutputStream b, int nameIndex, String value) {
    integer(b, 0x00, 4, nameIndex);
    string(b, value);
  }

  private static void string(ByteArrayOutputStream b, String s) {
    byte[] v = s.getBytes(StandardCharsets.UTF_8);
    integer(b, 0x00, 7, v.length);
    b.writeBytes(v);
  }

  /** An HPACK integer with an {@code n}-bit prefix (RFC 7541 §5.1). */
  private static void integer(ByteArrayOutputStream b, int first, int n, int value) {
    int max = (1 << n) - 1;
    if (value < max) {
      b.write(first | value);
      return;
    }
    b.write(first | max);
    value -= max;
    while (value >= 128) {
      b.write((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    b.write(value);
  }

  private static void frame(OutputStream out, int type, int flags, int stream, byte[] payload)
      throws IOException {
    int n = payload.length;
    out.write(new byte[] {(byte) (n >>> 16), (byte) (n >>> 8), (byte) n, (byte) type});
    out.write(flags);
    out.write(
        new byte[] {
          (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream
        });
    out.write(payload);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Streams opened in all. */
  public int opened() {
    return opened.get();
  }

  @Override
  public void close() {
    running = false;
    RawHttp c = connection;
    if (c != null) {
      c.close();
    }
    driver.interrupt();
    try {
      driver.join(15_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "HTTP/2 hold on port "
        + port
        + ": "
        + streams
        + " streams held at once on "
        + connections.get()
        + " connection(s), "
        + opened.get()
        + " opened, "
        + closedByServer.get()
        + " answered by the server, "
        + resets.get()
        + " reset or refused, "
        + goaways.get()
        + " GOAWAY";
  }
}
