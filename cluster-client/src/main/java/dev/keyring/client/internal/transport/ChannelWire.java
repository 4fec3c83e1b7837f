package dev.keyring.client.internal.transport;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import dev.keyring.client.channel.AttemptScope;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFormatException;
import dev.keyring.protocol.channel.ChannelFrames;
import dev.keyring.protocol.channel.ChannelSocket;
import dev.keyring.protocol.channel.ChannelTls;
import dev.keyring.protocol.channel.Frame;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

/**
 * One persistent crypto channel connection to a member: mutual TLS, the hello, then requests
 * written by a {@link FrameWriter} (frames of several threads ready together go out in one write)
 * and answers read by whoever holds the connection's read turn, each handed to the caller waiting
 * for its request id, in whatever order they come. A call alone on the connection reads its own
 * answer in its own thread while bytes come within the {@code channelSpin} of {@code
 * TransportOptions} (no thread is woken to hand it over); otherwise, and while calls overlap, the
 * connection's reader thread reads, and the caller spins for its answer, then sleeps. The reader
 * thread steps aside while calls come one after another, and reads on an idle connection (a
 * refusal, the member's close, a heartbeat's answer). Every call is one attempt: a request is never
 * written twice. A connection with nothing received for the heartbeat interval is pinged; one whose
 * ping stays unanswered as long is closed, failing the requests under way.
 *
 * <p>Failures: no connection, or a connection already broken before the request was written, is
 * {@link Kind#CONNECT} (the request never left); a connection that broke after the request was
 * written, or no answer within the call timeout, is {@link Kind#IO}.
 */
final class ChannelWire implements AutoCloseable {
  /** Requests one connection keeps under way; more wait (the member's default limit). */
  static final int MAX_IN_FLIGHT = 256;

  /**
   * Heartbeat intervals without a call after which an extra connection (not a member's first) is
   * closed: 60 s at the default interval of 5 s.
   */
  static final int IDLE_HEARTBEATS = 12;

  /** The longest answer read. */
  static final int MAX_ANSWER_BYTES = HttpTransport.MAX_ANSWER_BYTES + (64 << 10);

