package dev.keyring.e2e.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringPrivateKey;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.ServerCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The system's {@code openssl s_client} and {@code curl} against a JSSE HTTPS server whose private
 * key is on a keyring: each handshake must complete with the expected protocol, cipher suite and
 * signature scheme, the page must arrive, and the provider must have carried out exactly the one
 * private-key operation of the handshake (a signature, or the TLS_RSA premaster decryption) — so a
 * software key could not pass, and no other operation of the handshake (ephemeral key agreement,
 * record encryption, PRF, certificate checks) reached the provider.
 *
 * <p>Every case runs twice: with the provider inserted at position 1 (as Kafka's {@code
 * security.providers} does) and appended last. At position 1 only {@code SupportedKeyClasses} keeps
 * JSSE's software-key operations away from it.
 */
class OpensslCurlInteropTest {
  private static final String PASSWORD = "tls-interop-pw-1";
  private static final String HTTP_GET =
      "GET / HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n";

  @TempDir static Path dir;
  static LocalCluster cluster;
  static KeyringProvider provider;
  static Site rsa;
  static Site ec;
  static int sessionsAfterSetup;

  /** Where the provider stands in the JVM's provider list during a handshake. */
  enum Position {
    FIRST,
    LAST
  }

  /** A server with its keyring key, the certificate file the peers trust, and its page. */
  record Site(String keyring, KeyringHttpsServer server, Path certificatePem, String body) {
    int port() {
      return server.port();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    cluster = WatchedClusters.start(dir.resolve("home"));
    provider = new KeyringProvider(cluster.clientConfig());
    rsa = site("tls-rsa", "RSA");
    ec = site("tls-ec", "EC");
    sessionsAfterSetup = cluster.cluster().member(0).openSessions();
  }

  /**
   * Creates keyring {@code keyring}, generates the server key pair on it, self-signs a certificate
   * for localhost with it (BouncyCastle through the provider), stores the chain with {@code
   * setKeyEntry} and starts a server on it.
   */
  private static Site site(String keyring, String algorithm) throws Exception {
    cluster.createKeyring(keyring, PASSWORD);
    KeyStore ks = KeyStore.getInstance("Keyring", provider);
    ks.load(cluster.slotProperties(keyring), PASSWORD.toCharArray());
    KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm, provider);
    if (algorithm.equals("EC")) {
      g.initialize(new ECGenParameterSpec("secp256r1"));
    } else {
      g.initialize(2048);
    }
    KeyPair kp = g.generateKeyPair();
    assertInstanceOf(KeyringPrivateKey.class, kp.getPrivate());
    X509Certificate cert = ServerCertificates.selfSignedForLocalhost(kp, provider);
    ks.setKeyEntry("localhost", kp.getPrivate(), PASSWORD.toCharArray(), new Certificate[] {cert});
    Path pem = ServerCertificates.writePem(cert, dir.resolve(keyring + ".pem"));
    String body = "served with the " + algorithm + " key on keyring " + keyring + "\n";
    KeyringHttpsServer server = KeyringHttpsServer.start(ks, PASSWORD.toCharArray(), body);
    warmUp(server, cert, body);
    return new Site(keyring, server, pem, body);
  }

