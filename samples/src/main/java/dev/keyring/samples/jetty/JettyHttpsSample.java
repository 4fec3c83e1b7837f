package dev.keyring.samples.jetty;

import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.SampleCommandLine;
import dev.keyring.samples.ServerCertificates;
import dev.keyring.samples.tomcat.TomcatHttpsSample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Security;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Embedded Jetty 12 serving HTTPS with its private key on a keyring: the {@link
 * SslContextFactory.Server} is given the {@code Keyring} KeyStore type, the slot file as its key
 * store path, the keyring's KRCO password and the alias, as it would be given a PKCS12 file.
 *
 * <pre>{@code
 * SslContextFactory.Server tls = new SslContextFactory.Server();
 * tls.setKeyStoreType("Keyring");
 * tls.setKeyStorePath("/etc/keyring/web.keyring");   // holds slot=<keyring label>
 * tls.setKeyStorePassword(krcoPassword);
 * tls.setCertAlias("web");
 * }</pre>
 *
 * <p>The provider must be registered first ({@code Security.addProvider} or a {@code java.security}
 * line). Jetty uses the key store as its trust store when none is set; give it one (here a PKCS12
 * store in memory) when it asks for client certificates: with {@code trustedClient} set, the server
 * requires a client certificate signed by it ({@code setNeedClientAuth(true)}), and its page names
 * the SHA-256 of the certificate it received.
 *
 * <p>With the {@code ssl} module of a Jetty distribution, the key store settings are the properties
 * {@code jetty.sslContext.keyStoreType=Keyring}, {@code jetty.sslContext.keyStorePath} and {@code
 * jetty.sslContext.keyStorePassword}.
 *
 * <p>Usage: {@code JettyHttpsSample <Chrystoki.conf> <slot file> <alias> [port]} with the KRCO
 * password in {@code KEYRING_KRCO_PASSWORD}; if the alias has no key, an EC P-256 key pair is
 * generated on the keyring with a self-signed certificate for localhost. Without arguments it
 * starts a one-member simulated cluster in a temporary directory.
 */
public final class JettyHttpsSample implements AutoCloseable {
  private final Server server;
  private final ServerConnector connector;

  private JettyHttpsSample(Server server, ServerConnector connector) {
    this.server = server;
    this.connector = connector;
  }

  /**
   * Starts Jetty on 127.0.0.1:{@code port} (0: an ephemeral port) with an HTTPS connector whose key
   * is {@code alias} in the Keyring KeyStore described by {@code slotFile}. With {@code
   * trustedClient} non-null, a client certificate signed by it is required.
   */
  public static JettyHttpsSample start(
      Path slotFile, String password, String alias, int port, X509Certificate trustedClient)
      throws Exception {
    if (!Files.isRegularFile(slotFile)) {
      throw new IllegalArgumentException(
          "slot file " + slotFile + " does not exist: it holds slot=<keyring label>");
    }
    SslContextFactory.Server tls = new SslContextFactory.Server();
    tls.setKeyStoreType("Keyring");
    tls.setKeyStorePath(slotFile.toAbsolutePath().toString());
    tls.setKeyStorePassword(password);
    tls.setCertAlias(alias);
    if (trustedClient != null) {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("client", trustedClient);
      tls.setTrustStore(trust);
      tls.setNeedClientAuth(true);
    }

    Server server = new Server();
    HttpConfiguration https = new HttpConfiguration();
    https.addCustomizer(new SecureRequestCustomizer());
    ServerConnector connector =
        new ServerConnector(
            server, new SslConnectionFactory(tls, "http/1.1"), new HttpConnectionFactory(https));
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(new PageHandler(alias));
    try {
      server.start();
    } catch (Exception e) {
      server.stop();
      throw e;
    }
    return new JettyHttpsSample(server, connector);
  }

  /** The port the HTTPS connector listens on. */
  public int port() {
    return connector.getLocalPort();
  }

  /** The first line of the page every path serves. */
  public static String greeting(String alias) {
    return "Hello over HTTPS from Jetty 12; the TLS key '" + alias + "' stays on its keyring.\n";
  }

  /** The line the page adds for a client certificate: its SHA-256 in hex. */
  public static String clientLine(X509Certificate client) throws CertificateEncodingException {
    try {
      return "client certificate sha256 "
          + HexFormat.of()
              .formatHex(MessageDigest.getInstance("SHA-256").digest(client.getEncoded()))
          + "\n";
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }

  private static final class PageHandler extends Handler.Abstract {
    private final String alias;

    PageHandler(String alias) {
      this.alias = alias;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      StringBuilder page = new StringBuilder(greeting(alias));
      if (request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE)
          instanceof EndPoint.SslSessionData tls) {
        X509Certificate[] peer = tls.peerCertificates();
        if (peer != null && peer.length > 0) {
          page.append(clientLine(peer[0]));
        }
      }
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
      Content.Sink.write(response, true, page.toString(), callback);
      return true;
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      demo();
      return;
    }
    SampleCommandLine.requireArgs(
        args, 3, 4, "JettyHttpsSample <Chrystoki.conf> <slot file> <alias> [port]");
    String password = SampleCommandLine.krcoPassword();
    Security.addProvider(new KeyringProvider().configure(args[0]));
    Path slotFile = Path.of(args[1]);
    TomcatHttpsSample.ensureServerKey(slotFile, password, args[2]);
    int port = args.length == 4 ? Integer.parseInt(args[3]) : 8443;
    serveUntilEnter(slotFile, password, args[2], port);
  }

  private static void demo() throws Exception {
    Path dir = Files.createTempDirectory("keyring-jetty-");
    try (LocalCluster cluster = LocalCluster.start(dir)) {
      String password = "jetty-sample-pw-1";
      cluster.createKeyring("web", password);
      Security.addProvider(new KeyringProvider().configure(cluster.clientConfig().toString()));
      Path slotFile = cluster.writeSlotFile("web");
      X509Certificate cert = TomcatHttpsSample.ensureServerKey(slotFile, password, "web");
      Path pem = ServerCertificates.writePem(cert, dir.resolve("web.pem"));
      System.out.println("certificate: " + pem);
      serveUntilEnter(slotFile, password, "web", 8443);
    }
  }

  private static void serveUntilEnter(Path slotFile, String password, String alias, int port)
      throws Exception {
    try (JettyHttpsSample server = start(slotFile, password, alias, port, null)) {
      System.out.println("serving https://localhost:" + server.port() + "/ (press Enter to stop)");
      System.in.read();
    }
  }
}
