package dev.keyring.benchmarks.wire;

/**
 * A mutual-TLS (TLS 1.3) echo server on loopback for {@link WireStackBenchmark}: it reads request
 * frames ({@link EchoFrames}) and answers each with an answer frame under the same id, in order.
 * One implementation per I/O stack compared.
 */
interface EchoServer extends AutoCloseable {
  /** SSLSocket over a plain server socket, a reader and a writer thread per connection. */
  String JDK_SOCKET = "jdk-socket";

  /**
   * The same with the member's buffered plain socket, and a lone answer written by the reader
   * itself, as the member runs now.
   */
  String JDK_SOCKET_INLINE = "jdk-socket-inline";

  /** SSLEngine over a non-blocking SocketChannel, one selector thread. */
  String JDK_SSLENGINE_NIO = "jdk-sslengine-nio";

  /** Netty's NIO transport with the JDK's TLS (SslProvider.JDK). */
  String NETTY_JDK = "netty-jdk";

  /** Netty's NIO transport with BoringSSL from netty-tcnative (SslProvider.OPENSSL). */
  String NETTY_OPENSSL = "netty-openssl";

  /** The loopback port it listens on. */
  int port();

  /** The first failure the server met (a bad frame, a TLS or I/O error), or null. */
  Throwable failure();

  /** Stops listening and closes every connection. */
  @Override
  void close();

  /**
   * Starts the server of {@code stack} with the server certificate of {@code certificates},
   * requiring a client certificate issued by its CA.
   *
   * @throws IllegalArgumentException for an unknown stack
   * @throws IllegalStateException for {@code netty-openssl} when netty-tcnative cannot be loaded
   */
  static EchoServer start(String stack, WireCertificates certificates) throws Exception {
    switch (stack) {
      case JDK_SOCKET:
        return new JdkSocketEchoServer(certificates.serverContext(), false);
      case JDK_SOCKET_INLINE:
        return new JdkSocketEchoServer(certificates.serverContext(), true);
      case JDK_SSLENGINE_NIO:
        return new NioEngineEchoServer(certificates.serverContext());
      case NETTY_JDK:
        return NettyEchoServer.start(certificates, false);
      case NETTY_OPENSSL:
        return NettyEchoServer.start(certificates, true);
      default:
        throw new IllegalArgumentException(
            "unknown stack "
                + stack
                + "; known: "
                + String.join(
                    ", ",
                    JDK_SOCKET,
                    JDK_SOCKET_INLINE,
                    JDK_SSLENGINE_NIO,
                    NETTY_JDK,
                    NETTY_OPENSSL));
    }
  }
}
