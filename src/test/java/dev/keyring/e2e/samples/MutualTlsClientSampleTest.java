package dev.keyring.e2e.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.e2e.tls.PeerTool;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.ServerCertificates;
import dev.keyring.samples.httpclient.MutualTlsClientSample;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The provider as a TLS client identity: the JDK's {@code HttpClient}, with an {@code SSLContext}
 * made from a {@code Keyring} KeyStore, against the system's {@code openssl s_server} that requires
 * a client certificate ({@code -Verify 1 -verify_return_error}) signed by the keyring's. The page
 * {@code s_server -www} returns shows the client certificate it verified; it must be the keyring's.
 */
class MutualTlsClientSampleTest {
  private static final String PASSWORD = "mtls-test-pw-1";
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----");

  @TempDir static Path dir;
  static LocalCluster cluster;
  static KeyringProvider provider;
  static Path serverKey;
  static Path serverPem;
  static X509Certificate serverCertificate;

  @BeforeAll
  static void start() throws Exception {
    PeerTool.require("openssl", "version");
    cluster = WatchedClusters.start(dir.resolve("home"));
    provider = new KeyringProvider(cluster.clientConfig());
    // JSSE finds the CertificateVerify Signature by delayed selection among registered providers
    Security.addProvider(provider);
    // the server's own key is a software key of openssl's: only the client's is on a keyring
    serverKey = dir.resolve("server.key");
    serverPem = dir.resolve("server.pem");
    PeerTool.Run req =
        PeerTool.run(
            dir,
            "",
            List.of(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                serverKey.toString(),
                "-out",
                serverPem.toString()));
    assertEquals(0, req.exit(), req.transcript());
    try (InputStream in = Files.newInputStream(serverPem)) {
      serverCertificate =
          (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  @AfterAll
  static void stop() {
    ProviderTeardown.close(provider, cluster);
  }

  @Test
  void httpClient_withAKeyringClientKey_providerNotRegistered_failsTheHandshake() throws Exception {
    cluster.createKeyring("unregistered", PASSWORD);
    KeyStore keyring = KeyStore.getInstance("Keyring", provider);
    keyring.load(cluster.slotProperties("unregistered"), PASSWORD.toCharArray());
    X509Certificate client =
        MutualTlsClientSample.ensureClientKey(keyring, PASSWORD.toCharArray(), "app-client", "EC");
    Path clientPem = ServerCertificates.writePem(client, dir.resolve("unregistered.pem"));
    try (SServer server = sServer("unregistered", clientPem, "-tls1_3")) {
      Security.removeProvider(KeyringProvider.NAME);
      try {
        SSLException e =
            assertThrows(
                SSLException.class,
                () ->
                    MutualTlsClientSample.client(
                            MutualTlsClientSample.clientContext(
                                keyring, PASSWORD.toCharArray(), serverCertificate))
                        .send(
                            HttpRequest.newBuilder(
                                    URI.create("https://localhost:" + server.port + "/"))
                                .build(),
                            HttpResponse.BodyHandlers.ofInputStream()));
        assertTrue(
            e.getMessage().contains("No supported CertificateVerify signature algorithm"),
            e.toString());
      } finally {
        Security.addProvider(provider);
      }
    }
  }

  @ParameterizedTest(name = "{0} client key, TLS {1}")
  @CsvSource({"EC, 1.3", "EC, 1.2", "RSA, 1.3", "RSA, 1.2"})
  void httpClient_withAKeyringClientKey_presentsTheKeyringCertificate_toOpensslSServer(
      String algorithm, String tls) throws Exception {
    String label = "client-" + algorithm.toLowerCase() + "-" + tls.replace('.', '-');
    cluster.createKeyring(label, PASSWORD);
    KeyStore keyring = KeyStore.getInstance("Keyring", provider);
    keyring.load(cluster.slotProperties(label), PASSWORD.toCharArray());
    X509Certificate client =
        MutualTlsClientSample.ensureClientKey(
            keyring, PASSWORD.toCharArray(), "app-client", algorithm);
    Path clientPem = ServerCertificates.writePem(client, dir.resolve(label + ".pem"));

    try (SServer server = sServer(label, clientPem, tls.equals("1.2") ? "-tls1_2" : "-tls1_3")) {
      long signs = provider.operationCount(ProviderOperation.SIGN);
      // s_server -www answers HTTP/1.0 without a length and keeps the connection open: read the
      // page up to its last line
      HttpResponse<Stream<String>> r =
          MutualTlsClientSample.client(
                  MutualTlsClientSample.clientContext(
                      keyring, PASSWORD.toCharArray(), serverCertificate))
              .send(
                  HttpRequest.newBuilder(URI.create("https://localhost:" + server.port + "/"))
                      .build(),
                  HttpResponse.BodyHandlers.ofLines());
      String page;
      try (Stream<String> lines = r.body()) {
        page =
            lines
                .takeWhile(l -> !l.startsWith("</pre>"))
                .collect(Collectors.joining("\n", "", "\n"));
      }
      assertEquals(200, r.statusCode(), page + server.process.transcript());
      assertEquals("TLSv" + tls, r.sslSession().orElseThrow().getProtocol());
      assertTrue(page.contains("Client certificate"), page);
      Matcher pem = PEM.matcher(page);
      assertTrue(pem.find(), "s_server showed no client certificate:\n" + page);
      assertEquals(client, JettyHttpsSampleTest.parse(pem.group()), page);
      assertEquals(
          signs + 1,
          provider.operationCount(ProviderOperation.SIGN),
          "the CertificateVerify signature was not made on the keyring");
    }
  }

  /**
   * {@code openssl s_server -www} on loopback, requiring a client certificate signed by {@code ca}.
   */
  private static SServer sServer(String name, Path ca, String protocol) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> cmd =
        List.of(
            "openssl",
            "s_server",
            "-accept",
            "127.0.0.1:" + port,
            "-cert",
            serverPem.toString(),
            "-key",
            serverKey.toString(),
            "-CAfile",
            ca.toString(),
            "-Verify",
            "1",
            "-verify_return_error",
            "-www",
            protocol);
    SampleProcess p = SampleProcess.start(dir, "s_server-" + name, cmd, Map.of());
    try {
      p.awaitLine(Pattern.compile("^ACCEPT", Pattern.MULTILINE))
          .orElseThrow(() -> new AssertionError("s_server ended" + p.transcript()));
    } catch (Exception | Error e) {
      p.close();
      throw e;
    }
    return new SServer(p, port);
  }

  private record SServer(SampleProcess process, int port) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      process.close();
    }
  }
}
