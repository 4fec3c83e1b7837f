package dev.keyring.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.Role;
import dev.keyring.sim.embedded.EmbeddedCluster;
import dev.keyring.sim.keyring.KeyringSession;
import dev.keyring.sim.server.Member;
import dev.keyring.store.KeyringRecord;
import dev.keyring.testing.http.LogCapture;
import dev.keyring.testing.http.MalformedBodies;
import dev.keyring.testing.http.RawHttp;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Over a thousand generated bad requests to a real member's crypto API (mutual TLS, a client
 * certificate from the cluster CA), over HTTP/1.1 and HTTP/2: malformed and truncated JSON, wrong
 * types, unknown and missing fields, bad Base64, unknown mechanisms and parameters that do not fit
 * them, bad attributes, bad handles and session ids, wrong methods and paths, an oversized body,
 * and wrong passwords of six characters or less (which never count toward lockout). Every answer
 * must be a 4xx with a JSON error carrying a PKCS#11-style code, the member's state digest must be
 * unchanged, and a good session must still sign afterwards. Over raw sockets, broken chunked
 * encodings and bodies cut short are answered 400 (or the connection ends), never 500, and log no
 * stack trace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CryptoApiMalformedInputTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEYRING_PASSWORD = "fuzz-keyring-pw";

  private EmbeddedCluster cluster;
  private Member member;
  private SSLContext tls;
  private String base;
  private long keyHandle;

  @BeforeAll
  void start() throws Exception {
    cluster = EmbeddedCluster.builder().kdfIterations(1_000).start();
    member = cluster.member(0);
    base = "https://127.0.0.1:" + member.cryptoPort();
    KeyringRecord k =
        member
            .appliance()
            .keyrings()
            .createKeyrings(cluster.coPassword(), "fuzz", "fuzz-initial-1", 1, null, null)
            .get(0);
    try (KeyringSession so =
        member.appliance().keyrings().login(k.id(), Role.KRSO, "fuzz-initial-1")) {
      so.changePassword("fuzz-initial-1", KEYRING_PASSWORD);
      so.initKrco(KEYRING_PASSWORD);
    }
    try (KeyringSession co =
        member.appliance().keyrings().login(k.id(), Role.KRCO, KEYRING_PASSWORD)) {
      keyHandle =
          co.generateKeyPair(
                  dev.keyring.protocol.KeyGenParams.ec(dev.keyring.protocol.Curve.P256),
                  dev.keyring.protocol.Attributes.builder().label("fuzz-pub").build(),
                  dev.keyring.protocol.Attributes.builder().label("fuzz").build())
              .privateKey()
              .handle();
    }
    tls = clientTls();
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private SSLContext clientTls() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair kp = g.generateKeyPair();
    byte[] csr =
        new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=fuzz-client"), kp.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()))
            .getEncoded();
    X509Certificate cert =
        member.appliance().pki().issueClientCertificate(csr, "fuzz-client", Duration.ofDays(1));
    X509Certificate ca = cluster.clusterCaCertificate();
    char[] pw = "fuzz".toCharArray();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("client", kp.getPrivate(), pw, new Certificate[] {cert, ca});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, pw);
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("ca", reload(ca));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  private static X509Certificate reload(X509Certificate c) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(c.getEncoded()));
  }

  private record Call(String method, String path, byte[] body, String why) {}

  private static Call post(String path, String body, String why) {
    return new Call("POST", path, body.getBytes(StandardCharsets.UTF_8), why);
  }

  @Test
  void overAThousandBadRequests_allAnswered4xx_andNothingChanges() throws Exception {
    HttpClient h1 = client(HttpClient.Version.HTTP_1_1);
    HttpClient h2 = client(HttpClient.Version.HTTP_2);
    String session = openLoggedInSession(h1);
    String s = "/v1/sessions/" + session;
    String digestBefore = member.appliance().store().stateDigest();

    List<Call> calls = new ArrayList<>();
    Random rnd = new Random(20261122L);
    String[] bodyPaths = {
      s + "/login",
      s + "/password",
      s + "/init-krco",
      s + "/objects/find",
      s + "/objects",
      s + "/keys",
      s + "/keypairs",
      s + "/sign",
      s + "/verify",
      s + "/encrypt",
      s + "/decrypt",
      s + "/wrap",
      s + "/unwrap",
      s + "/derive",
      s + "/random",
      s + "/operations",
      "/v1/sessions"
    };
    String validSign =
        "{\"key\":"
            + keyHandle
            + ",\"mechanism\":{\"name\":\"CKM_ECDSA_SHA256\"},\"data\":\"AAEC\"}";
    for (String path : bodyPaths) {
      // malformed JSON: truncations of a valid body, junk, non-UTF-8
      for (int cut = 1; cut < validSign.length() - 1; cut += 3) {
        calls.add(post(path, validSign.substring(0, cut), "truncated JSON"));
      }
      for (int i = 0; i < 16; i++) {
        byte[] junk = new byte[1 + rnd.nextInt(64)];
        rnd.nextBytes(junk);
        calls.add(new Call("POST", path, junk, "random bytes"));
      }
      calls.add(post(path, "", "empty body"));
      calls.add(post(path, "null", "null body"));
      calls.add(post(path, "[]", "array body"));
      calls.add(post(path, "\"text\"", "string body"));
      calls.add(post(path, "{\"unknownField\":1}", "unknown field"));
      calls.add(post(path, "{} {}", "trailing tokens"));
      calls.add(post(path, "{\"a\":1,\"a\":2}", "duplicate key"));
    }
    // wrong types and bad values on the crypto calls
    String[] cryptoOps = {"sign", "verify", "encrypt", "decrypt"};
    String[] badKeys = {"\"x\"", "1.5", "true", "[]", "{}", "-1", "0", "99999999", "null"};
    String[] badMechs = {
      "\"CKM_ECDSA_SHA256\"",
      "{}",
      "{\"name\":1}",
      "{\"name\":\"CKM_NOPE\"}",
      "{\"name\":\"CKM_ECDSA_SHA256\",\"iv\":\"AAAA\"}",
      "{\"name\":\"CKM_AES_GCM\",\"tagBits\":7}",
      "{\"name\":\"CKM_AES_GCM\",\"hash\":\"SHA256\"}",
      "{\"name\":\"CKM_SHA256_RSA_PKCS_PSS\",\"hash\":\"MD5\"}",
      "{\"name\":\"CKM_RSA_PKCS_OAEP\",\"mgfHash\":\"SHA1\"}",
      "{\"name\":\"CKM_ECDSA_SHA256\",\"extra\":1}"
    };
    String[] badData = {"\"%%%\"", "\"AAA\"", "123", "true", "{}", "[1,2]"};
    for (String op : cryptoOps) {
      for (String key : badKeys) {
        calls.add(
            post(
                s + "/" + op,
                "{\"key\":"
                    + key
                    + ",\"mechanism\":{\"name\":\"CKM_ECDSA_SHA256\"},\"data\":\"AAEC\""
                    + (op.equals("verify") ? ",\"signature\":\"AAEC\"" : "")
                    + "}",
                op + " bad key " + key));
      }
      for (String mech : badMechs) {
        calls.add(
            post(
                s + "/" + op,
                "{\"key\":"
                    + keyHandle
                    + ",\"mechanism\":"
                    + mech
                    + ",\"data\":\"AAEC\""
                    + (op.equals("verify") ? ",\"signature\":\"AAEC\"" : "")
                    + "}",
                op + " bad mechanism " + mech));
      }
      for (String data : badData) {
        calls.add(
            post(
                s + "/" + op,
                "{\"key\":"
                    + keyHandle
                    + ",\"mechanism\":{\"name\":\"CKM_ECDSA_SHA256\"},\"data\":"
                    + data
                    + "}",
                op + " bad data " + data));
      }
      calls.add(post(s + "/" + op, "{\"key\":" + keyHandle + "}", op + " missing fields"));
    }
    // templates with bad attributes, and bad key specs
    String[] badTemplates = {
      "{\"CKA_NOPE\":true}",
      "{\"CKA_LABEL\":5}",
      "{\"CKA_SIGN\":\"yes\"}",
      "{\"CKA_ID\":\"xyz\"}",
      "{\"CKA_CLASS\":\"NOPE\"}",
      "{\"CKA_KEY_TYPE\":\"DES\"}",
      "{\"CKA_VALUE\":\"00\"}",
      "{\"CKA_MODULUS\":\"00\"}",
      "[]",
      "\"label\""
    };
    String[] badSpecs = {
      "{\"type\":\"RSA\",\"bits\":1024}",
      "{\"type\":\"RSA\"}",
      "{\"type\":\"EC\",\"curve\":\"P-192\"}",
      "{\"type\":\"EC\",\"curve\":\"Ed25519\"}",
      "{\"type\":\"AES\",\"bits\":100}",
      "{\"type\":\"DES\",\"bits\":64}",
      "{\"type\":\"AES\",\"bits\":256,\"curve\":\"P-256\"}",
      "{}",
      "null",
      "{\"type\":\"GENERIC_SECRET\",\"bits\":7}"
    };
    for (String t : badTemplates) {
      if (!t.contains("CKA_VALUE") && !t.contains("CKA_MODULUS")) {
        // finding by those is a fair query; creating with them is not
        calls.add(post(s + "/objects/find", "{\"template\":" + t + "}", "find " + t));
      }
      calls.add(post(s + "/objects", "{\"template\":" + t + "}", "create " + t));
      calls.add(
          post(
              s + "/keys",
              "{\"spec\":{\"type\":\"AES\",\"bits\":256},\"template\":" + t + "}",
              "keys " + t));
      calls.add(
          post(
              s + "/keypairs",
              "{\"spec\":{\"type\":\"EC\",\"curve\":\"P-256\"},\"publicTemplate\":{},"
                  + "\"privateTemplate\":"
                  + t
                  + "}",
              "keypairs " + t));
    }
    for (String spec : badSpecs) {
      calls.add(post(s + "/keys", "{\"spec\":" + spec + ",\"template\":{}}", "keys spec " + spec));
      calls.add(
          post(
              s + "/keypairs",
              "{\"spec\":" + spec + ",\"publicTemplate\":{},\"privateTemplate\":{}}",
              "keypairs spec " + spec));
    }
    // bad handles and session ids, wrong methods, unknown paths
    String[] handles = {"0", "-5", "abc", "1.5", "99999999999999999999", "%20", "999999"};
    for (String hd : handles) {
      calls.add(new Call("GET", s + "/objects/" + hd, null, "get handle " + hd));
      calls.add(new Call("DELETE", s + "/objects/" + hd, null, "delete handle " + hd));
      calls.add(
          new Call(
              "PATCH",
              s + "/objects/" + hd,
              "{\"attributes\":{\"CKA_LABEL\":\"x\"}}".getBytes(StandardCharsets.UTF_8),
              "patch handle " + hd));
    }
    for (int i = 0; i < 40; i++) {
      String bogus = Long.toHexString(rnd.nextLong());
      calls.add(post("/v1/sessions/" + bogus + "/sign", validSign, "unknown session"));
      calls.add(new Call("DELETE", "/v1/sessions/" + bogus, null, "close unknown session"));
    }
    String[] paths = {
      "/",
      "/v1",
      "/v2/slots",
      "/v1/slot",
      s + "/nope",
      s + "/objects/1/2",
      "/v1/sessions/" + session + "/operations/nope"
    };
    for (String p : paths) {
      calls.add(new Call("GET", p, null, "unknown path " + p));
      calls.add(post(p, "{}", "unknown path POST " + p));
    }
    for (String m : new String[] {"PUT", "DELETE", "PATCH"}) {
      calls.add(new Call(m, "/v1/slots", null, m + " slots"));
      calls.add(new Call(m, s + "/sign", validSign.getBytes(StandardCharsets.UTF_8), m + " sign"));
    }
    calls.add(new Call("POST", "/v1/slots", "{}".getBytes(StandardCharsets.UTF_8), "POST slots"));
    // logins: wrong roles and wrong passwords of 6 characters or less (never counted)
    for (String role : new String[] {"\"admin\"", "\"\"", "5", "null", "\"co\"", "\"po\""}) {
      for (String pw : new String[] {"\"x\"", "\"abcdef\"", "1", "null"}) {
        calls.add(post(s + "/login", "{\"role\":" + role + ",\"password\":" + pw + "}", "login"));
      }
    }
    calls.add(post(s + "/random", "{\"length\":0}", "random 0"));
    calls.add(post(s + "/random", "{\"length\":70000}", "random too long"));
    calls.add(post(s + "/random", "{\"length\":-1}", "random negative"));
    calls.add(
        post(
            s + "/operations",
            "{\"kind\":\"hash\",\"key\":1,\"mechanism\":{\"name\":\"CKM_ECDSA\"}}",
            "bad op kind"));
    // one body over the 16 MiB limit
    calls.add(new Call("POST", s + "/sign", new byte[(16 << 20) + 10], "oversized body"));

    assertTrue(calls.size() >= 1_000, "only " + calls.size() + " calls generated");
    Map<Integer, Integer> byStatus = new LinkedHashMap<>();
    int i = 0;
    for (Call c : calls) {
      HttpClient client = (i++ % 2 == 0) ? h1 : h2;
      HttpResponse<byte[]> r;
      try {
        r = send(client, c);
      } catch (java.io.IOException e) {
        throw new AssertionError(
            c.method() + " " + c.path() + " (" + c.why() + ") got no answer: " + e, e);
      }
      byStatus.merge(r.statusCode(), 1, Integer::sum);
      if (r.statusCode() < 400 || r.statusCode() > 499) {
        fail(
            c.method()
                + " "
                + c.path()
                + " ("
                + c.why()
                + ") answered "
                + r.statusCode()
                + ": "
                + new String(r.body(), StandardCharsets.UTF_8));
      }
      JsonNode body;
      try {
        body = JSON.readTree(r.body());
      } catch (java.io.IOException e) {
        throw new AssertionError(c.method() + " " + c.path() + " (" + c.why() + "): not JSON", e);
      }
      assertNotNull(body.path("error").path("code").textValue(), c.why() + ": no error code");
    }
    System.out.println(
        "crypto API malformed input: " + calls.size() + " bad requests, statuses " + byStatus);

    assertEquals(digestBefore, member.appliance().store().stateDigest(), "state changed");
    // the good session still works
    HttpResponse<byte[]> ok = send(h2, post(s + "/sign", validSign, "good sign"));
    assertEquals(200, ok.statusCode(), new String(ok.body(), StandardCharsets.UTF_8));
    send(h1, new Call("DELETE", s, null, "close"));
    assertEquals(0, member.openSessions());
  }

  @Test
  void brokenChunkedAndCutShortBodies_overRawSockets_areAnswered400_neverWith500()
      throws Exception {
    HttpClient h1 = client(HttpClient.Version.HTTP_1_1);
    String session = openLoggedInSession(h1);
    String s = "/v1/sessions/" + session;
    HttpResponse<byte[]> started =
        send(
            h1,
            post(
                s + "/operations",
                "{\"kind\":\"sign\",\"key\":"
                    + keyHandle
                    + ",\"mechanism\":{\"name\":\"CKM_ECDSA_SHA256\"}}",
                "start"));
    assertEquals(200, started.statusCode(), new String(started.body(), StandardCharsets.UTF_8));
    String op = JSON.readTree(started.body()).get("operationId").textValue();
    String digestBefore = member.appliance().store().stateDigest();
    Map<Integer, Integer> byStatus = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    int requests = 0;
    try (LogCapture log = LogCapture.stderr()) {
      for (String path :
          List.of(s + "/sign", s + "/operations/" + op, "/v1/sessions", "/v1/sessions/nope/sign")) {
        for (MalformedBodies.Case c : MalformedBodies.cases("POST", path, Map.of())) {
          requests++;
          int status;
          try (RawHttp r = RawHttp.open(tls, member.cryptoPort(), Duration.ofSeconds(10))) {
            try {
              r.send(c.bytes());
              if (c.endOutput()) {
                r.endOutput();
              }
            } catch (java.io.IOException e) {
              // answered and closed before all was sent: read what the member said
            }
            status = r.status(Duration.ofSeconds(20));
          }
          byStatus.merge(status, 1, Integer::sum);
          if (status >= 500 || (status != -1 && status < 400)) {
            failures.add(path + " (" + c.what() + ") -> " + status);
          }
        }
      }
      assertEquals(List.of(), log.stackTraceLines(), "stack traces in the log");
    }
    System.out.println(
        "crypto API broken and cut-short bodies over raw sockets: "
            + requests
            + " requests, statuses "
            + byStatus
            + " (-1: the connection ended without an answer)");
    assertEquals(List.of(), failures);
    assertTrue(byStatus.getOrDefault(400, 0) > 0, byStatus.toString());
    assertEquals(digestBefore, member.appliance().store().stateDigest(), "state changed");
    HttpResponse<byte[]> ok =
        send(
            h1,
            post(
                s + "/sign",
                "{\"key\":"
                    + keyHandle
                    + ",\"mechanism\":{\"name\":\"CKM_ECDSA_SHA256\"},\"data\":\"AAEC\"}",
                "good sign"));
    assertEquals(200, ok.statusCode(), new String(ok.body(), StandardCharsets.UTF_8));
    send(h1, new Call("DELETE", s, null, "close"));
    assertEquals(0, member.openSessions());
    assertEquals(0, member.buffers().used(), "nothing held for clients");
  }

  @Test
  void sessionIdsPickedByTheClient_badOnesRefused_andAnIdClosedFirstNeverOpens() throws Exception {
    HttpClient c = client(HttpClient.Version.HTTP_1_1);
    int before = member.openSessions();
    String[] bad = {"\"abc\"", "5", "\"" + "A".repeat(32) + "\"", "\"" + "0".repeat(33) + "\""};
    for (String id : bad) {
      HttpResponse<byte[]> r =
          send(c, post("/v1/sessions", "{\"keyring\":\"fuzz\",\"sessionId\":" + id + "}", id));
      assertEquals(400, r.statusCode(), id);
      assertTrue(new String(r.body(), StandardCharsets.UTF_8).contains("CKR_ARGUMENTS_BAD"), id);
    }
    String picked = "0123456789abcdef".repeat(2);
    String open = "{\"keyring\":\"fuzz\",\"sessionId\":\"" + picked + "\"}";
    HttpResponse<byte[]> ok = send(c, post("/v1/sessions", open, "open under the client's id"));
    assertEquals(200, ok.statusCode(), new String(ok.body(), StandardCharsets.UTF_8));
    assertEquals(picked, JSON.readTree(ok.body()).get("sessionId").textValue());
    HttpResponse<byte[]> twice = send(c, post("/v1/sessions", open, "the same id again"));
    assertEquals(400, twice.statusCode());
    assertEquals(
        204, send(c, new Call("DELETE", "/v1/sessions/" + picked, null, "close")).statusCode());

    String closedFirst = "fedcba9876543210".repeat(2);
    HttpResponse<byte[]> unknown =
        send(c, new Call("DELETE", "/v1/sessions/" + closedFirst, null, "close before open"));
    assertEquals(404, unknown.statusCode());
    HttpResponse<byte[]> late =
        send(
            c,
            post(
                "/v1/sessions",
                "{\"keyring\":\"fuzz\",\"sessionId\":\"" + closedFirst + "\"}",
                "open after its close"));
    assertEquals(404, late.statusCode());
    assertTrue(new String(late.body(), StandardCharsets.UTF_8).contains("CKR_SESSION_CLOSED"));
    assertEquals(before, member.openSessions(), "no session left open");
  }

  private String openLoggedInSession(HttpClient c) throws Exception {
    HttpResponse<byte[]> r = send(c, post("/v1/sessions", "{\"keyring\":\"fuzz\"}", "open"));
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    String id = JSON.readTree(r.body()).get("sessionId").textValue();
    HttpResponse<byte[]> login =
        send(
            c,
            post(
                "/v1/sessions/" + id + "/login",
                "{\"role\":\"co\",\"password\":\"" + KEYRING_PASSWORD + "\"}",
                "login"));
    assertEquals(204, login.statusCode(), new String(login.body(), StandardCharsets.UTF_8));
    return id;
  }

  private HttpClient client(HttpClient.Version v) {
    return HttpClient.newBuilder()
        .sslContext(tls)
        .version(v)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  private HttpResponse<byte[]> send(HttpClient c, Call call) throws Exception {
    HttpRequest.BodyPublisher body =
        call.body() == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(call.body());
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(base + call.path()))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .method(call.method(), body)
            .build();
    return c.send(req, HttpResponse.BodyHandlers.ofByteArray());
  }

  static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }
}
