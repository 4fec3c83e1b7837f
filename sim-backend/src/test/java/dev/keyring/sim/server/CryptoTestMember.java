package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.admin.ClientRegistration;
import dev.keyring.protocol.wire.WireJson;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.keyring.KeyringSession;
import dev.keyring.store.KeyringRecord;
import dev.keyring.testing.admin.AdminRestClient;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A provisioned member (a one-member cluster) with a registered crypto API client and a keyring
 * holding a P-256 key pair: what tests of the crypto API over mutual TLS on loopback start from.
 */
final class CryptoTestMember implements AutoCloseable {
  static final String KEYRING = "load";
  static final String PASSWORD = "keyring-password-2";
  private static final String INITIAL = "keyring-initial-1";

  final Member member;
  final SSLContext clientTls;
  final SSLContext adminTls;
  final long signingKey;
  final String cluster;
  final String clientSerial;

  private CryptoTestMember(
      Member member,
      SSLContext clientTls,
      SSLContext adminTls,
      long signingKey,
      String cluster,
      String clientSerial) {
    this.cluster = cluster;
    this.clientSerial = clientSerial;
    this.member = member;
    this.clientTls = clientTls;
    this.adminTls = adminTls;
    this.signingKey = signingKey;
  }

  /** A channel SIGN frame: ECDSA with SHA-256 over {@code data} with the test's signing key. */
  byte[] signFrame(int id, String sid, byte[] data) {
    return dev.keyring.protocol.channel.ChannelCodec.crypto(
        id,
        dev.keyring.protocol.channel.Opcode.SIGN,
        null,
        sid,
        signingKey,
        dev.keyring.protocol.Mechanism.CKM_ECDSA_SHA256,
        dev.keyring.protocol.MechanismParams.NONE,
        data,
        null);
  }

  /** Starts and provisions a member in {@code dir}; {@code settings} may change its config. */
  static CryptoTestMember start(Path dir, Consumer<MemberConfig.Builder> settings)
      throws Exception {
    MemberConfig.Builder b =
        MemberConfig.builder()
            .appliance(ApplianceConfig.builder().dataDir(dir).kdfIterations(1000).build())
            .adminPort(0)
            .cryptoPort(0)
            .initialAdminPassword(ADMIN_PW);
    settings.accept(b);
    Member member = Member.start(b.build());
    try {
      AdminRestClient c = new AdminRestClient(member.adminPort(), member.adminCertificate());
      String cluster = AdminTestSupport.provision(c);
      KeyPair kp = ClientRegistrationApiTest.ecKey();
      ClientRegistration.Response r = register(c, cluster, kp, "load-client");
      X509Certificate cert = ClientRegistrationApiTest.cert(r.certificate());
      X509Certificate ca = ClientRegistrationApiTest.cert(r.caCertificate());

      KeyringRecord k =
          member
              .appliance()
              .keyrings()
              .createKeyrings(AdminTestSupport.CO, KEYRING, INITIAL, 1, null, null)
              .get(0);
      try (KeyringSession so = member.appliance().keyrings().login(k.id(), Role.KRSO, INITIAL)) {
        so.changePassword(INITIAL, PASSWORD);
        so.initKrco(PASSWORD);
      }
      long key;
      try (KeyringSession co = member.appliance().keyrings().login(k.id(), Role.KRCO, PASSWORD)) {
        key =
            co.generateKeyPair(
                    KeyGenParams.ec(Curve.P256),
                    Attributes.builder().label("load-pub").build(),
                    Attributes.builder().label("load").build())
                .privateKey()
                .handle();
      }
      return new CryptoTestMember(
          member,
          mutualTls(kp, cert, ca),
          AdminRestClient.trusting(member.adminCertificate()),
          key,
          cluster,
          cert.getSerialNumber().toString(16));
    } catch (Exception | Error e) {
      member.close();
      throw e;
    }
  }

