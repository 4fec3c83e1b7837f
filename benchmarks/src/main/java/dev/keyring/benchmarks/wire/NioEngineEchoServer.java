package dev.keyring.benchmarks.wire;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * The echo on the JDK's {@link SSLEngine} over non-blocking {@link SocketChannel}s with one
 * selector thread for the listener and every connection. The thread reads ciphertext, unwraps it
 * (running the engine's delegated tasks itself), reads the frames out of the plaintext, puts their
 * answers in the connection's plaintext out-buffer, wraps and writes; what the socket does not take
 * waits for {@code OP_WRITE}. Buffers grow on {@code BUFFER_OVERFLOW} (and on {@code
 * BUFFER_UNDERFLOW} when the in-buffer is full), so a TLS record of any legal size fits.
 */
final class NioEngineEchoServer extends FailureKeeper {
  private final SSLContext context;
  private final Selector selector;
  private final ServerSocketChannel listener;
  private final Thread loop;

  NioEngineEchoServer(SSLContext context) throws IOException {
    this.context = context;
    this.selector = Selector.open();
    this.listener = ServerSocketChannel.open();
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    listener.configureBlocking(false);
    listener.register(selector, SelectionKey.OP_ACCEPT);
    loop = new Thread(this::run, "wire-nio-selector");
    loop.setDaemon(true);
    loop.start();
  }

  @Override
  public int port() {
    return listener.socket().getLocalPort();
  }

  private void run() {
    try {
      while (!closed) {
        selector.select();
        Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
          SelectionKey key = keys.next();
          keys.remove();
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            try {
              accept();
            } catch (IOException | RuntimeException e) {
              fail(e);
            }
            continue;
          }
          Connection c = (Connection) key.attachment();
          try {
            if (key.isReadable()) {
              c.onReadable();
            }
            if (key.isValid() && key.isWritable()) {
              c.pump();
            }
          } catch (IOException | RuntimeException e) {
            if (!c.peerClosed) {
              fail(e);
            }
            c.close();
          }
        }
      }
    } catch (ClosedSelectorException e) {
      // closed
    } catch (IOException | RuntimeException e) {
      fail(e);
    } finally {
      if (selector.isOpen()) {
        for (SelectionKey k : selector.keys()) {
          closeQuietly(k.channel());
        }
      }
      closeQuietly(listener);
      closeQuietly(selector);
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  private void accept() throws IOException {
    SocketChannel ch;
    while ((ch = listener.accept()) != null) {
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      InetSocketAddress peer = (InetSocketAddress) ch.getRemoteAddress();
      SSLEngine engine = context.createSSLEngine(peer.getHostString(), peer.getPort());
      engine.setUseClientMode(false);
      engine.setNeedClientAuth(true);
      engine.setEnabledProtocols(new String[] {"TLSv1.3"});
      engine.beginHandshake();
      Connection c = new Connection(ch, engine);
      c.key = ch.register(selector, SelectionKey.OP_READ, c);
    }
  }

  /** One connection's engine and buffers; touched by the selector thread only. */
  private static final class Connection {
    private final SocketChannel ch;
    private final SSLEngine engine;
    SelectionKey key;
    boolean peerClosed;

    /** Ciphertext read, not yet unwrapped (write mode). */
    private ByteBuffer netIn;

    /** Plaintext unwrapped, not yet read as frames (write mode). */
    private ByteBuffer appIn;

    /** Plaintext answers, not yet wrapped (write mode). */
    private ByteBuffer appOut;

    /** Ciphertext wrapped, not yet written (write mode). */
    private ByteBuffer netOut;

    private final byte[] answer = new byte[EchoFrames.ANSWER_BYTES];

    Connection(SocketChannel ch, SSLEngine engine) {
      this.ch = ch;
      this.engine = engine;
      int packet = engine.getSession().getPacketBufferSize();
      int app = engine.getSession().getApplicationBufferSize();
      netIn = ByteBuffer.allocate(packet);
      appIn = ByteBuffer.allocate(app);
      appOut = ByteBuffer.allocate(16 << 10);
      netOut = ByteBuffer.allocate(packet);
    }

    void onReadable() throws IOException {
      if (!netIn.hasRemaining()) {
        netIn = grow(netIn, netIn.capacity() * 2);
      }
      int n = ch.read(netIn);
      if (n < 0) {
        peerClosed = true;
        try {
          engine.closeInbound();
        } catch (SSLException e) {
          // the client left without close_notify; nothing more will be read either way
        }
        close();
        return;
      }
      pump();
    }

    /** Unwraps, answers, wraps and writes until nothing moves any more. */
    void pump() throws IOException {
      boolean moved;
      do {
        moved = unwrap();
        moved |= runTasks();
        answerFrames();
        moved |= wrap();
      } while (moved && ch.isOpen());
      flush();
    }

    private boolean runTasks() {
      boolean ran = false;
      Runnable task;
      while ((task = engine.getDelegatedTask()) != null) {
        task.run();
        ran = true;
      }
      return ran;
    }

    private boolean unwrap() throws IOException {
      boolean moved = false;
      while (true) {
        HandshakeStatus hs = engine.getHandshakeStatus();
        if (hs == HandshakeStatus.NEED_TASK || hs == HandshakeStatus.NEED_WRAP) {
          return moved;
        }
        if (netIn.position() == 0) {
          return moved;
        }
        netIn.flip();
        SSLEngineResult r;
        try {
          r = engine.unwrap(netIn, appIn);
        } finally {
          netIn.compact();
        }
        switch (r.getStatus()) {
          case OK:
            if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
              return moved;
            }
            moved = true;
            break;
          case BUFFER_OVERFLOW:
            // the record does not fit what is free of appIn: read the frames out first, then
            // make room for a whole record
            answerFrames();
            int need = engine.getSession().getApplicationBufferSize();
            if (appIn.remaining() < need) {
              appIn = grow(appIn, appIn.position() + need);
            }
            moved = true;
            break;
          case BUFFER_UNDERFLOW:
            // a partial record: wait for more bytes, with room for a whole record
            int packet = engine.getSession().getPacketBufferSize();
            if (netIn.capacity() < packet) {
              netIn = grow(netIn, packet);
            }
            return moved;
          case CLOSED:
            // the client's close_notify: answer with ours (wrapped next), once
            if (peerClosed) {
              return moved;
            }
            peerClosed = true;
            engine.closeOutbound();
            return true;
          default:
            throw new SSLException("unexpected unwrap status " + r.getStatus());
        }
      }
    }

    /** Reads every whole request frame in appIn and queues its answer in appOut. */
    private void answerFrames() throws IOException {
      appIn.flip();
      try {
        while (appIn.remaining() >= 4) {
          int at = appIn.position();
          int length = appIn.getInt(at);
          if (length != EchoFrames.REQUEST_BYTES - 4) {
            throw new IOException(EchoFrames.badRequestLength(length));
          }
          if (appIn.remaining() < 4 + length) {
            break;
          }
          int id = appIn.getInt(at + 4);
          appIn.position(at + 4 + length);
          EchoFrames.putAnswer(answer, 0, id);
          if (appOut.remaining() < answer.length) {
            appOut = grow(appOut, appOut.capacity() * 2);
          }
          appOut.put(answer);
        }
      } finally {
        appIn.compact();
      }
    }

    private boolean wrap() throws IOException {
      boolean moved = false;
      while (true) {
        HandshakeStatus hs = engine.getHandshakeStatus();
        boolean handshake = hs == HandshakeStatus.NEED_WRAP;
        boolean data =
            appOut.position() > 0
                && (hs == HandshakeStatus.NOT_HANDSHAKING || hs == HandshakeStatus.FINISHED);
        if (!handshake && !data) {
          return moved;
        }
        appOut.flip();
        SSLEngineResult r;
        try {
          r = engine.wrap(appOut, netOut);
        } finally {
          appOut.compact();
        }
        switch (r.getStatus()) {
          case OK:
            if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
              return moved;
            }
            moved = true;
            break;
          case BUFFER_OVERFLOW:
            // netOut cannot take a record: write what it holds; if the socket takes nothing now,
            // go on when it is writable again; an empty buffer too small grows
            if (netOut.position() == 0) {
              netOut = grow(netOut, engine.getSession().getPacketBufferSize());
            } else if (!flush()) {
              return moved;
            }
            break;
          case CLOSED:
            flush();
            close();
            return true;
          default:
            throw new SSLException("unexpected wrap status " + r.getStatus());
        }
      }
    }

    /**
     * Writes what netOut holds; asks for {@code OP_WRITE} when the socket did not take all of it.
     *
     * @return whether anything was written
     */
    private boolean flush() throws IOException {
      if (!ch.isOpen()) {
        return false;
      }
      int written = 0;
      if (netOut.position() > 0) {
        netOut.flip();
        try {
          written = ch.write(netOut);
        } finally {
          netOut.compact();
        }
      }
      int ops = SelectionKey.OP_READ | (netOut.position() > 0 ? SelectionKey.OP_WRITE : 0);
      if (key.interestOps() != ops) {
        key.interestOps(ops);
      }
      return written > 0;
    }

    void close() {
      key.cancel();
      try {
        ch.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  private static ByteBuffer grow(ByteBuffer b, int capacity) {
    ByteBuffer bigger = ByteBuffer.allocate(Math.max(capacity, b.capacity()));
    b.flip();
    bigger.put(b);
    return bigger;
  }

  @Override
  public void close() {
    // the selector thread closes every channel and the selector itself on its way out
    closed = true;
    selector.wakeup();
    try {
      loop.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
