package dev.keyring.samples.tomcat;

import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.SampleCommandLine;
import dev.keyring.samples.ServerCertificates;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.net.SSLHostConfig;
import org.apache.tomcat.util.net.SSLHostConfigCertificate;

/**
 * Embedded Tomcat 10.1 serving HTTPS with its private key on a keyring, configured the way a Tomcat
 * user configures any keystore: by type, file and password. Nothing Keyring-specific is in the
 * connector but the keystore type; the provider is registered as {@code java.security} would.
 *
 * <p>The same connector in {@code server.xml}:
 *
 * <pre>{@code
 * <Connector port="8443" protocol="org.apache.coyote.http11.Http11NioProtocol" SSLEnabled="true"
 *     sslImplementationName="org.apache.tomcat.util.net.jsse.JSSEImplementation">
 *   <SSLHostConfig>
 *     <Certificate certificateKeystoreType="Keyring"
 *         certificateKeystoreFile="/etc/keyring/web.keyring"
 *         certificateKeystorePassword="${keyring.krco.password}"
 *         certificateKeyAlias="web" />
 *   </SSLHostConfig>
 * </Connector>
 * }</pre>
 *
 * <p>with {@code /etc/keyring/web.keyring} holding {@code slot=<keyring label or UUID>} and the
 * provider registered in a file given to the JVM with {@code
 * -Djava.security.properties=/etc/keyring/java.security}:
 *
 * <pre>
 * security.provider.13=Keyring /etc/keyring/Chrystoki.conf
 * </pre>
 *
 * <p>(the next free number after the JDK's own providers; 13 on JDK 17). Three settings matter:
 *
 * <ul>
 *   <li>{@code sslImplementationName} pinned to JSSE: Tomcat's OpenSSL implementations need the
 *       private key's bytes, which a keyring never gives out.
 *   <li>{@code certificateKeystoreFile} always set: without it Tomcat opens {@code ~/.keystore}.
 *   <li>{@code certificateKeystorePassword} is the keyring's KRCO password; the key password
 *       defaults to it, and the Keyring KeyStore accepts it (or none) for its keys.
 * </ul>
 *
 * <p>Usage: {@code TomcatHttpsSample <Chrystoki.conf> <slot file> <alias> [port]} with the KRCO
 * password in {@code KEYRING_KRCO_PASSWORD}; without arguments it starts a one-member simulated
 * cluster in a temporary directory and serves from a keyring made there. If the alias has no key,
 * an EC P-256 key pair is generated on the keyring with a self-signed certificate for localhost.
 */
public final class TomcatHttpsSample implements AutoCloseable {
  /** The JSSE implementation: the only one that works with keys that stay on a keyring. */
  public static final String JSSE_IMPLEMENTATION =
      "org.apache.tomcat.util.net.jsse.JSSEImplementation";

  private final Tomcat tomcat;
  private final Connector connector;

  private TomcatHttpsSample(Tomcat tomcat, Connector connector) {
    this.tomcat = tomcat;
    this.connector = connector;
  }

  /**
   * Makes sure {@code alias} on the keyring named in {@code slotFile} has a key and a certificate:
   * if not, generates an EC P-256 key pair on the keyring and stores a self-signed certificate for
   * localhost with it. Returns the certificate. Needs a registered Keyring provider.
   */
  public static X509Certificate ensureServerKey(Path slotFile, String password, String alias)
      throws Exception {
    KeyStore ks = KeyStore.getInstance("Keyring");
    try (var in = Files.newInputStream(slotFile)) {
      ks.load(in, password.toCharArray());
    }
    if (ks.isKeyEntry(alias) && ks.getCertificate(alias) != null) {
      return (X509Certificate) ks.getCertificate(alias);
    }
    Provider keyring = ks.getProvider();
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", keyring);
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair kp = g.generateKeyPair();
    X509Certificate cert = ServerCertificates.selfSignedForLocalhost(kp, keyring);
    ks.setKeyEntry(alias, kp.getPrivate(), password.toCharArray(), new Certificate[] {cert});
    return cert;
  }

