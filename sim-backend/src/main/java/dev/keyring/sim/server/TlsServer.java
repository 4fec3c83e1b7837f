package dev.keyring.sim.server;

import javax.net.ssl.SSLContext;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Jetty server of one of the member's APIs (admin, crypto), over TLS on one port. */
final class TlsServer {
  private static final Logger LOG = LoggerFactory.getLogger(TlsServer.class);

  private TlsServer() {}

  /**
   * One API's server. No request holds a worker thread while its body arrives ({@link BodyReader});
   * a connection idle for {@link MemberConfig#idleTimeout()} is closed; an HTTP/2 connection may
   * have {@link MemberConfig#maxConcurrentStreams()} streams open (more are refused), each closed
   * when idle as long; at most {@link MemberConfig#maxConnections()} connections are open at once
   * (more wait to be accepted); request headers are limited to {@value Member#MAX_HEADER_BYTES}
   * bytes (431 beyond). {@code connectionListener}, when not null, is told of each connection and
   * TLS handshake (the crypto API's {@link ClientConnectionLimit}).
   */
  static Server start(
      MemberConfig config,
      int port,
      SSLContext context,
      boolean needClientAuth,
      Handler handler,
      java.util.EventListener connectionListener,
      String name,
      BodyLimits errorBodies)
      throws Exception {
    QueuedThreadPool pool = new QueuedThreadPool(64, 4);
    pool.setName(name);
    pool.setDaemon(true);
    Server server = new Server(pool);
    long idle = config.idleTimeout().toMillis();
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setRequestHeaderSize(Member.MAX_HEADER_BYTES);
    SecureRequestCustomizer secure = new SecureRequestCustomizer();
    secure.setSniHostCheck(false);
    http.addCustomizer(secure);
    HttpConnectionFactory h1 = new HttpConnectionFactory(http);
    HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(http);
    h2.setMaxConcurrentStreams(config.maxConcurrentStreams());
    h2.setStreamIdleTimeout(idle);
    ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory();
    alpn.setDefaultProtocol(h1.getProtocol());
    SslContextFactory.Server ssl = new SslContextFactory.Server();
    ssl.setSslContext(context);
    ssl.setNeedClientAuth(needClientAuth);
    ssl.setSniRequired(false);
    ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    SslConnectionFactory tls = new SslConnectionFactory(ssl, alpn.getProtocol());
    ServerConnector connector = new ServerConnector(server, tls, alpn, h2, h1);
    connector.setHost(config.bindAddress());
    connector.setPort(port);
    connector.setAcceptedTcpNoDelay(true);
    connector.setReuseAddress(true);
    connector.setIdleTimeout(idle);
    server.addConnector(connector);
    if (connectionListener != null) {
      connector.addBean(connectionListener, false); // told of each connection and handshake
    }
    EndpointLimit limit = new EndpointLimit(connector, config.maxConnections());
    connector.addBean(limit);
    server.setHandler(handler);
    server.setErrorHandler(new JsonErrorHandler(errorBodies));
    server.setStopTimeout(5_000);
    try {
      server.start();
    } catch (Exception e) {
      stopQuietly(server); // a port in use: its threads go, and the caller may try another port
      throw e;
    }
    return server;
  }

  /** Stops {@code s} (when not null), logging rather than throwing a failure to stop. */
  static void stopQuietly(Server s) {
    if (s != null) {
      try {
        s.stop();
      } catch (Exception e) {
        LOG.warn("stopping {} failed", s, e);
      }
    }
  }
}
