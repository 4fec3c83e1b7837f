package dev.keyring.sim.channel;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFormatException;
import dev.keyring.protocol.channel.ChannelFrames;
import dev.keyring.protocol.channel.ChannelRequest;
import dev.keyring.protocol.channel.Frame;
import dev.keyring.protocol.channel.Opcode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.SocketException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's channel connection: a reader thread that reads frames and hands requests to the
 * server's shared workers (fairly between connections: {@link WorkerShare}), and a writer thread
 * that writes their answers. Workers never write to the socket, so a client that does not read
 * holds no worker: its answers wait in this connection's queue, its requests under way stay at the
 * limit (further ones are refused), and a write blocked past the write timeout closes the
 * connection. Answers that are ready together are written in one write (one TLS record up to 16
 * KiB).
 *
 * <p>A request that comes alone (nothing else under way on the connection, nothing more read) is
 * served on the reader itself when it is a single-part sign, verify, encrypt or decrypt with little
 * data ({@link ChannelServer#small}) that is quick ({@link ChannelServer#quick}) or comes from a
 * client that has sent one request at a time for {@link #SEQUENTIAL_NANOS}, or a ping, and its
 * answer written by the reader when the writer is idle: no hand-off to another thread, which on an
 * idle machine costs a core's wake-up each. The reader is this connection's own thread, so a client
 * that does not read its answers blocks only itself; requests that come while others are under way
 * go to the workers, to be served side by side.
 *
 * <p>Before the reader sleeps in a read, it may first spin a little for the client's next request
 * (see {@link ChannelServer#SPIN_PROPERTY}): only when that client's last request came within the
 * spin, yielding the CPU to any thread that wants it, and with at most one reader per processor (of
 * all the members in the JVM) spinning at once.
 */
final class ChannelConnection {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelConnection.class);

  /** A frame up to this size is read before it is counted ({@link HeldBytes}). */
  static final int FREE_FRAME_BYTES = 64 << 10;

  /**
   * A slow request (RSA) that comes alone is served on the reader only when none of the client's
   * requests has overlapped another for this long: a client sending one request at a time.
   */
  static final long SEQUENTIAL_NANOS = 10_000_000;

  /** The most one coalesced write carries. */
  private static final int MAX_WRITE_BYTES = 256 << 10;

  private static final byte[] CLOSE = new byte[0];

  /** A frame for the writer; an admitted request's answer holds its length until written. */
  private record Out(byte[] frame, boolean admitted) {}

  private final ChannelServer server;
  private final java.net.Socket raw;
  private final SSLSocket socket;
  private final ChannelService service;
  private final ChannelSettings settings;
  private final LinkedBlockingQueue<Out> out = new LinkedBlockingQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger refusalsQueued = new AtomicInteger();
  private final AtomicInteger owed = new AtomicInteger(); // admitted, answer not written/queued
  private volatile boolean goingAway;
  private volatile boolean goodbyeWritten;
  private final HeldBytes bytes;
  private final WorkerShare share; // this connection's turns at the shared workers
  private volatile X509Certificate client;
  private volatile boolean closed;
  private volatile long lastActivityNanos;
  private volatile long writeStartedNanos;
  private volatile boolean writing;
  private volatile boolean closedForReading;
  private byte[] joined = new byte[0]; // the writer's
  private final ReentrantLock writeLock = new ReentrantLock();
  private OutputStream output; // after the hello
  private long overlapNanos = System.nanoTime() - SEQUENTIAL_NANOS - 1; // the reader's
  private InputStream input; // after the hello

  ChannelConnection(ChannelServer server, java.net.Socket raw, SSLSocket socket) {
    this.server = server;
    this.raw = raw;
    this.socket = socket;
    this.service = server.service();
    this.settings = server.settings();
    this.bytes = new HeldBytes(service);
    this.share = new WorkerShare(server.workers(), settings.workers());
    this.lastActivityNanos = server.ticker().nanoTime();
  }

  /** The reader: handshake, hello, then frames until the end. */
  void run() {
    try {
      socket.setSoTimeout((int) ChannelServer.HANDSHAKE_TIMEOUT.toMillis());
      socket.startHandshake();
      Certificate[] chain = socket.getSession().getPeerCertificates();
      client = (X509Certificate) chain[0];
      InputStream in = new BufferedInputStream(socket.getInputStream(), 16 << 10);
      String refused =
          ChannelHello.exchange(in, socket.getOutputStream(), () -> server.admit(this, client));
      if (refused != null) {
        close(refused);
        return;
      }
      socket.setSoTimeout(0); // idleness is the watchdog's, on the member's ticker
      output = socket.getOutputStream();
      input = in;
      Thread w = new Thread(this::writeLoop, "keyring-channel-writer");
      w.setDaemon(true);
      w.start();
      readLoop(in);
    } catch (SSLException e) {
      LOG.debug(
          "channel handshake with {} failed: {}", socket.getRemoteSocketAddress(), e.toString());
    } catch (IOException e) {
      if (!closed) {
        LOG.debug("channel connection {} ended: {}", socket.getRemoteSocketAddress(), e.toString());
      }
    } catch (RuntimeException e) {
      LOG.warn("channel connection {} failed", socket.getRemoteSocketAddress(), e);
    } finally {
      if (!closedForReading) {
        close(null);
      } // else the writer sends the refusal, then closes
    }
  }

  private void readLoop(InputStream in) throws IOException {
    InputStream rawIn = raw.getInputStream();
    long spin = server.spinNanos();
    boolean quick = true; // the client's last request came quickly: it sends in a loop
    while (!closed && !closedForReading) {
      long idleSince = 0;
      if (spin > 0 && in.available() == 0) {
        idleSince = System.nanoTime();
        if (quick && inFlight.get() == 0) { // with requests at the workers, cores are busy
          spinFor(rawIn, idleSince, spin);
        }
      }
      int length;
      try {
        length = ChannelFrames.readLength(in, settings.maxFrameBytes());
      } catch (ChannelFormatException e) {
        refuseConnection(ResultCode.CKR_ARGUMENTS_BAD, e.getMessage());
        return;
      }
      if (length < 0) {
        return; // the client closed
      }
      if (idleSince != 0) {
        // twice the spin: a wait without spinning includes this thread's own wake-up
        quick = System.nanoTime() - idleSince <= 2 * spin;
      }
      lastActivityNanos = server.ticker().nanoTime();
      long held = 0;
      if (length > FREE_FRAME_BYTES) {
        if (!bytes.tryAdd(length)) {
          byte[] header = in.readNBytes(6);
          ChannelFrames.skipFrame(in, length - header.length);
          int id = header.length == 6 ? Frame.idOf(header) : 0;
          refuse(
              id,
              Opcode.ERROR,
              ResultCode.CKR_DEVICE_MEMORY,
              "the member holds as much client data as it may (a frame of "
                  + length
                  + " bytes refused); read the answers under way, try again later or send less at"
                  + " once");
          continue;
        }
        held = length;
      }
      Frame f;
      try {
        f = ChannelFrames.readFrame(in, length);
      } catch (IOException e) {
        bytes.remove(held);
        throw e;
      }
      dispatch(f, held);
    }
  }

  /**
   * Before the reader sleeps in a read of a client whose last request came within the spin (one
   * sending in a loop): when one of the member's spinning slots is free, waits for the next bytes
   * on the CPU, polling the bytes the socket has received, for up to {@code spin} from {@code
   * start}, so that the next request wakes no sleeping thread.
   */
  private void spinFor(InputStream rawIn, long start, long spin) throws IOException {
    if (!ChannelServer.startSpin()) {
      return;
    }
    try {
      while (rawIn.available() == 0 && System.nanoTime() - start < spin && !closed) {
        Thread.yield();
      }
    } finally {
      ChannelServer.endSpin();
    }
  }

  private void dispatch(Frame f, long held) {
    boolean handedOver = false;
    try {
      try {
        service.checkClient(client);
      } catch (HsmException revoked) {
        // refused for the whole connection (id 0), written before it closes; nothing more is read
        refuseConnection(revoked.code(), revoked.detail());
        return;
      }
      Opcode op = f.opcode();
      if (op == null || op == Opcode.ERROR) {
        refuse(
            f.id(),
            Opcode.ERROR,
            ResultCode.CKR_FUNCTION_NOT_SUPPORTED,
            "unknown opcode 0x"
                + Integer.toHexString(f.opcodeByte())
                + "; see docs/crypto-channel.md");
        return;
      }
      ChannelRequest r;
      try {
        r = ChannelCodec.readRequest(f);
      } catch (ChannelFormatException e) {
        refuse(f.id(), op, ResultCode.CKR_ARGUMENTS_BAD, e.getMessage());
        return;
      } catch (HsmException e) {
        refuse(f.id(), op, e.code(), e.detail());
        return;
      }
      server.counted();
      if (op == Opcode.PING) {
        if (alone(0)) {
          writeNow(ChannelCodec.done(r.id, Opcode.PING, null), false);
        } else {
          send(ChannelCodec.done(r.id, Opcode.PING, null), false);
        }
        return;
      }
      if (inFlight.get() >= settings.maxInFlight()) {
        refuse(
            r.id,
            op,
            ResultCode.CKR_DEVICE_MEMORY,
            "this connection has "
                + settings.maxInFlight()
                + " requests under way, the most it may; read their answers before sending more");
        return;
      }
      // the frame (unless held before it was read) and a bound on its answer, until answered
      long admit = HeldBytes.answerBound(op, f.length()) + (held == 0 ? f.length() : 0);
      if (!bytes.tryAdd(admit)) {
        refuse(
            r.id,
            op,
            ResultCode.CKR_DEVICE_MEMORY,
            "the member holds as much client data as it may (a request of "
                + f.length()
                + " bytes refused); read the answers under way, try again later or send less at"
                + " once");
        return;
      }
      held += admit;
      long admitted = held;
      owed.incrementAndGet(); // before goingAway is read: goAway's waiter sees one or the other
      if (goingAway) {
        owed.decrementAndGet();
        return; // the member is stopping: not served, which its goodbye tells the client
      }
      if (inFlight.incrementAndGet() > 1) {
        overlapNanos = System.nanoTime(); // others of this client's requests are at the workers
      }
      if (served(op) && ChannelServer.small(r) && alone(1)) {
        boolean quick = ChannelServer.quick(r);
        if (quick || System.nanoTime() - overlapNanos > SEQUENTIAL_NANOS) {
          handedOver = true; // answer releases what is held
          server.servedOnReaderCounted();
          byte[] answer = answer(r, admitted);
          if (!quick && bytesWaiting()) {
            overlapNanos = System.nanoTime(); // the next request came while this one was served
          }
          writeNow(answer, true);
          owed.decrementAndGet();
          return;
        }
      }
      try {
        share.submit(() -> serve(r, admitted));
        handedOver = true;
      } catch (RejectedExecutionException stopping) {
        inFlight.decrementAndGet();
        owed.decrementAndGet();
        refuse(r.id, op, ResultCode.CKR_DEVICE_REMOVED, "the member is stopping");
      }
    } finally {
      if (!handedOver) {
        bytes.remove(held);
      }
    }
  }

  /** Whether a request of {@code op} may be served on the reader when it comes alone. */
  private static boolean served(Opcode op) {
    return op == Opcode.SIGN || op == Opcode.VERIFY || op == Opcode.ENCRYPT || op == Opcode.DECRYPT;
  }

  /**
   * Whether the request just read is alone: serving on the reader is on, {@code counted} requests
   * are under way (the request itself, or none for a ping) and no further bytes have been read.
   */
  private boolean alone(int counted) {
    if (!server.inline() || inFlight.get() != counted) {
      return false;
    }
    try {
      return input.available() == 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether bytes of the client's next request have arrived (read or not yet). */
  private boolean bytesWaiting() {
    try {
      return input.available() > 0 || raw.getInputStream().available() > 0;
    } catch (IOException e) {
      return false; // closed: the next read says so
    }
  }

  private void serve(ChannelRequest r, long held) {
    send(answer(r, held), true);
    owed.decrementAndGet();
  }

  /**
   * Serves {@code r} and answers its frame, which the connection then holds in place of the {@code
   * held} bytes its request was admitted with.
   */
  private byte[] answer(ChannelRequest r, long held) {
    byte[] answer;
    try {
      answer = service.serve(r, client);
    } catch (RuntimeException e) {
      LOG.warn("channel request {} failed", r, e);
      answer =
          ChannelCodec.refused(
              r.id,
              r.opcode,
              ResultCode.CKR_GENERAL_ERROR.value(),
              "internal error; see the member's log");
    } catch (Error e) {
      bytes.remove(held);
      throw e;
    }
    return bytes.hold(r, held, answer);
  }

  /**
   * Writes {@code frame} on the reader when the writer is idle with nothing queued, else queues it
   * for the writer. A write that blocks is timed by the watchdog like the writer's.
   */
  private void writeNow(byte[] frame, boolean admitted) {
    if (closed || !out.isEmpty() || !writeLock.tryLock()) {
      send(frame, admitted);
      return;
    }
    try {
      writeStartedNanos = server.ticker().nanoTime();
      writing = true;
      if (admitted) {
        inFlight.decrementAndGet();
      }
      output.write(frame);
      output.flush();
      writing = false;
      lastActivityNanos = server.ticker().nanoTime();
      if (admitted) {
        bytes.remove(frame.length);
      }
    } catch (IOException e) {
      if (!closed) {
        LOG.debug("channel write to {} failed: {}", socket.getRemoteSocketAddress(), e.toString());
      }
      close(null);
    } finally {
      writeLock.unlock();
    }
  }

  private void refuse(int id, Opcode op, ResultCode code, String message) {
    if (refusalsQueued.incrementAndGet() > settings.maxInFlight()) {
      close("the client sends requests without reading their answers");
      return;
    }
    send(ChannelCodec.refused(id, op, code.value(), message), false);
  }

  /** The member stops: requests read from now on are dropped unserved (its goodbye says so). */
  void goAway() {
    goingAway = true;
  }

  /** Requests admitted before {@link #goAway} whose answers are not yet written or queued. */
  int owed() {
    return owed.get();
  }

  /** Whether the refusal or close queued last has been written, or the connection closed. */
  boolean ended() {
    return goodbyeWritten || closed;
  }

  /**
   * Refuses the connection itself (a frame it could not read, its client revoked, the member
   * stopping) with a frame of id 0, and closes; nothing when it is closed or refused already.
   */
  void refuseConnection(ResultCode code, String message) {
    if (closed || closedForReading) {
      return;
    }
    closedForReading = true; // first: the writer lingers when it meets the close
    out.add(new Out(ChannelCodec.refused(0, Opcode.ERROR, code.value(), message), false));
    out.add(new Out(CLOSE, false));
    LOG.info("channel connection {} refused: {}", socket.getRemoteSocketAddress(), message);
  }

  private void send(byte[] frame, boolean admitted) {
    if (closed) {
      if (admitted) {
        bytes.remove(frame.length);
      }
      return;
    }
    out.add(new Out(frame, admitted));
  }

  private void writeLoop() {
    List<Out> batch = new ArrayList<>();
    try {
      OutputStream o = socket.getOutputStream();
      while (!closed) {
        Out first = out.take();
        batch.clear();
        batch.add(first);
        int size = first.frame.length;
        Out next;
        while (size < MAX_WRITE_BYTES && (next = out.peek()) != null) {
          batch.add(out.poll());
          size += next.frame.length;
        }
        // one answer goes out as it is; several are joined in the connection's buffer
        byte[] buf;
        if (batch.size() == 1 && first.frame != CLOSE) {
          buf = null;
        } else if (size <= MAX_WRITE_BYTES) {
          if (joined.length < size) {
            joined = new byte[Math.min(MAX_WRITE_BYTES, Math.max(size, 2 * joined.length))];
          }
          buf = joined;
        } else {
          buf = new byte[size];
        }
        int at = 0;
        boolean end = false;
        int admitted = 0;
        long admittedBytes = 0;
        int refusals = 0;
        for (Out b : batch) {
          if (b.frame == CLOSE) {
            end = true;
            break;
          }
          if (buf != null) {
            System.arraycopy(b.frame, 0, buf, at, b.frame.length);
          }
          at += b.frame.length;
          if (b.admitted) {
            admitted++;
            admittedBytes += b.frame.length;
          } else {
            refusals++;
          }
        }
        // the batch's requests stop counting before their answers are written: a client that
        // has read an answer may send the next request at once (a blocked write still holds at
        // most one batch, so the answers held per connection stay within twice the bound)
        inFlight.addAndGet(-admitted);
        refusalsQueued.addAndGet(-refusals);
        if (at > 0) {
          writeLock.lock();
          try {
            writeStartedNanos = server.ticker().nanoTime();
            writing = true;
            o.write(buf == null ? first.frame : buf, 0, at);
            o.flush();
            writing = false;
            lastActivityNanos = server.ticker().nanoTime();
          } finally {
            writeLock.unlock();
          }
        }
        bytes.remove(admittedBytes);
        if (end) {
          goodbyeWritten = true;
          if (closedForReading) { // a refusal, kept for the client to read (timed as a write)
            writeStartedNanos = server.ticker().nanoTime();
            writing = true;
            Linger.drain(raw);
          }
          close(null);
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SocketException e) {
      // closed: by the watchdog, the reader, or the client
    } catch (IOException e) {
      LOG.debug("channel write to {} failed: {}", socket.getRemoteSocketAddress(), e.toString());
    } finally {
      close(null);
    }
  }

  /** Closes the connection if the member's ticker says it is idle or stuck in a write. */
  void watch(long nowNanos) {
    if (writing && nowNanos - writeStartedNanos > settings.writeTimeout().toNanos()) {
      close("a write of answers took longer than " + settings.writeTimeout().toMillis() + " ms");
    } else if (!writing
        && inFlight.get() == 0
        && out.isEmpty()
        && nowNanos - lastActivityNanos > settings.idleTimeout().toNanos()) {
      close("idle for " + settings.idleTimeout().toSeconds() + " s");
    } // a refused connection is closed by its writer, once the client could read the refusal
  }

  /** Whether the client presented the certificate with {@code serial}. */
  boolean presented(BigInteger serial) {
    X509Certificate c = client;
    return c != null && c.getSerialNumber().equals(serial);
  }

  /** Closes the connection; {@code reason} (when not null) is logged once. */
  void close(String reason) {
    if (closed) {
      return;
    }
    closed = true;
    if (reason != null) {
      LOG.info("channel connection {} closed: {}", socket.getRemoteSocketAddress(), reason);
    }
    out.add(new Out(CLOSE, false));
    bytes.close(); // what it borrowed goes back to the member's budget
    try {
      raw.close(); // first: a writer blocked on a client that does not read is released at once
    } catch (IOException e) {
      // closing
    }
    try {
      socket.close();
    } catch (IOException e) {
      // closed underneath
    }
    server.closed(this);
  }

  long heldBytes() {
    return bytes.held();
  }

  long ownBytes() {
    return bytes.own();
  }

  boolean isClosed() {
    return closed;
  }
}
