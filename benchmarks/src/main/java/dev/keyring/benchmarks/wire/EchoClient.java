package dev.keyring.benchmarks.wire;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * The client side of {@link WireStackBenchmark}, the same for every server: one blocking {@link
 * SSLSocket} (TLS 1.3, client certificate, TCP_NODELAY), a writer thread and a reader thread.
 * {@link #send} waits until fewer than {@code inFlight} requests are unanswered, then hands one
 * more to the writer, which writes every request handed to it by then in one write (at most {@value
 * EchoFrames#MAX_BATCH} frames), as the channel's client joins the frames queued behind a write.
 * The reader checks every answer (its length, and its id: the next one sent, since each server
 * answers in order) and frees a place for one more request.
 */
final class EchoClient implements AutoCloseable {
  private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

  private final Socket plain;
  private final SSLSocket socket;
  private final Semaphore places;
  private final AtomicLong requested = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final Thread writer;
  private final Thread reader;
  private volatile boolean closing;

  /**
   * Connects to {@code port} on loopback and completes the TLS handshake.
   *
   * @throws IOException when the connection or the handshake fails
   */
  EchoClient(SSLContext context, int port, int inFlight) throws IOException {
    if (inFlight < 1) {
      throw new IllegalArgumentException("inFlight must be at least 1, got " + inFlight);
    }
    places = new Semaphore(inFlight);
    plain = new Socket();
    plain.setTcpNoDelay(true);
    plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
    try {
      socket = (SSLSocket) context.getSocketFactory().createSocket(plain, "localhost", port, true);
      socket.setUseClientMode(true);
      socket.setEnabledProtocols(new String[] {"TLSv1.3"});
      socket.startHandshake();
    } catch (IOException | RuntimeException e) {
      plain.close();
      throw e;
    }
    writer = new Thread(this::write, "wire-client-writer");
    reader = new Thread(this::read, "wire-client-reader");
    writer.setDaemon(true);
    reader.setDaemon(true);
    writer.start();
    reader.start();
  }

  /**
   * Sends one request as soon as fewer than {@code inFlight} are unanswered.
   *
   * @throws IllegalStateException when the connection failed, or no answer came for 30 s
   */
  void send() throws InterruptedException {
    if (!places.tryAcquire(ANSWER_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      throw new IllegalStateException(
          "no answer for " + ANSWER_TIMEOUT.toSeconds() + " s", failure.get());
    }
    Throwable t = failure.get();
    if (t != null) {
      throw new IllegalStateException("the echo connection failed", t);
    }
    requested.incrementAndGet();
    LockSupport.unpark(writer);
  }

  /** Requests answered so far. */
  long answered() {
    return answered.get();
  }

  /**
   * Waits until every request sent is answered.
   *
   * @throws IllegalStateException when the connection failed or answers are missing after {@code
   *     timeout}
   */
  void drain(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (answered.get() < requested.get() && failure.get() == null) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            (requested.get() - answered.get())
                + " requests still unanswered after "
                + timeout.toSeconds()
                + " s");
      }
      Thread.sleep(1);
    }
    Throwable t = failure.get();
    if (t != null) {
      throw new IllegalStateException("the echo connection failed", t);
    }
  }

  private void fail(Throwable t) {
    if (!closing) {
      failure.compareAndSet(null, t);
    }
    // wake a sender waiting for a place: it sees the failure
    places.release(1 << 20);
  }

  private void write() {
    byte[] batch = new byte[EchoFrames.MAX_BATCH * EchoFrames.REQUEST_BYTES];
    for (int i = 0; i < EchoFrames.MAX_BATCH; i++) {
      EchoFrames.putRequest(batch, i * EchoFrames.REQUEST_BYTES, 0);
    }
    long written = 0;
    try {
      OutputStream out = socket.getOutputStream();
      while (!closing) {
        long want = requested.get();
        if (want == written) {
          LockSupport.park(this);
          continue;
        }
        int n = (int) Math.min(want - written, EchoFrames.MAX_BATCH);
        for (int i = 0; i < n; i++) {
          EchoFrames.putInt(batch, i * EchoFrames.REQUEST_BYTES + 4, (int) (written + 1 + i));
        }
        out.write(batch, 0, n * EchoFrames.REQUEST_BYTES);
        out.flush();
        written += n;
      }
    } catch (IOException | RuntimeException e) {
      fail(e);
    }
  }

  private void read() {
    byte[] frame = new byte[EchoFrames.ANSWER_BYTES];
    long expected = 1;
    try {
      InputStream in = new BufferedInputStream(socket.getInputStream(), 16 << 10);
      while (!closing) {
        int n = in.readNBytes(frame, 0, frame.length);
        if (n < frame.length) {
          throw new EOFException(
              "the server closed the connection after " + (expected - 1) + " answers");
        }
        int length = EchoFrames.getInt(frame, 0);
        int id = EchoFrames.getInt(frame, 4);
        if (length != EchoFrames.ANSWER_BYTES - 4) {
          throw new IOException("an answer of " + length + " bytes after its length field");
        }
        if (id != (int) expected) {
          throw new IOException("answer " + expected + " came with id " + id);
        }
        expected++;
        answered.incrementAndGet();
        places.release();
      }
    } catch (IOException | RuntimeException e) {
      fail(e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    closing = true;
    LockSupport.unpark(writer);
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
    try {
      plain.close();
    } catch (IOException e) {
      // closing anyway
    }
    writer.join(2_000);
    reader.join(2_000);
  }
}