  /**
   * Starts Tomcat on 127.0.0.1:{@code port} (0: an ephemeral port) with an HTTPS connector whose
   * certificate is {@code alias} in the Keyring KeyStore described by {@code slotFile}; {@code
   * baseDir} is Tomcat's working directory. It serves a short text page on every path.
   */
  public static TomcatHttpsSample start(
      Path slotFile, String password, String alias, int port, Path baseDir)
      throws LifecycleException {
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(baseDir.toAbsolutePath().toString());

    Connector https = new Connector("org.apache.coyote.http11.Http11NioProtocol");
    https.setPort(port);
    https.setProperty("address", "127.0.0.1");
    https.setScheme("https");
    https.setSecure(true);
    https.setProperty("SSLEnabled", "true");
    https.setProperty("sslImplementationName", JSSE_IMPLEMENTATION);
    SSLHostConfig host = new SSLHostConfig();
    SSLHostConfigCertificate certificate =
        new SSLHostConfigCertificate(host, SSLHostConfigCertificate.Type.UNDEFINED);
    certificate.setCertificateKeystoreType("Keyring");
    certificate.setCertificateKeystoreFile(slotFile.toAbsolutePath().toString());
    certificate.setCertificateKeystorePassword(password);
    certificate.setCertificateKeyAlias(alias);
    host.addCertificate(certificate);
    https.addSslHostConfig(host);
    tomcat.getService().addConnector(https);
    tomcat.setConnector(https);

    Context context = tomcat.addContext("", null);
    Tomcat.addServlet(context, "page", new PageServlet(alias));
    context.addServletMappingDecoded("/", "page");
    tomcat.start();
    return new TomcatHttpsSample(tomcat, https);
  }

  /** The port the HTTPS connector listens on. */
  public int port() {
    return connector.getLocalPort();
  }

  /** The page every path serves. */
  public static String page(String alias) {
    return "Hello over HTTPS from Tomcat; the TLS key '" + alias + "' stays on its keyring.\n";
  }

  @Override
  public void close() throws LifecycleException {
    tomcat.stop();
    tomcat.destroy();
  }

  private static final class PageServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private final String alias;

    PageServlet(String alias) {
      this.alias = alias;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      resp.setContentType("text/plain");
      resp.setCharacterEncoding("UTF-8");
      resp.getOutputStream().write(page(alias).getBytes(StandardCharsets.UTF_8));
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      demo();
      return;
    }
    SampleCommandLine.requireArgs(
        args, 3, 4, "TomcatHttpsSample <Chrystoki.conf> <slot file> <alias> [port]");
    String password = SampleCommandLine.krcoPassword();
    Security.addProvider(new KeyringProvider().configure(args[0]));
    Path slotFile = Path.of(args[1]);
    ensureServerKey(slotFile, password, args[2]);
    int port = args.length == 4 ? Integer.parseInt(args[3]) : 8443;
    serveUntilEnter(slotFile, password, args[2], port);
  }

  private static void demo() throws Exception {
    Path dir = Files.createTempDirectory("keyring-tomcat-");
    try (LocalCluster cluster = LocalCluster.start(dir)) {
      String password = "tomcat-sample-pw-1";
      cluster.createKeyring("web", password);
      Security.addProvider(new KeyringProvider().configure(cluster.clientConfig().toString()));
      Path slotFile = cluster.writeSlotFile("web");
      X509Certificate cert = ensureServerKey(slotFile, password, "web");
      Path pem = ServerCertificates.writePem(cert, dir.resolve("web.pem"));
      System.out.println("certificate: " + pem);
      serveUntilEnter(slotFile, password, "web", 8443);
    }
  }

  private static void serveUntilEnter(Path slotFile, String password, String alias, int port)
      throws Exception {
    Path base = Files.createTempDirectory("tomcat-base-");
    try (TomcatHttpsSample server = start(slotFile, password, alias, port, base)) {
      System.out.println("serving https://localhost:" + server.port() + "/ (press Enter to stop)");
      System.in.read();
    }
  }
}
