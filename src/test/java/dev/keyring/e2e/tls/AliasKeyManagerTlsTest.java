package dev.keyring.e2e.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.e2e.samples.ProviderTeardown;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringAliasKeyManager;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.ServerCertificates;
import dev.keyring.samples.tomcat.TomcatHttpsSample;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
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
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One keyring holding three TLS server keys (two EC P-256, one RSA 2048), each with its own
 * certificate for localhost whose common name is its alias. For each alias in turn, a JSSE server
 * built with {@link KeyringAliasKeyManager} serves exactly that alias's certificate to {@code
 * openssl s_client} (an {@link SSLServerSocket}: the key manager's socket methods) and to {@code
 * curl -v} (the JDK's HTTPS server on an {@code SSLEngine}: its engine methods), and the
 * handshake's signature is made on the keyring. Tomcat's own {@code certificateKeyAlias} picks
 * among the same keys with no code.
 */
class AliasKeyManagerTlsTest {
  private static final String PASSWORD = "alias-km-pw-1";
  private static final String KEYRING = "multi";
  private static final String[] ALIASES = {"web-ec-a", "web-ec-b", "web-rsa"};

  @TempDir static Path dir;
  static LocalCluster cluster;
  static KeyringProvider provider;
  static KeyStore keyring;
  static final Map<String, X509Certificate> certificates = new LinkedHashMap<>();
  static Path trustedPem;

  @BeforeAll
  static void start() throws Exception {
    cluster = WatchedClusters.start(dir.resolve("home"));
    provider = new KeyringProvider(cluster.clientConfig());
    // JSSE finds the keyring's Signature by delayed selection: the provider must be registered
    assertNull(Security.getProvider(KeyringProvider.NAME), "a Keyring provider is registered");
    Security.addProvider(provider);
    cluster.createKeyring(KEYRING, PASSWORD);
    keyring = KeyStore.getInstance("Keyring", provider);
    keyring.load(cluster.slotProperties(KEYRING), PASSWORD.toCharArray());
    StringBuilder bundle = new StringBuilder();
    for (String alias : ALIASES) {
      KeyPairGenerator g =
          KeyPairGenerator.getInstance(alias.contains("rsa") ? "RSA" : "EC", provider);
      if (alias.contains("rsa")) {
        g.initialize(2048);
      } else {
        g.initialize(new ECGenParameterSpec("secp256r1"));
      }
      KeyPair kp = g.generateKeyPair();
      X509Certificate cert = ServerCertificates.selfSignedForLocalhost(kp, provider, alias);
      keyring.setKeyEntry(alias, kp.getPrivate(), PASSWORD.toCharArray(), new Certificate[] {cert});
      certificates.put(alias, cert);
      bundle.append(ServerCertificates.toPem(cert));
    }
    // the peers trust all three: only the comparison of the served certificate tells them apart
    trustedPem = Files.writeString(dir.resolve("all-three.pem"), bundle.toString());
  }

  @AfterAll
  static void stop() {
    ProviderTeardown.close(provider, cluster);
  }

  @Test
  void openssl_againstAnSslServerSocket_isServedTheChosenAliasCertificate_forEachAlias()
      throws Exception {
    PeerTool.require("openssl", "version");
    for (String alias : ALIASES) {
      SSLContext tls = KeyringAliasKeyManager.sslContext(keyring, PASSWORD.toCharArray(), alias);
      long signs = provider.operationCount(ProviderOperation.SIGN);
      PeerTool.Run run;
      try (SocketServer server = SocketServer.start(tls, "served " + alias + "\n")) {
        run =
            PeerTool.run(
                dir,
                "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n",
                List.of(
                    "openssl",
                    "s_client",
                    "-connect",
                    "127.0.0.1:" + server.port(),
                    "-servername",
                    "localhost",
                    "-CAfile",
                    trustedPem.toString(),
                    "-verify_return_error",
                    "-ign_eof"));
        assertTrue(server.failures().isEmpty(), "server side: " + server.failures());
      }
      assertEquals(0, run.exit(), "openssl failed" + run.transcript());
      assertTrue(run.out().contains("Verify return code: 0 (ok)"), run.transcript());
      assertTrue(run.out().contains("served " + alias), "page" + run.transcript());
      X509Certificate served = firstPem(run.out());
      System.out.printf(
          "openssl, SSLServerSocket, alias %-8s: served %s%n",
          alias, served.getSubjectX500Principal().getName());
      assertArrayEquals(
          certificates.get(alias).getEncoded(),
          served.getEncoded(),
          "the certificate served is not " + alias + "'s" + run.transcript());
      assertTrue(
          provider.operationCount(ProviderOperation.SIGN) > signs,
          "the handshake's signature was made on the keyring");
    }
  }

  @Test
  void curl_againstAnSslEngineServer_isServedTheChosenAliasCertificate_forEachAlias()
      throws Exception {
    PeerTool.require("curl", "--version");
    for (String alias : ALIASES) {
      SSLContext tls = KeyringAliasKeyManager.sslContext(keyring, PASSWORD.toCharArray(), alias);
      try (KeyringHttpsServer server = KeyringHttpsServer.start(tls, "served by " + alias + "\n")) {
        PeerTool.Run run =
            PeerTool.run(
                dir,
                "",
                List.of(
                    "curl",
                    "-sS",
                    "-v",
                    "--http1.1",
                    "--max-time",
                    "30",
                    "--cacert",
                    trustedPem.toString(),
                    "--resolve",
                    "localhost:" + server.port() + ":127.0.0.1",
                    "https://localhost:" + server.port() + "/"));
        assertEquals(0, run.exit(), "curl failed" + run.transcript());
        assertEquals("served by " + alias + "\n", run.out(), run.transcript());
        Matcher subject = Pattern.compile("subject: (\\S+)").matcher(run.err());
        assertTrue(subject.find(), "no server certificate subject" + run.transcript());
        System.out.printf("curl, SSLEngine, alias %-8s: subject %s%n", alias, subject.group(1));
        assertEquals("CN=" + alias, subject.group(1), run.transcript());
      }
    }
  }

  @Test
  void mutualTls_theClientPresentsItsClientAlias_andTheServerItsServerAlias() throws Exception {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    for (Map.Entry<String, X509Certificate> e : certificates.entrySet()) {
      trust.setCertificateEntry(e.getKey(), e.getValue());
    }
    tmf.init(trust);
    SSLContext serverTls =
        KeyringAliasKeyManager.sslContext(
            keyring, PASSWORD.toCharArray(), "web-rsa", tmf.getTrustManagers());
    for (String clientAlias : new String[] {"web-ec-a", "web-ec-b"}) {
      KeyringAliasKeyManager km =
          KeyringAliasKeyManager.builder(keyring, PASSWORD.toCharArray())
              .clientAlias(clientAlias)
              .build();
      SSLContext clientTls = SSLContext.getInstance("TLS");
      clientTls.init(new javax.net.ssl.KeyManager[] {km}, tmf.getTrustManagers(), null);
      try (SocketServer server = SocketServer.start(serverTls, "mutual\n", true)) {
        HttpClient client = HttpClient.newBuilder().sslContext(clientTls).build();
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create("https://localhost:" + server.port() + "/"))
                    .version(HttpClient.Version.HTTP_1_1)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("mutual\n", r.body());
        assertEquals(
            certificates.get("web-rsa"), r.sslSession().orElseThrow().getPeerCertificates()[0]);
        assertEquals(List.of("CN=" + clientAlias), server.clientSubjects());
        assertTrue(server.failures().isEmpty(), "server side: " + server.failures());
      }
    }
  }

  @Test
  void tomcat_certificateKeyAlias_picksAmongTheSameKeys_withNoCode() throws Exception {
    Path slotFile = cluster.writeSlotFile(KEYRING);
    for (String alias : new String[] {"web-ec-b", "web-rsa", "web-ec-a"}) {
      X509Certificate expected = certificates.get(alias);
      try (TomcatHttpsSample tomcat =
          TomcatHttpsSample.start(
              slotFile, PASSWORD, alias, 0, Files.createTempDirectory(dir, "tomcat-"))) {
        // trusting this alias's certificate only: any other would fail the handshake
        HttpClient client =
            HttpClient.newBuilder().sslContext(ServerCertificates.trusting(expected)).build();
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create("https://localhost:" + tomcat.port() + "/"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(TomcatHttpsSample.page(alias), r.body());
        assertEquals(expected, r.sslSession().orElseThrow().getPeerCertificates()[0]);
      }
    }
  }

  private static X509Certificate firstPem(String text) throws Exception {
    Matcher m =
        Pattern.compile("-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", Pattern.DOTALL)
            .matcher(text);
    assertTrue(m.find(), "no certificate in the output:\n" + text);
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(
                new ByteArrayInputStream(m.group().getBytes(StandardCharsets.US_ASCII)));
  }

  /** A JSSE {@link SSLServerSocket} on loopback answering each connection with one HTTP page. */
  static final class SocketServer implements AutoCloseable {
    private final SSLServerSocket socket;
    private final Thread thread;
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final List<String> clientSubjects = new CopyOnWriteArrayList<>();

    private SocketServer(SSLServerSocket socket, byte[] page) {
      this.socket = socket;
      this.thread = new Thread(() -> serve(page), "alias-km-server");
      thread.setDaemon(true);
    }

    static SocketServer start(SSLContext tls, String body) throws IOException {
      return start(tls, body, false);
    }

    /** With {@code needClientAuth}, a client must present a certificate its trust store holds. */
    static SocketServer start(SSLContext tls, String body, boolean needClientAuth)
        throws IOException {
      SSLServerSocket s =
          (SSLServerSocket)
              tls.getServerSocketFactory()
                  .createServerSocket(0, 16, InetAddress.getLoopbackAddress());
      s.setNeedClientAuth(needClientAuth);
      SocketServer server = new SocketServer(s, body.getBytes(StandardCharsets.UTF_8));
      server.thread.start();
      return server;
    }

    private void serve(byte[] page) {
      while (!socket.isClosed()) {
        try (SSLSocket c = (SSLSocket) socket.accept()) {
          c.startHandshake();
          if (c.getNeedClientAuth()) {
            clientSubjects.add(
                ((X509Certificate) c.getSession().getPeerCertificates()[0])
                    .getSubjectX500Principal()
                    .getName());
          }
          BufferedReader in =
              new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
          for (String line = in.readLine(); line != null && !line.isEmpty(); ) {
            line = in.readLine();
          }
          OutputStream out = c.getOutputStream();
          out.write(
              ("HTTP/1.0 200 OK\r\nContent-Length: " + page.length + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
          out.write(page);
          out.flush();
        } catch (IOException | RuntimeException e) {
          if (!socket.isClosed()) {
            failures.add(e);
          }
        }
      }
    }

    int port() {
      return socket.getLocalPort();
    }

    List<Throwable> failures() {
      return new ArrayList<>(failures);
    }

    /** The subject of each client certificate received, in order. */
    List<String> clientSubjects() {
      return new ArrayList<>(clientSubjects);
    }

    @Override
    public void close() throws IOException {
      socket.close();
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while the server thread ends", e);
      }
    }
  }
}
