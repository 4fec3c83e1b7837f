package dev.keyring.protocol.channel;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;

/**
 * The plain TCP socket under a crypto channel connection's TLS, on both ends: a {@link Socket}
 * whose input stream is buffered, so that the TLS layered over it receives a record in one read
 * from the kernel.
 *
 * <p>Why: the JDK's {@code SSLSocket} reads every TLS record it receives in two reads of its
 * underlying stream, the 5-byte record header and then the body, and on a plain socket each is a
 * system call. Through this socket's buffer the header's read takes whatever the kernel holds (up
 * to {@link #BUFFER_BYTES}: a whole record of a signature's request or answer, often several
 * records) and the body comes from the buffer: one system call per record instead of two on each
 * end, two per round trip fewer.
 *
 * <p>The buffer's {@code available()} counts the bytes it holds plus those the kernel has received,
 * so a reader polling it before it reads (the member's spin) sees bytes the TLS layer has not taken
 * yet either way. Every other call is the plain socket's own: closing it ends the connection at
 * once, as closing the socket under the TLS always did. The member accepts its connections into
 * this class ({@link Listening}); the client creates it before connecting.
 */
public final class ChannelSocket extends Socket {
  /** The read buffer: a TLS record of the most plaintext (16 KiB) and its overhead, and more. */
  public static final int BUFFER_BYTES = 20 << 10;

  private final Object lock = new Object(); // not the socket's own monitor
  private InputStream buffered; // guarded by lock

  /** An unconnected socket, connected by {@link #connect}. */
  public ChannelSocket() {
    super();
  }

  /**
   * The socket's input stream, buffered; the same stream at every call. The plain socket's checks
   * come first: a closed, unconnected or input-shut-down socket throws as it would.
   */
  @Override
  public InputStream getInputStream() throws IOException {
    InputStream plain = super.getInputStream();
    synchronized (lock) {
      if (buffered == null) {
        buffered = new BufferedInputStream(plain, BUFFER_BYTES);
      }
      return buffered;
    }
  }

  /** A listening socket whose accepted connections are {@link ChannelSocket}s. */
  public static final class Listening extends java.net.ServerSocket {
    /** An unbound listening socket, bound by {@link #bind}. */
    public Listening() throws IOException {
      super();
    }

    @Override
    public ChannelSocket accept() throws IOException {
      ChannelSocket s = new ChannelSocket();
      implAccept(s);
      return s;
    }
  }
}
