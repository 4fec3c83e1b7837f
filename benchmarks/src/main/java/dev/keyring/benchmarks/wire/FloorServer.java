package dev.keyring.benchmarks.wire;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import dev.keyring.protocol.channel.ChannelSocket;
import dev.keyring.protocol.channel.ChannelTls;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * The least a remote signature can cost on this machine: a server that answers each request with
 * ACCP's P-256 signature of the digest it carries (or ACCP's AES-GCM encryption of the 1 KiB it
 * carries under the 12-byte IV before it), over loopback TCP (the channel's buffered {@link
 * ChannelSocket}), a thread per connection, with the channel's TLS settings or no TLS at all, no
 * routing, no session, a 4-byte length before each message and nothing else. Both ends may spin
 * before they block, as the crypto channel's do ({@link #awaitBytes}).
 *
 * <p>What it leaves out is what the channel adds to it (frame encoding, sessions, checks, routing,
 * and TLS records when it runs without), so its rows bound from above what a client–server design
 * can reach on the same cores, and the distance to the channel's rows is what the rest costs.
 */
final class FloorServer implements Closeable {
  static final String P256 = "P-256-ECDSA";
  static final String AES_GCM = "AES-GCM-1KiB";

  private final ChannelSocket.Listening server;
  private final SSLContext tls; // null: plain TCP
  private final String op;
  private final Key key;
  private final long spinNanos;
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile boolean closed;

  FloorServer(String op, Key key, long spinMicros, SSLContext tls) throws IOException {
    if (!P256.equals(op) && !AES_GCM.equals(op)) {
      throw new IllegalArgumentException("op must be " + P256 + " or " + AES_GCM + ", got " + op);
    }
    this.op = op;
    this.key = key;
    this.spinNanos = spinMicros * 1_000L;
    this.tls = tls;
    server = new ChannelSocket.Listening();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    Thread t = new Thread(this::acceptLoop, "floor-accept");
    t.setDaemon(true);
    t.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** The first failure a connection met, or null. */
  Throwable failure() {
    return failure.get();
  }

  private void acceptLoop() {
    try {
      while (!closed) {
        ChannelSocket s = server.accept();
        s.setTcpNoDelay(true);
        accepted.add(s);
        Thread t = new Thread(() -> serve(s), "floor-serve");
        t.setDaemon(true);
        t.start();
      }
    } catch (IOException e) {
      keep(e);
    }
  }

  private void serve(ChannelSocket raw) {
    try {
      Socket s = raw;
      if (tls != null) {
        SSLSocket ssl =
            (SSLSocket)
                tls.getSocketFactory()
                    .createSocket(raw, raw.getInetAddress().getHostAddress(), raw.getPort(), true);
        ssl.setUseClientMode(false);
        ssl.setNeedClientAuth(true);
        ChannelTls.apply(ssl);
        ssl.startHandshake();
        s = ssl;
      }
      InputStream rawIn = raw.getInputStream();
      Signature signature = null;
      Cipher cipher = null;
      if (P256.equals(op)) {
        signature = Signature.getInstance("NONEwithECDSA", AmazonCorrettoCryptoProvider.INSTANCE);
        signature.initSign((PrivateKey) key);
      } else {
        cipher = Cipher.getInstance("AES/GCM/NoPadding", AmazonCorrettoCryptoProvider.INSTANCE);
      }
      DataInputStream in =
          new DataInputStream(
              tls == null ? rawIn : new BufferedInputStream(s.getInputStream(), 4096));
      OutputStream out = s.getOutputStream();
      byte[] body = new byte[4096];
      while (!closed) {
        awaitBytes(in, rawIn, spinNanos);
        int length;
        try {
          length = in.readInt();
        } catch (EOFException end) {
          return;
        }
        if (length < 0 || length > body.length) {
          throw new IOException("a request of " + length + " bytes");
        }
        in.readFully(body, 0, length);
        byte[] answer;
        if (signature != null) {
          signature.update(body, 0, length);
          answer = signature.sign();
        } else {
          cipher.init(Cipher.ENCRYPT_MODE, (SecretKey) key, new GCMParameterSpec(128, body, 0, 12));
          answer = cipher.doFinal(body, 12, length - 12);
        }
        out.write(framed(answer));
      }
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      keep(e); // a socket closed by close() is not kept
    }
  }

  private void keep(Throwable t) {
    if (!closed) {
      failure.compareAndSet(null, t);
    }
  }

  /** {@code body} behind its 4-byte length, for one write. */
  static byte[] framed(byte[] body) {
    byte[] f = new byte[4 + body.length];
    f[0] = (byte) (body.length >>> 24);
    f[1] = (byte) (body.length >>> 16);
    f[2] = (byte) (body.length >>> 8);
    f[3] = (byte) body.length;
    System.arraycopy(body, 0, f, 4, body.length);
    return f;
  }

  /**
   * Spins up to {@code spinNanos} for bytes to arrive ({@code in}: what the reader reads, {@code
   * raw}: the buffered socket under its TLS, or the same stream), yielding each turn (two ends on
   * two cores), as the channel's reader and caller do; the read after it blocks when none came.
   */
  static void awaitBytes(InputStream in, InputStream raw, long spinNanos) throws IOException {
    if (spinNanos <= 0 || in.available() > 0 || raw.available() > 0) {
      return;
    }
    long end = System.nanoTime() + spinNanos;
    while (raw.available() == 0 && System.nanoTime() < end) {
      Thread.yield();
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket s : accepted) {
      s.close();
    }
  }
}