  /**
   * One TLS 1.3 request from the JDK's client with the provider appended last, so that JSSE makes
   * its session-ticket key now, with the JDK's KeyGenerator. A KeyGenerator takes no key to choose
   * a provider by: made while the Keyring provider stands first, the ticket key would be an AES key
   * on the keyring and every later ticket an ENCRYPT operation on the cluster.
   */
  private static void warmUp(KeyringHttpsServer server, X509Certificate cert, String body)
      throws Exception {
    Security.addProvider(provider);
    try {
      HttpClient client =
          HttpClient.newBuilder().sslContext(ServerCertificates.trusting(cert)).build();
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("https://localhost:" + server.port() + "/"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(body, r.body());
    } finally {
      Security.removeProvider(KeyringProvider.NAME);
    }
  }

  @AfterEach
  void noSessionLeaked() {
    assertNull(Security.getProvider(KeyringProvider.NAME), "the provider stayed registered");
    assertEquals(
        sessionsAfterSetup,
        cluster.cluster().member(0).openSessions(),
        "handshakes must reuse the provider's logged-in sessions");
  }

  @AfterAll
  static void stop() {
    for (Site s : new Site[] {rsa, ec}) {
      if (s != null) {
        s.server().close();
      }
    }
    if (provider != null) {
      provider.close();
    }
    if (cluster != null) {
      try {
        assertEquals(0, cluster.cluster().member(0).openSessions(), "sessions left open");
      } finally {
        cluster.close();
      }
    }
  }

  // ---- openssl s_client

  @ParameterizedTest
  @EnumSource(Position.class)
  void openssl_tls13_rsa_certificateVerifyIsRsaPssFromTheKeyring(Position position)
      throws Exception {
    Handshake h = openssl(position, rsa, "-tls1_3");
    h.assertNegotiated("TLSv1.3", "TLS_AES_(128|256)_GCM_SHA(256|384)", "RSA-PSS");
    h.assertOnlyKeyringOperation(ProviderOperation.SIGN);
  }

  @ParameterizedTest
  @EnumSource(Position.class)
  void openssl_tls13_ec_certificateVerifyIsEcdsaFromTheKeyring(Position position) throws Exception {
    Handshake h = openssl(position, ec, "-tls1_3");
    h.assertNegotiated("TLSv1.3", "TLS_AES_(128|256)_GCM_SHA(256|384)", "ECDSA");
    h.assertOnlyKeyringOperation(ProviderOperation.SIGN);
  }

  @ParameterizedTest
  @EnumSource(Position.class)
  void openssl_tls12_rsa_serverKeyExchangeSignedWithRsaPss(Position position) throws Exception {
    Handshake h = openssl(position, rsa, "-tls1_2", "-sigalgs", "rsa_pss_rsae_sha256");
    h.assertNegotiated("TLSv1.2", "ECDHE-RSA-AES(128|256)-GCM-SHA(256|384)", "RSA-PSS");
    h.assertOnlyKeyringOperation(ProviderOperation.SIGN);
  }

  @ParameterizedTest
  @EnumSource(Position.class)
  void openssl_tls12_rsa_serverKeyExchangeSignedWithPkcs1(Position position) throws Exception {
    Handshake h = openssl(position, rsa, "-tls1_2", "-sigalgs", "RSA+SHA256");
    h.assertNegotiated("TLSv1.2", "ECDHE-RSA-AES(128|256)-GCM-SHA(256|384)", "RSA");
    h.assertOnlyKeyringOperation(ProviderOperation.SIGN);
  }

  @ParameterizedTest
  @EnumSource(Position.class)
  void openssl_tls12_ec_serverKeyExchangeSignedWithEcdsa(Position position) throws Exception {
    Handshake h = openssl(position, ec, "-tls1_2", "-sigalgs", "ECDSA+SHA256");
    h.assertNegotiated("TLSv1.2", "ECDHE-ECDSA-AES(128|256)-GCM-SHA(256|384)", "ECDSA");
    h.assertOnlyKeyringOperation(ProviderOperation.SIGN);
  }

  @ParameterizedTest
  @EnumSource(Position.class)
  void openssl_tls12_rsaKeyExchange_premasterDecryptedOnTheKeyring(Position position)
      throws Exception {
    Handshake h = openssl(position, rsa, "-tls1_2", "-cipher", "AES128-GCM-SHA256");
    h.assertNegotiated("TLSv1.2", "AES128-GCM-SHA256", null);
    h.assertOnlyKeyringOperation(ProviderOperation.DECRYPT);
  }

  /**
   * ECDHE on P-256 instead of X25519, with the provider appended last. Not claimed at position 1: a
   * KeyPairGenerator takes no key to choose a provider by, so JSSE's {@code
   * KeyPairGenerator.getInstance("EC")} for the ephemeral key reaches the Keyring generator first
   * and makes the key pair on the keyring (one GENERATE per handshake), and the Keyring ECDH
   * refuses the raw "TlsPremasterSecret" it would need.
   */
  @ParameterizedTest
  @EnumSource(value = Position.class, names = "LAST")
  void openssl_tls12_ecdheOnP256_ephemeralKeyStaysInSoftware(Position position) throws Exception {
    Handshake h = openssl(position, ec, "-tls1_2", "-sigalgs", "ECDSA+SHA256", "-groups", "P-256");
    h.assertNegotiated("TLSv1.2", "ECDHE-ECDSA-AES(128|256)-GCM-SHA(256|384)", "ECDSA");
    h.assertOnlyKeyringOperation(ProviderOperation.SIGN);
  }

  // ---- curl

  @ParameterizedTest
  @EnumSource(Position.class)
  void curl_tls13_rsa(Position position) throws Exception {
    Handshake h = curl(position, rsa, "--tlsv1.3");
    h.assertCurlNegotiated("TLSv1.3", "TLS_AES_(128|256)_GCM_SHA(256|384)");
    h.assertOnlyKeyringOperation(ProviderOperation.SIGN);
  }

  @ParameterizedTest
  @EnumSource(Position.class)
  void curl_tls13_ec(Position position) throws Exception {
    Handshake h = curl(position, ec, "--tlsv1.3");
    h.assertCurlNegotiated("TLSv1.3", "TLS_AES_(128|256)_GCM_SHA(256|384)");
    h.assertOnlyKeyringOperation(ProviderOperation.SIGN);
  }

  @ParameterizedTest
  @EnumSource(Position.class)
  void curl_tls12_ec(Position position) throws Exception {
    Handshake h = curl(position, ec, "--tlsv1.2", "--tls-max", "1.2");
    h.assertCurlNegotiated("TLSv1.2", "ECDHE-ECDSA-AES(128|256)-GCM-SHA(256|384)");
    h.assertOnlyKeyringOperation(ProviderOperation.SIGN);
  }

  // ---- running the peers

  private Handshake openssl(Position position, Site site, String... options) throws Exception {
    PeerTool.require("openssl", "version");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "openssl",
                "s_client",
                "-connect",
                "127.0.0.1:" + site.port(),
                "-servername",
                "localhost",
                "-verify_hostname",
                "localhost",
                "-CAfile",
                site.certificatePem().toString(),
                "-verify_return_error",
                "-ign_eof"));
    cmd.addAll(List.of(options));
    return handshake(position, site, HTTP_GET, cmd);
  }

  private Handshake curl(Position position, Site site, String... options) throws Exception {
    PeerTool.require("curl", "--version");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "curl",
                "-sS",
                "-v",
                "--http1.1",
                "--max-time",
                "30",
                "--cacert",
                site.certificatePem().toString(),
                "--resolve",
                "localhost:" + site.port() + ":127.0.0.1"));
    cmd.addAll(List.of(options));
    cmd.add("https://localhost:" + site.port() + "/");
    return handshake(position, site, "", cmd);
  }

  private Handshake handshake(Position position, Site site, String stdin, List<String> cmd)
      throws Exception {
    assertNull(Security.getProvider(KeyringProvider.NAME), "a Keyring provider is registered");
    if (position == Position.FIRST) {
      assertEquals(1, Security.insertProviderAt(provider, 1));
    } else {
      assertEquals(Security.getProviders().length + 1, Security.addProvider(provider));
    }
    Map<ProviderOperation, Long> before = provider.operationCounts();
    PeerTool.Run run;
    try {
      run = PeerTool.run(dir, stdin, cmd);
    } finally {
      Security.removeProvider(KeyringProvider.NAME);
    }
    Map<ProviderOperation, Long> delta = new EnumMap<>(ProviderOperation.class);
    provider
        .operationCounts()
        .forEach(
            (k, n) -> {
              long d = n - before.get(k);
              if (d != 0) {
                delta.put(k, d);
              }
            });
    return new Handshake(position, site, run, delta);
  }

  /** One peer run: its output and the provider's operations during it. */
  record Handshake(
      Position position, Site site, PeerTool.Run run, Map<ProviderOperation, Long> delta) {
    void assertNegotiated(String protocol, String cipherPattern, String peerSignatureType) {
      String out = run.out();
      // the JDK's HTTPS server closes the connection after an HTTP/1.0 response without a TLS
      // close_notify, which OpenSSL 3 reports as an error once the page has been read
      boolean closedWithoutNotify =
          run.exit() == 1
              && run.err().contains("unexpected eof while reading")
              && run.err().lines().filter(l -> l.contains(":error:")).count() == 1;
      assertTrue(run.exit() == 0 || closedWithoutNotify, "openssl failed" + run.transcript());
      assertTrue(
          out.contains("Verify return code: 0 (ok)"), "certificate check" + run.transcript());
      String seenProtocol = group(out, "Protocol\\s*:\\s*(\\S+)");
      String seenCipher = group(out, "Cipher is (\\S+)");
      String seenSignature = group(out, "Peer signature type: (\\S+)");
      String seenDigest = group(out, "Peer signing digest: (\\S+)");
      System.out.printf(
          "openssl %-5s %-8s: %s %s, peer signature %s/%s, keyring operations %s%n",
          position, site.keyring(), seenProtocol, seenCipher, seenSignature, seenDigest, delta);
      assertEquals(protocol, seenProtocol, run.transcript());
      assertTrue(
          seenCipher != null && seenCipher.matches(cipherPattern),
          "cipher " + seenCipher + " is not " + cipherPattern + run.transcript());
      assertEquals(peerSignatureType, seenSignature, run.transcript());
      assertTrue(out.contains("HTTP/1.1 200 OK"), "status line" + run.transcript());
      assertTrue(out.contains(site.body()), "page body" + run.transcript());
    }

    void assertCurlNegotiated(String protocol, String cipherPattern) {
      assertEquals(0, run.exit(), "curl failed" + run.transcript());
      Matcher m = Pattern.compile("SSL connection using (\\S+) / (\\S+)").matcher(run.err());
      assertTrue(m.find(), "no TLS summary" + run.transcript());
      System.out.printf(
          "curl    %-5s %-8s: %s %s, keyring operations %s%n",
          position, site.keyring(), m.group(1), m.group(2), delta);
      assertEquals(protocol, m.group(1), run.transcript());
      assertTrue(
          m.group(2).matches(cipherPattern),
          "cipher " + m.group(2) + " is not " + cipherPattern + run.transcript());
      assertTrue(run.err().contains("SSL certificate verify ok"), run.transcript());
      assertEquals(site.body(), run.out(), "page body" + run.transcript());
    }

    /** The handshake's one private-key operation ran on the keyring, and nothing else did. */
    void assertOnlyKeyringOperation(ProviderOperation kind) {
      assertEquals(Map.of(kind, 1L), delta, "keyring operations during the handshake");
    }

    private static String group(String text, String regex) {
      Matcher m = Pattern.compile(regex).matcher(text);
      return m.find() ? m.group(1) : null;
    }
  }
}
