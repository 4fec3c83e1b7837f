package dev.keyring.e2e.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.e2e.tls.PeerTool;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.ServerCertificates;
import dev.keyring.samples.httpclient.MutualTlsClientSample;
import dev.keyring.samples.jetty.JettyHttpsSample;
import dev.keyring.samples.tomcat.TomcatHttpsSample;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Jetty 12 sample serves HTTPS with its key on a keyring, configured through {@code
 * SslContextFactory.Server} by key store type only; system {@code curl} is the client. With client
 * certificates required, the JDK's {@code HttpClient} presents a client key that is on another
 * keyring, and Jetty names the certificate it received.
 */
class JettyHttpsSampleTest {
  private static final String PASSWORD = "jetty-test-pw-1";
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----");

  @TempDir static Path dir;
  static LocalCluster cluster;
  static KeyringProvider provider;
  static Path webSlot;
  static X509Certificate webCertificate;
  static Path webPem;
  static KeyStore clientKeyring;
  static X509Certificate clientCertificate;

  @BeforeAll
  static void provision() throws Exception {
    PeerTool.require("curl", "--version");
    cluster = WatchedClusters.start(dir.resolve("home"));
    cluster.createKeyring("web", PASSWORD);
    cluster.createKeyring("client", PASSWORD);
    webSlot = cluster.writeSlotFile("web");
    provider = new KeyringProvider(cluster.clientConfig());
    Security.addProvider(provider);
    webCertificate = TomcatHttpsSample.ensureServerKey(webSlot, PASSWORD, "web");
    webPem = ServerCertificates.writePem(webCertificate, dir.resolve("web.pem"));
    clientKeyring = KeyStore.getInstance("Keyring", provider);
    clientKeyring.load(cluster.slotProperties("client"), PASSWORD.toCharArray());
    clientCertificate =
        MutualTlsClientSample.ensureClientKey(
            clientKeyring, PASSWORD.toCharArray(), "app-client", "EC");
  }

  @AfterAll
  static void stop() {
    ProviderTeardown.close(provider, cluster);
  }

  @Test
  void jetty_withKeyringKeyStoreType_servesCurl_withTheKeyringCertificate() throws Exception {
    long signs = provider.operationCount(ProviderOperation.SIGN);
    try (JettyHttpsSample jetty = JettyHttpsSample.start(webSlot, PASSWORD, "web", 0, null)) {
      Path body = Files.createTempFile(dir, "body-", ".txt");
      PeerTool.Run curl = curl(jetty.port(), "-o", body.toString(), "-w", "%{certs}");
      assertEquals(0, curl.exit(), curl.transcript());
      assertEquals(
          JettyHttpsSample.greeting("web"), Files.readString(body, StandardCharsets.UTF_8));
      Matcher pem = PEM.matcher(curl.out());
      assertTrue(pem.find(), "curl showed no certificate" + curl.transcript());
      assertEquals(webCertificate, parse(pem.group()), "the server sent another certificate");
      assertTrue(
          provider.operationCount(ProviderOperation.SIGN) > signs,
          "the handshake's signature was not made on the keyring");
    }
  }

  @Test
  void jettyRequiringClientCertificates_jdkHttpClientWithAKeyringClientKey_isSeenByJetty()
      throws Exception {
    try (JettyHttpsSample jetty =
        JettyHttpsSample.start(webSlot, PASSWORD, "web", 0, clientCertificate)) {
      long signs = provider.operationCount(ProviderOperation.SIGN);
      HttpResponse<String> r =
          MutualTlsClientSample.get(
              MutualTlsClientSample.clientContext(
                  clientKeyring, PASSWORD.toCharArray(), webCertificate),
              URI.create("https://localhost:" + jetty.port() + "/"));
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(
          JettyHttpsSample.greeting("web") + JettyHttpsSample.clientLine(clientCertificate),
          r.body());
      assertEquals(clientCertificate, r.sslSession().orElseThrow().getLocalCertificates()[0]);
      assertTrue(
          provider.operationCount(ProviderOperation.SIGN) >= signs + 2,
          "the server's and the client's handshake signatures were not both made on keyrings");
    }
  }

  @Test
  void jettyRequiringClientCertificates_curlWithoutOne_isRefused() throws Exception {
    try (JettyHttpsSample jetty =
        JettyHttpsSample.start(webSlot, PASSWORD, "web", 0, clientCertificate)) {
      PeerTool.Run curl = curl(jetty.port());
      assertNotEquals(0, curl.exit(), curl.transcript());
      assertFalse(curl.out().contains("Hello"), curl.transcript());
    }
  }

  @Test
  void jetty_withAMissingSlotFile_refusesToStart_namingTheFile() {
    Path missing = dir.resolve("missing.keyring");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> JettyHttpsSample.start(missing, PASSWORD, "web", 0, null));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void jetty_withAWrongKrcoPassword_doesNotStart_andSaysWhy() {
    Exception e =
        assertThrows(
            Exception.class,
            () -> JettyHttpsSample.start(webSlot, "not-the-password-1", "web", 0, null));
    StringBuilder causes = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      causes.append(t).append('\n');
    }
    assertTrue(causes.toString().contains("CKR_PIN_INCORRECT"), causes.toString());
  }

  private static PeerTool.Run curl(int port, String... extra) throws Exception {
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of(
                "curl",
                "-sS",
                "--cacert",
                webPem.toString(),
                "--resolve",
                "localhost:" + port + ":127.0.0.1"));
    cmd.addAll(List.of(extra));
    cmd.add("https://localhost:" + port + "/");
    return PeerTool.run(dir, "", cmd);
  }

  static X509Certificate parse(String pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }
}