  private static final ScheduledExecutorService HEARTBEAT =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "keyring-client-channel-heartbeat");
            t.setDaemon(true);
            return t;
          });

  private static final System.Logger LOG = System.getLogger(ChannelWire.class.getName());

  private final String name;
  private final Socket raw;
  private final SSLSocket socket;
  private final FrameWriter writer;
  private final InputStream in;
  private final ConcurrentHashMap<Integer, FrameWriter.Outgoing<ChannelAnswer>> pending =
      new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final long heartbeatNanos;
  private final long spinNanos;
  private final long idleCloseNanos; // 0: never closed for want of calls
  private volatile long lastCallNanos = System.nanoTime();
  private final ScheduledFuture<?> heartbeat;
  private volatile long lastReceivedNanos = System.nanoTime();
  private volatile long pingSentNanos;
  private volatile boolean closed;
  private volatile String closeReason;
  // closed by the member's goodbye (it stops): nothing it left unanswered was served
  private volatile boolean goneAway;

  /** The turn to read answers: the reader thread's, or a caller's reading its own (see call). */
  private final ReentrantLock readTurn = new ReentrantLock();

  private final InputStream rawIn; // the buffered socket under the TLS: polled for bytes
  private final boolean callerReads;
  private final Thread reader;

  /** Calls waiting for the reader thread to read their answers (it steps aside when none). */
  private final AtomicInteger readerWanted = new AtomicInteger();

  private final AtomicLong readByCallers = new AtomicLong(); // answers read in calling threads

  private final byte[] peeked = new byte[5]; // frameReady's look ahead; the read turn's holder's

  private ChannelWire(
      String name,
      Socket raw,
      SSLSocket socket,
      InputStream in,
      Duration heartbeatInterval,
      Duration spin,
      boolean extra,
      ChannelSwitches switches)
      throws IOException {
    this.spinNanos = spin.toNanos();
    this.idleCloseNanos = extra ? IDLE_HEARTBEATS * heartbeatInterval.toNanos() : 0;
    this.name = name;
    this.raw = raw;
    this.socket = socket;
    this.writer = new FrameWriter(socket.getOutputStream(), switches.coalesce());
    this.in = in;
    this.heartbeatNanos = heartbeatInterval.toNanos();
    this.rawIn = raw.getInputStream();
    this.callerReads = switches.callerReads();
    long period = Math.max(50, heartbeatInterval.toMillis() / 2);
    this.heartbeat =
        HEARTBEAT.scheduleWithFixedDelay(this::beat, period, period, TimeUnit.MILLISECONDS);
    reader = new Thread(this::readLoop, "keyring-client-channel-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** The switch {@link ChannelSwitches#callerReads()} reads. */
  static final String CALLER_READS_PROPERTY = "keyring.client.channel.callerReads";

  /** How long the reader thread stays aside after a call began, before it reads on its own. */
  static final long STEP_ASIDE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  /**
   * Connects to {@code host}:{@code port}, checks the member's certificate names {@code memberName}
   * (see {@link ServerNameVerifier}) and exchanges hellos.
   *
   * @throws TransportException CONNECT when no connection could be made, TLS when the handshake or
   *     the name check failed, PROTOCOL when the member does not speak this channel version
   */
  static ChannelWire open(
      ClientTls tls,
      String host,
      int port,
      String memberName,
      String name,
      Duration connectTimeout,
      Duration heartbeatInterval,
      Duration spin,
      boolean extra)
      throws TransportException {
    ChannelSwitches switches = ChannelSwitches.read(); // a bad value: refused before connecting
    Socket raw = new ChannelSocket(); // reads buffered: one system call per TLS record
    try {
      raw.setTcpNoDelay(true);
      raw.setKeepAlive(true);
      raw.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
    } catch (IOException e) {
      closeQuietly(raw);
      throw ChannelWireFailures.connectFailure(name, e);
    }
    SSLSocket s = null;
    try {
      s = (SSLSocket) tls.socketFactory.createSocket(raw, host, port, true);
      ChannelTls.apply(s);
      s.setSoTimeout((int) connectTimeout.toMillis());
      s.startHandshake();
      if (!ClientTls.verifierFor(memberName).verify(host, s.getSession())) {
        throw new SSLException(
            "the member's certificate does not name " + memberName + " nor cover " + host);
      }
      OutputStream o = s.getOutputStream();
      ChannelFrames.writeHello(o);
      InputStream in = new BufferedInputStream(s.getInputStream(), 16 << 10);
      in.mark(ChannelFrames.HELLO_BYTES);
      int version;
      try {
        version = ChannelFrames.readHello(in);
      } catch (ChannelFormatException e) {
        in.reset(); // what came instead of a hello: the member's refusal, read as a frame
        throw ChannelWireFailures.refusedHello(in, name, e);
      }
      if (version != ChannelFrames.VERSION) {
        throw new TransportException(
            Kind.PROTOCOL,
            name
                + ": the member answered crypto channel version "
                + version
                + ", not "
                + ChannelFrames.VERSION);
      }
      s.setSoTimeout(0); // a silent connection is found by the heartbeat
      return new ChannelWire(name, raw, s, in, heartbeatInterval, spin, extra, switches);
    } catch (SSLException e) {
      closeQuietly(raw);
      throw ChannelWireFailures.handshakeFailure(name, e);
    } catch (TransportException e) {
      closeQuietly(raw);
      throw e;
    } catch (IOException e) {
      closeQuietly(raw);
      throw ChannelWireFailures.brokeBeforeRequests(name, e);
    }
  }

  /** Whether the connection can take requests. */
  boolean open() {
    return !closed;
  }

  /** The requests under way on this connection now. */
  int inFlight() {
    return MAX_IN_FLIGHT - inFlight.availablePermits();
  }

  /** A request id not under way. */
  int nextId() {
    int id;
    do {
      id = ids.incrementAndGet() & 0x7FFF_FFFF;
    } while (id == 0 || pending.containsKey(id));
    return id;
  }

  /**
   * Sends the request frame {@code frame} (built with {@code id}) and waits for its answer, both
   * within {@code timeout}. At most {@value #MAX_IN_FLIGHT} requests are under way on the
   * connection: a call whose turn does not come within {@code timeout} fails BUSY, never sent.
   *
   * @param timeout zero for no limit
   */
  ChannelAnswer call(int id, byte[] frame, Duration timeout, String what)
      throws TransportException {
    if (closed) {
      throw notSent(what);
    }
    long started = System.nanoTime();
    try {
      if (timeout.isZero()) {
        inFlight.acquire();
      } else if (!inFlight.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new TransportException(
            Kind.BUSY,
            name
                + ": "
                + what
                + " not sent: "
                + MAX_IN_FLIGHT
                + " requests were under way on this crypto channel connection, the most at once,"
                + " and none ended within "
                + timeout.toMillis()
                + " ms",
            null,
            false,
            false);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TransportException(
          Kind.INTERRUPTED, name + ": " + what + " interrupted", e, false, false);
    }
    lastCallNanos = System.nanoTime();
    FrameWriter.Outgoing<ChannelAnswer> answer = new FrameWriter.Outgoing<>(frame);
    boolean wanted = false;
    try {
      pending.put(id, answer);
      if (closed) {
        throw notSent(what);
      }
      AttemptScope scope = AttemptScope.current();
      scope.onAbandon(() -> answer.completeExceptionally(new InterruptedIOException("abandoned")));
      try {
        writer.write(answer);
      } catch (IOException e) {
        if (!(e instanceof FrameWriter.NotWrittenException)) {
          fail("the connection broke while a request was written: " + e.getMessage());
        }
        throw goneAway ? notSent(what) : ChannelWireFailures.writeFailure(name, what, e);
      }
      boolean alone = spinNanos > 0 && inFlight.availablePermits() == MAX_IN_FLIGHT - 1;
      if (alone && callerReads && readTurn.tryLock()) {
        try { // alone, and the reader thread aside: read the answer here, handed to no one
          readOwn(answer);
        } finally {
          readTurn.unlock();
        }
      } else if (alone) {
        // wait on the CPU a little, so that a quick answer wakes no one
        long end = System.nanoTime() + spinNanos;
        while (!answer.isDone() && System.nanoTime() - end < 0) {
          Thread.yield();
        }
      }
      if (callerReads && !answer.isDone()) {
        wanted = true;
        readerWanted.incrementAndGet();
        LockSupport.unpark(reader);
      }
      try {
        // the time limit covers the wait for a turn as well
        return timeout.isZero()
            ? answer.get()
            : answer.get(timeout.toNanos() - (System.nanoTime() - started), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        if (!answer.completeExceptionally(e) && !answer.isCompletedExceptionally()) {
          return answer.getNow(null); // it came as the time ran out: a late open would be closed
        }
        throw new TransportException(
            Kind.IO,
            name + ": " + what + " got no answer within " + timeout.toMillis() + " ms",
            e,
            true,
            false);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (!answer.completeExceptionally(e) && !answer.isCompletedExceptionally()) {
          return answer.getNow(null); // it came all the same: a late open would be closed
        }
        throw new TransportException(
            Kind.INTERRUPTED, name + ": " + what + " interrupted", e, true, false);
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof ChannelWireFailures.NotServed) {
          throw notSent(what); // the member's goodbye: it served nothing left unanswered
        }
        boolean abandoned = c instanceof InterruptedIOException;
        throw new TransportException(
            Kind.IO,
            name + ": " + what + " failed: " + c.getMessage(),
            c,
            true,
            !abandoned || scope.memberSuspect());
      }
    } finally {
      if (wanted) {
        readerWanted.decrementAndGet();
      }
      pending.remove(id, answer);
      inFlight.release();
    }
  }

  /**
   * Reads answers on the calling thread, each handed to its caller, until its own is in, while
   * whole frames come within the spin; then the reader thread takes over. The caller never waits in
   * a read ({@link #frameReady}): a frame that comes in parts, or late, is the reader thread's.
   */
  private void readOwn(FrameWriter.Outgoing<ChannelAnswer> answer) {
    long end = System.nanoTime() + spinNanos;
    try {
      while (!answer.isDone() && !closed) {
        if (frameReady()) {
          if (!readFrame()) {
            return;
          }
          readByCallers.incrementAndGet();
        } else if (System.nanoTime() - end < 0) {
          Thread.yield();
        } else {
          return;
        }
      }
    } catch (IOException e) {
      fail(closed ? "closed" : "the connection broke: " + e.getMessage());
    }
  }

  private TransportException notSent(String what) {
    return new TransportException(
        Kind.CONNECT,
        name
            + ": "
            + what
            + (goneAway ? " not served" : " not sent")
            + ": the crypto channel connection is closed"
            + (closeReason == null ? "" : " (" + closeReason + ")"),
        null,
        false,
        true);
  }

  /**
   * Whether a whole answer frame can be read without waiting: its bytes are decrypted already, or
   * the TLS record that carries it has come whole (its header says how long it is) and is decrypted
   * now. False for a frame in several records or a record still coming.
   */
  private boolean frameReady() throws IOException {
    if (in.available() == 0) {
      if (rawIn.available() < 5) {
        return false;
      }
      rawIn.mark(5);
      int got = rawIn.readNBytes(peeked, 0, 5); // there: no wait
      rawIn.reset();
      int record = ((peeked[3] & 0xFF) << 8) | (peeked[4] & 0xFF);
      if (got < 5 || rawIn.available() < 5 + record) {
        return false;
      }
      // the record opened (whole: no wait; a record with no data in it, a TLS key update, is
      // followed to the next one), its first byte put back
      in.mark(1);
      if (in.read() < 0) {
        return true; // the end: readFrame says so
      }
      in.reset();
    }
    if (in.available() < 4) {
      return false;
    }
    in.mark(4);
    int got = in.readNBytes(peeked, 0, 4);
    in.reset();
    long n = ByteBuffer.wrap(peeked, 0, 4).getInt() & 0xFFFF_FFFFL;
    return got == 4 && in.available() >= 4 + n; // a bad length is readFrame's to refuse
  }

  /**
   * The reader thread: while calls come one after another and each caller reads its own answer, it
   * stays aside (parked, at most {@link #STEP_ASIDE_NANOS} at a time); it reads when a call waits
   * for it, and on an idle connection (a refusal, the member's close, a heartbeat's answer).
   */
  private void readLoop() {
    try {
      while (!closed) {
        if (callerReads
            && readerWanted.get() == 0
            && System.nanoTime() - lastCallNanos < STEP_ASIDE_NANOS) {
          LockSupport.parkNanos(this, STEP_ASIDE_NANOS);
          continue;
        }
        readTurn.lock();
        try {
          if (closed || !readFrame()) {
            return;
          }
        } finally {
          readTurn.unlock();
        }
      }
    } catch (IOException e) {
      fail(closed ? "closed" : "the connection broke: " + e.getMessage());
    }
  }

  /** Reads one answer and hands it to its caller; false when the connection ended. */
  private boolean readFrame() throws IOException {
    int length = ChannelFrames.readLength(in, MAX_ANSWER_BYTES);
    if (length < 0) {
      fail("the member closed the connection");
      return false;
    }
    Frame f = ChannelFrames.readFrame(in, length);
    lastReceivedNanos = System.nanoTime();
    pingSentNanos = 0;
    ChannelAnswer a = ChannelCodec.readAnswer(f);
    if (a.id == 0) {
      goneAway = a.code == dev.keyring.protocol.ResultCode.CKR_DEVICE_REMOVED; // stopping
      fail("the member refused the connection: " + a.code + " " + a.message);
      return false;
    }
    FrameWriter.Outgoing<ChannelAnswer> waiting = pending.get(a.id);
    boolean taken = waiting != null && waiting.complete(a);
    if (!taken && a.opcode == dev.keyring.protocol.channel.Opcode.OPEN_SESSION && a.ok()) {
      closeLateSession(a); // its call gave up waiting
    } // else: taken, abandoned, or the heartbeat's own ping
    return true;
  }

  /**
   * Closes the session a late answer opened: its call gave up waiting, so nobody learned the id and
   * the member would keep it until its idle timeout. Written from the heartbeat's thread.
   */
  private void closeLateSession(ChannelAnswer a) {
    try {
      String sid = a.body.text8("session");
      LOG.log(System.Logger.Level.INFO, name + ": closing a session opened after its call gave up");
      HEARTBEAT.execute(() -> sendUnanswered(ChannelCodec.closeSession(nextId(), sid), "a close"));
    } catch (ChannelFormatException e) {
      // malformed: no id to close, and the call it answered is gone
    }
  }

  /** Writes {@code frame}, whose answer nobody waits for; {@code what} names it in a failure. */
  private void sendUnanswered(byte[] frame, String what) {
    try {
      writer.write(new FrameWriter.Outgoing<Void>(frame));
    } catch (FrameWriter.NotWrittenException e) {
      // an earlier write failed and closed the connection
    } catch (IOException e) {
      fail(what + " could not be written: " + e.getMessage());
    }
  }

  private void beat() {
    if (closed) {
      heartbeat.cancel(false);
      return;
    }
    long now = System.nanoTime();
    if (idleCloseNanos > 0 && now - lastCallNanos > idleCloseNanos && idleClosed(now)) {
      return;
    }
    long sent = pingSentNanos;
    if (sent != 0 && now - sent > heartbeatNanos) {
      fail("no answer to a heartbeat within " + heartbeatNanos / 1_000_000 + " ms");
      return;
    }
    if (sent == 0 && now - lastReceivedNanos > heartbeatNanos) {
      pingSentNanos = now;
      sendUnanswered(ChannelCodec.ping(nextId()), "the heartbeat");
    }
  }

  /**
   * Closes this extra connection when no call is under way nor has started for {@code
   * idleCloseNanos}: every call's permit is taken first, so a call that comes meanwhile waits and
   * then finds the connection closed before anything of it is written (CONNECT, never sent).
   */
  private boolean idleClosed(long now) {
    if (!inFlight.tryAcquire(MAX_IN_FLIGHT)) {
      return false; // calls under way
    }
    try {
      if (now - lastCallNanos <= idleCloseNanos) {
        return false;
      }
      fail(
          "no call for "
              + idleCloseNanos / 1_000_000
              + " ms: an extra connection, made again when calls overlap");
      return true;
    } finally {
      inFlight.release(MAX_IN_FLIGHT);
    }
  }

  /** Answers read in calling threads so far (the others: by the reader thread). */
  long readByCallers() {
    return readByCallers.get();
  }

  /** Socket writes of requests made so far on this connection. */
  long writes() {
    return writer.writes();
  }

  /** Closes the connection; every request under way fails with IO. */
  private void fail(String reason) {
    synchronized (this) {
      if (!closed) {
        closeReason = reason;
        closed = true;
        LOG.log(System.Logger.Level.DEBUG, name + ": crypto channel closed: " + reason);
      }
    }
    // the first reason, before the sockets close (the reader then fails too, with less to say)
    IOException cause =
        goneAway ? new ChannelWireFailures.NotServed(closeReason) : new IOException(closeReason);
    for (FrameWriter.Outgoing<ChannelAnswer> f : pending.values()) {
      f.completeExceptionally(cause);
    }
    closeQuietly(raw);
    closeQuietly(socket);
    heartbeat.cancel(false);
    LockSupport.unpark(reader);
  }

  @Override
  public void close() {
    fail("closed by the client");
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing
    }
  }
}
