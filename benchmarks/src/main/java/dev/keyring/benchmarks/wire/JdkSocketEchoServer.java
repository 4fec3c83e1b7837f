package dev.keyring.benchmarks.wire;

import dev.keyring.protocol.channel.ChannelFrames;
import dev.keyring.protocol.channel.ChannelSocket;
import dev.keyring.protocol.channel.Frame;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * The member's I/O stack ({@code dev.keyring.sim.channel}) reduced to the echo: a plain {@link
 * ServerSocket}, TLS layered per accepted socket ({@link SSLSocket}, server mode, client
 * certificate required), TCP_NODELAY, a reader thread per connection that reads frames with the
 * channel's own {@link ChannelFrames#readLength} and {@link ChannelFrames#readFrame} and queues
 * each answer, and a writer thread that writes what is queued: a lone answer as it is, several
 * joined in one buffer the connection keeps (one write of at most 256 KiB), as {@code
 * ChannelConnection} does. No worker pool: the echo has no work to hand to one.
 *
 * <p>{@code inline} is the member as it runs now: the plain socket under the TLS buffers its reads
 * ({@link ChannelSocket}: one system call per TLS record), and the reader writes an answer itself
 * when no further bytes of the client have come, nothing is queued and the writer is not writing
 * (the member's request "alone", served and answered on its reader); the others go to the writer.
 * The member's spin for the next request is left out, as every other server here has none.
 */
final class JdkSocketEchoServer extends FailureKeeper {
  private static final int MAX_WRITE_BYTES = 256 << 10;
  private static final byte[] CLOSE = new byte[0];

  private final SSLContext context;
  private final boolean inline;
  private final ServerSocket listener;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();

  JdkSocketEchoServer(SSLContext context, boolean inline) throws IOException {
    this.context = context;
    this.inline = inline;
    if (inline) {
      listener = new ChannelSocket.Listening();
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    } else {
      listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }
    Thread acceptor = new Thread(this::accept, "wire-jdk-socket-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  @Override
  public int port() {
    return listener.getLocalPort();
  }

  private void accept() {
    while (!closed) {
      Socket accepted;
      try {
        accepted = listener.accept();
      } catch (IOException e) {
        fail(e);
        return;
      }
      try {
        accepted.setTcpNoDelay(true);
        SSLSocket socket =
            (SSLSocket)
                context.getSocketFactory().createSocket(accepted, null, accepted.getPort(), true);
        socket.setUseClientMode(false);
        socket.setNeedClientAuth(true);
        socket.setEnabledProtocols(new String[] {"TLSv1.3"});
        open.add(socket);
        Connection c = new Connection(socket);
        Thread reader = new Thread(c::read, "wire-jdk-socket-reader");
        reader.setDaemon(true);
        reader.start();
      } catch (IOException | RuntimeException e) {
        fail(e);
        closeQuietly(accepted);
      }
    }
  }

  /** One client's connection: its reader (the thread that made it runs it) and its writer. */
  private final class Connection {
    private final SSLSocket socket;
    private final LinkedBlockingQueue<byte[]> out = new LinkedBlockingQueue<>();
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicInteger unwritten = new AtomicInteger(); // queued, or taken and not written

    Connection(SSLSocket socket) {
      this.socket = socket;
    }

    void read() {
      try {
        socket.startHandshake();
        Thread writer = new Thread(this::write, "wire-jdk-socket-writer");
        writer.setDaemon(true);
        writer.start();
        InputStream in = new BufferedInputStream(socket.getInputStream(), 16 << 10);
        OutputStream answers = socket.getOutputStream(); // the reader's own writes
        while (true) {
          int length = ChannelFrames.readLength(in, 1024);
          if (length < 0) {
            break; // the client closed
          }
          if (length != EchoFrames.REQUEST_BYTES - 4) {
            throw new IOException(EchoFrames.badRequestLength(length));
          }
          Frame f = ChannelFrames.readFrame(in, length);
          byte[] answer = EchoFrames.answer(f.id());
          // in order (the echo client checks it): only when every earlier answer is written
          if (inline && in.available() == 0 && unwritten.get() == 0 && writeLock.tryLock()) {
            try { // alone: answered on the reader, no thread woken
              answers.write(answer);
              answers.flush();
            } finally {
              writeLock.unlock();
            }
          } else {
            unwritten.incrementAndGet();
            out.add(answer);
          }
        }
      } catch (SocketException e) {
        // closed by close() or by the client
      } catch (IOException | RuntimeException e) {
        fail(e);
      } finally {
        out.add(CLOSE);
      }
    }

    void write() {
      List<byte[]> batch = new ArrayList<>();
      byte[] joined = new byte[0];
      try {
        OutputStream o = socket.getOutputStream();
        while (true) {
          byte[] first = out.take();
          if (first == CLOSE) {
            return;
          }
          batch.clear();
          batch.add(first);
          int size = first.length;
          byte[] next;
          while (size < MAX_WRITE_BYTES && (next = out.peek()) != null && next != CLOSE) {
            batch.add(out.poll());
            size += next.length;
          }
          byte[] buf;
          if (batch.size() == 1) {
            buf = first;
          } else {
            if (joined.length < size) {
              joined = new byte[Math.min(MAX_WRITE_BYTES, Math.max(size, 2 * joined.length))];
            }
            buf = joined.length >= size ? joined : new byte[size];
            int at = 0;
            for (byte[] b : batch) {
              System.arraycopy(b, 0, buf, at, b.length);
              at += b.length;
            }
          }
          writeLock.lock();
          try {
            o.write(buf, 0, size);
            o.flush();
            unwritten.addAndGet(-batch.size());
          } finally {
            writeLock.unlock();
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (SocketException e) {
        // closed
      } catch (IOException | RuntimeException e) {
        fail(e);
      } finally {
        open.remove(socket);
        closeQuietly(socket);
      }
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Socket s : open) {
      closeQuietly(s);
    }
  }
}
