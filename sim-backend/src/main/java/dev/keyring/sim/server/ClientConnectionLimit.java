package dev.keyring.sim.server;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.ErrorResponse;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * At most {@code max} crypto API connections per client certificate, so that one client cannot hold
 * all of the member's {@code maxConnections} and keep the others waiting. Each connection is
 * counted when its TLS handshake ends, under its client certificate's serial, until it closes. A
 * connection beyond the limit is not counted: every request on it is answered 409 with {@code
 * CKR_DEVICE_MEMORY} and the connection is closed after the answer. Members' connections to each
 * other are not counted.
 */
final class ClientConnectionLimit extends Handler.Wrapper
    implements Connection.Listener, SslHandshakeListener {
  private final int max;
  private final Predicate<X509Certificate> member;

  /** Connections counted, by their TLS engine, with the serial they count under. */
  private final Map<SSLEngine, BigInteger> counted = new ConcurrentHashMap<>();

  /** Connections beyond the limit, not counted, refused at their first request. */
  private final Set<SSLEngine> beyond = ConcurrentHashMap.newKeySet();

  private final Map<BigInteger, Integer> perClient = new ConcurrentHashMap<>();

  /**
   * @param member whether a certificate is that of a member of the cluster (never counted)
   */
  ClientConnectionLimit(Handler handler, int max, Predicate<X509Certificate> member) {
    super(handler);
    this.max = max;
    this.member = member;
  }

  @Override
  public void handshakeSucceeded(Event event) {
    SSLEngine engine = event.getSSLEngine();
    X509Certificate leaf = leaf(engine);
    if (leaf == null
        || member.test(leaf)
        || counted.containsKey(engine)
        || beyond.contains(engine)) {
      return; // no client certificate (refused by the API itself), a member, or a renegotiation
    }
    BigInteger serial = leaf.getSerialNumber();
    boolean[] admitted = new boolean[1];
    perClient.compute(
        serial,
        (k, n) -> {
          int now = n == null ? 0 : n;
          admitted[0] = now < max;
          return admitted[0] ? now + 1 : n;
        });
    if (admitted[0]) {
      counted.put(engine, serial);
    } else {
      beyond.add(engine);
    }
    EndPoint network = event.getEndPoint();
    if (network != null && !network.isOpen()) {
      let(engine); // closed meanwhile: its close may have come before it was counted
    }
  }

  @Override
  public void onClosed(Connection c) {
    if (c instanceof SslConnection ssl) {
      let(ssl.getSSLEngine());
    }
  }

  private void let(SSLEngine engine) {
    beyond.remove(engine);
    BigInteger serial = counted.remove(engine);
    if (serial != null) {
      perClient.computeIfPresent(serial, (k, n) -> n <= 1 ? null : n - 1);
    }
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (beyond.isEmpty()) {
      return super.handle(request, response, callback);
    }
    SslConnection ssl = sslConnection(request);
    if (ssl == null || !beyond.contains(ssl.getSSLEngine())) {
      return super.handle(request, response, callback);
    }
    byte[] body =
        AdminCall.JSON.writeValueAsBytes(
            ErrorResponse.of(
                ResultCode.CKR_DEVICE_MEMORY,
                "this client already has "
                    + max
                    + " crypto API connections open to this member, the most one client may"
                    + " (maxConnectionsPerClient); this connection is closed: use fewer at once"));
    response.setStatus(ErrorResponse.httpStatus(ResultCode.CKR_DEVICE_MEMORY));
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CONNECTION, "close"); // HTTP/1.1; HTTP/2 drops it
    EndPoint network = ssl.getEndPoint();
    response.write(
        true,
        ByteBuffer.wrap(body),
        Callback.from(
            () -> {
              callback.succeeded();
              network.close(); // HTTP/2 too: every request on it would be refused
            },
            failure -> {
              callback.failed(failure);
              network.close();
            }));
    return true;
  }

  /** Connections counted now for the client with certificate serial {@code serial}. */
  int open(BigInteger serial) {
    return perClient.getOrDefault(serial, 0);
  }

  private static SslConnection sslConnection(Request request) {
    EndPoint ep = request.getConnectionMetaData().getConnection().getEndPoint();
    return ep instanceof SslConnection.SslEndPoint s ? s.getSslConnection() : null;
  }

  private static X509Certificate leaf(SSLEngine engine) {
    try {
      Certificate[] chain = engine.getSession().getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate leaf ? leaf : null;
    } catch (SSLPeerUnverifiedException none) {
      return null;
    }
  }
}