  /** Registers another client, {@code name}, with the cluster; its mutual TLS context. */
  SSLContext registerClient(String name) throws Exception {
    KeyPair kp = ClientRegistrationApiTest.ecKey();
    ClientRegistration.Response r =
        register(
            new AdminRestClient(member.adminPort(), member.adminCertificate()), cluster, kp, name);
    return mutualTls(
        kp,
        ClientRegistrationApiTest.cert(r.certificate()),
        ClientRegistrationApiTest.cert(r.caCertificate()));
  }

  /** Registers client {@code name} with key pair {@code kp} through the admin API. */
  private static ClientRegistration.Response register(
      AdminRestClient c, String cluster, KeyPair kp, String name) throws Exception {
    AdminRestClient.Reply reply =
        c.call("POST", "/api/clusters/" + cluster + "/clients")
            .as(ADMIN, ADMIN_PW)
            .json(Map.of("commonName", name, "csr", ClientRegistrationApiTest.csrPem(kp, name)))
            .send();
    assertEquals(201, reply.status(), reply.body());
    return WireJson.mapper().readValue(reply.body(), ClientRegistration.Response.class);
  }

  private static SSLContext mutualTls(KeyPair kp, X509Certificate cert, X509Certificate ca)
      throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("client", kp.getPrivate(), "pw".toCharArray(), new X509Certificate[] {cert});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "pw".toCharArray());
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  /** Revokes the registered client's certificate through the admin API. */
  void revokeClient() throws Exception {
    new AdminRestClient(member.adminPort(), member.adminCertificate())
        .call("DELETE", "/api/clusters/" + cluster + "/clients/" + clientSerial)
        .as(ADMIN, ADMIN_PW)
        .send()
        .expect(204);
  }

  int cryptoPort() {
    return member.cryptoPort();
  }

  int adminPort() {
    return member.adminPort();
  }

  /** An HTTP client of the crypto API with this member's registered client certificate. */
  HttpClient crypto(HttpClient.Version version) {
    return HttpClient.newBuilder()
        .sslContext(clientTls)
        .version(version)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** One answer of the crypto API. */
  record Answer(int status, String body) {
    JsonNode json() throws Exception {
      return WireJson.mapper().readTree(body);
    }

    String code() throws Exception {
      return json().path("error").path("code").asText();
    }
  }

  Answer send(HttpClient http, String method, String path, byte[] body) throws Exception {
    return send(http, method, path, body, Duration.ofSeconds(60));
  }

  Answer send(HttpClient http, String method, String path, byte[] body, Duration timeout)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + cryptoPort() + "/v1" + path))
            .timeout(timeout);
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else if (body.length == 0) {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    } else {
      // streamed from the array, not copied: uploads that share one large body cost nothing each
      b.header("Content-Type", "application/json")
          .method(
              method,
              HttpRequest.BodyPublishers.fromPublisher(
                  HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)),
                  body.length));
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body());
  }

  Answer post(HttpClient http, String path, String json) throws Exception {
    return send(http, "POST", path, json.getBytes(StandardCharsets.UTF_8));
  }

  /** Opens a session on the keyring and logs it in as KRCO; returns its id. */
  String openSession(HttpClient http) throws Exception {
    Answer open = post(http, "/sessions", "{\"keyring\":\"" + KEYRING + "\"}");
    assertEquals(200, open.status(), open.body());
    String id = open.json().path("sessionId").asText();
    Answer login =
        post(
            http,
            "/sessions/" + id + "/login",
            "{\"role\":\"co\",\"password\":\"" + PASSWORD + "\"}");
    assertEquals(204, login.status(), login.body());
    return id;
  }

  /** The body of a single-part ECDSA sign of a few bytes with the keyring's key. */
  String signRequest() {
    return "{\"key\":"
        + signingKey
        + ",\"mechanism\":{\"name\":\"CKM_ECDSA_SHA256\"},\"data\":\"AAECAwQFBgc=\"}";
  }

  @Override
  public void close() {
    member.close();
  }
}
