package dev.keyring.e2e.tls;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The JDK's HTTPS server on 127.0.0.1, an ephemeral port, its TLS key from a Keyring KeyStore
 * through a {@link KeyManagerFactory} ("SunX509", the JDK's default): every handshake's private-key
 * operation runs on the keyring. It serves {@code body} on every path.
 */
public final class KeyringHttpsServer implements AutoCloseable {
  private final HttpsServer server;

  private KeyringHttpsServer(HttpsServer server) {
    this.server = server;
  }

  public static KeyringHttpsServer start(KeyStore keyring, char[] password, String body)
      throws Exception {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
    kmf.init(keyring, password);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    return start(tls, body);
  }

  /** The same server on a TLS context of the caller's. */
  public static KeyringHttpsServer start(SSLContext tls, String body) throws Exception {
    HttpsServer server =
        HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    byte[] page = body.getBytes(StandardCharsets.UTF_8);
    server.createContext(
        "/",
        exchange -> {
          exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
          exchange.sendResponseHeaders(200, page.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(page);
          }
        });
    server.start();
    return new KeyringHttpsServer(server);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
