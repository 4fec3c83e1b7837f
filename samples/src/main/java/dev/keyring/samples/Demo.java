package dev.keyring.samples;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.ProviderOperation;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Date;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The README demo: a web server whose TLS key lives on a keyring. It starts a one-member simulated
 * cluster on loopback, registers a client, creates a keyring and takes it through its first login,
 * then, through the Keyring JCA provider alone: logs in, generates a CA key and a server key on the
 * keyring, issues the server's certificate with the CA key, serves HTTPS with the server key and
 * fetches a page from itself. Every step is printed, with the provider's operation counts at the
 * end.
 *
 * <p>Usage: {@code Demo [--data DIR]}. Without {@code --data} a temporary directory is used and
 * removed at the end.
 */
public final class Demo {
  static final String KEYRING = "web";
  static final String PASSWORD = "demo-keyring-password";
  static final String PAGE = "Hello from a key that never left its keyring.";

  private final PrintStream out;
  private int step;

  private Demo(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    Path data = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--data") && i + 1 < args.length) {
        data = Path.of(args[++i]);
      } else {
        System.err.println("usage: Demo [--data DIR]   (DIR must be new or empty)");
        System.exit(2);
      }
    }
    boolean temporary = data == null;
    Path dir = temporary ? Files.createTempDirectory("keyring-demo-") : data;
    try {
      String body = new Demo(System.out).run(dir);
      if (!body.contains(PAGE)) {
        System.exit(1);
      }
    } finally {
      if (temporary) {
        deleteTree(dir);
      }
    }
  }

  /** Runs the demo in {@code dir} and returns the page fetched over HTTPS. */
  public static String run(Path dir, PrintStream out) throws Exception {
    return new Demo(out).run(dir);
  }

  private String run(Path dir) throws Exception {
    step("Start a one-member simulated cluster on loopback (data in " + dir + ")");
    try (LocalCluster cluster = LocalCluster.start(dir)) {
      out.println(
          "    member: admin API on 127.0.0.1:"
              + cluster.cluster().member(0).adminPort()
              + ", crypto API (mutual TLS) on 127.0.0.1:"
              + cluster.cluster().member(0).cryptoPort());
      out.println("    client registered through the admin API: " + cluster.clientConfig());

      step(
          "Create keyring '"
              + KEYRING
              + "'; its KRSO changes the initial password and"
              + " initializes the KRCO");
      cluster.createKeyring(KEYRING, PASSWORD);

      step("Install the Keyring provider from the client configuration and log in as the KRCO");
      KeyringProvider provider = new KeyringProvider(cluster.clientConfig());
      Security.addProvider(provider);
      try {
        return serve(cluster, provider);
      } finally {
        Security.removeProvider(provider.getName());
        provider.close();
      }
    }
  }

  private String serve(LocalCluster cluster, KeyringProvider provider) throws Exception {
    KeyStore ks = KeyStore.getInstance("Keyring", provider);
    ks.load(cluster.slotProperties(KEYRING), PASSWORD.toCharArray());
    out.println("    KeyStore '" + KEYRING + "' loaded: " + ks.size() + " entries");

    step("Generate a CA key (RSA-2048) and a server key (EC P-256) on the keyring");
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA", provider);
    rsa.initialize(KeyringKeyGenParameterSpec.builder().label("demo-ca").keySize(2048).build());
    KeyPair ca = rsa.generateKeyPair();
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC", provider);
    ec.initialize(KeyringKeyGenParameterSpec.builder().label("https").curve("P-256").build());
    KeyPair server = ec.generateKeyPair();
    out.println("    " + ca.getPrivate());
    out.println("    " + server.getPrivate());
    out.println("    getEncoded() of the private keys: " + server.getPrivate().getEncoded());

    step("Issue certificates with BouncyCastle, signed on the keyring by the CA key");
    X509Certificate caCert =
        certificate(
            "CN=Keyring Demo CA", "CN=Keyring Demo CA", ca.getPublic(), ca.getPrivate(), true);
    X509Certificate serverCert =
        certificate(
            "CN=localhost", "CN=Keyring Demo CA", server.getPublic(), ca.getPrivate(), false);
    serverCert.verify(ca.getPublic());
    ks.setCertificateEntry("demo-ca-certificate", caCert);
    ks.setKeyEntry("https", server.getPrivate(), null, new Certificate[] {serverCert, caCert});
    out.println(
        "    "
            + serverCert.getSubjectX500Principal()
            + " issued by "
            + serverCert.getIssuerX500Principal()
            + ", stored on the keyring with its chain");
    out.println("    keyring entries now: " + java.util.Collections.list(ks.aliases()));

    step("Serve HTTPS with the keyring key (JSSE, KeyManagerFactory over the Keyring KeyStore)");
    KeyStore serverStore = KeyStore.getInstance("Keyring", provider);
    serverStore.load(cluster.slotProperties(KEYRING), PASSWORD.toCharArray());
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
    kmf.init(serverStore, PASSWORD.toCharArray());
    SSLContext serverTls = SSLContext.getInstance("TLS");
    serverTls.init(kmf.getKeyManagers(), null, null);
    HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(serverTls));
    https.createContext(
        "/",
        ex -> {
          byte[] body = (PAGE + "\n").getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
          }
        });
    https.start();
    try {
      int port = https.getAddress().getPort();
      out.println("    listening on https://localhost:" + port + "/");

      step("Fetch the page, trusting only the demo CA");
      long signsBefore = provider.operationCount(ProviderOperation.SIGN);
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("demo-ca", caCert);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext clientTls = SSLContext.getInstance("TLS");
      clientTls.init(null, tmf.getTrustManagers(), null);
      HttpClient client =
          HttpClient.newBuilder()
              .sslContext(clientTls)
              .connectTimeout(Duration.ofSeconds(10))
              .build();
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/"))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      SSLSession tls = r.sslSession().orElseThrow();
      out.println(
          "    HTTP " + r.statusCode() + " over " + tls.getProtocol() + " " + tls.getCipherSuite());
      out.println(
          "    server certificate: "
              + ((X509Certificate) tls.getPeerCertificates()[0]).getSubjectX500Principal());
      out.println("    page: " + r.body().trim());
      long signs = provider.operationCount(ProviderOperation.SIGN) - signsBefore;
      out.println(
          "    the handshake's signature was made on the keyring: "
              + signs
              + " sign operation(s) during the fetch");

      step("Operations the provider had the cluster carry out");
      provider
          .operationCounts()
          .forEach(
              (k, v) -> {
                if (v > 0) {
                  out.println("    " + k.name().toLowerCase(java.util.Locale.ROOT) + ": " + v);
                }
              });
      if (signs < 1) {
        throw new IllegalStateException("the TLS handshake did not sign on the keyring");
      }
      out.println();
      out.println("Demo finished.");
      return r.body();
    } finally {
      https.stop(0);
    }
  }

  private static X509Certificate certificate(
      String subject, String issuer, PublicKey key, PrivateKey signer, boolean ca)
      throws Exception {
    Instant now = Instant.now();
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            new X500Name(issuer),
            new BigInteger(64, new java.security.SecureRandom()),
            Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(Duration.ofDays(30))),
            new X500Name(subject),
            key);
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    if (!ca) {
      b.addExtension(Extension.subjectAlternativeName, false, ServerCertificates.loopbackNames());
    }
    // delayed provider selection: the keyring key picks the Keyring provider
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(signer)));
  }

  private void step(String what) {
    out.println();
    out.println(String.format("[%d] %s", ++step, what));
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toArray(Path[]::new)) {
        Files.deleteIfExists(p);
      }
    }
  }
}
