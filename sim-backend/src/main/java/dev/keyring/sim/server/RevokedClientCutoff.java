package dev.keyring.sim.server;

import java.math.BigInteger;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a revocation does at once on a member: every crypto session the client's certificate opened
 * is closed (logged out, its multi-part operations ended) and every crypto API connection that
 * presented that certificate is closed, HTTP/2 ones included. The handshake refuses the certificate
 * from then on, and a request on a connection that slipped through is refused too.
 */
final class RevokedClientCutoff {
  private static final Logger LOG = LoggerFactory.getLogger(RevokedClientCutoff.class);

  private final CryptoSessions sessions;
  private final Supplier<Server> cryptoServer;
  private final java.util.function.ToIntFunction<BigInteger> channelConnections;

  /**
   * @param channelConnections closes the crypto channel connections of a certificate serial and
   *     says how many
   */
  RevokedClientCutoff(
      CryptoSessions sessions,
      Supplier<Server> cryptoServer,
      java.util.function.ToIntFunction<BigInteger> channelConnections) {
    this.sessions = sessions;
    this.cryptoServer = cryptoServer;
    this.channelConnections = channelConnections;
  }

  /** Cuts off the client whose certificate has serial {@code serial}. */
  void cut(BigInteger serial) {
    int closed = sessions.closeOwnedBy(serial.toString(16));
    int connections = closeConnections(serial) + channelConnections.applyAsInt(serial);
    LOG.info(
        "revoked client certificate {}: {} crypto session(s) closed, {} connection(s) cut",
        serial.toString(16),
        closed,
        connections);
  }

  private int closeConnections(BigInteger serial) {
    Server s = cryptoServer.get();
    if (s == null) {
      return 0;
    }
    int n = 0;
    for (org.eclipse.jetty.server.Connector c : s.getConnectors()) {
      if (!(c instanceof ServerConnector connector)) {
        continue;
      }
      for (EndPoint ep : connector.getConnectedEndPoints()) {
        if (presented(ep.getConnection(), serial)) {
          ep.close();
          n++;
        }
      }
    }
    return n;
  }

  private static boolean presented(Connection c, BigInteger serial) {
    if (!(c instanceof SslConnection ssl)) {
      return false;
    }
    try {
      Certificate[] chain = ssl.getSSLEngine().getSession().getPeerCertificates();
      return chain.length > 0
          && chain[0] instanceof X509Certificate leaf
          && leaf.getSerialNumber().equals(serial);
    } catch (SSLPeerUnverifiedException handshakeNotDone) {
      return false; // the handshake still to come checks revocation itself
    }
  }
}
