package dev.keyring.sim.server;

import static dev.keyring.sim.server.AdminTestSupport.ADMIN;
import static dev.keyring.sim.server.AdminTestSupport.ADMIN_PW;
import static dev.keyring.sim.server.AdminTestSupport.CO;
import static dev.keyring.sim.server.AdminTestSupport.PARTITION;
import static dev.keyring.sim.server.AdminTestSupport.PO;
import static dev.keyring.sim.server.AdminTestSupport.SO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.store.StoreConfig;
import dev.keyring.testing.admin.AdminRestClient;
import dev.keyring.testing.http.LogCapture;
import dev.keyring.testing.http.MalformedBodies;
import dev.keyring.testing.http.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sends well over a thousand generated bad requests to a provisioned member's admin API: broken and
 * mistyped JSON, unknown and missing fields, out-of-range and huge numbers, bad values, bad UUIDs
 * and labels in paths, oversized bodies, wrong methods, unknown paths, and missing, wrong or
 * insufficient credentials. Every answer must be a 4xx with a JSON error body, and the store (its
 * state digest and every {@code hsm_state} entry) must be exactly as before, but for the lockout
 * counters its wrong passwords add to (cluster values {@code appliance.lockout.<user>}, counted by
 * design). Over raw sockets, broken chunked encodings, bodies cut short and bodies that stop
 * arriving are answered 400 (or the connection ends), never 500, with one log line each and no
 * stack trace.
 */
class AdminApiMalformedInputTest {
  private static final ObjectMapper PLAIN =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final List<String> METHODS =
      List.of("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

  @TempDir Path dir;
  private Member member;
  private AdminRestClient h2;
  private AdminRestClient h1;
  private String cluster;
  private String memberId;
  private String hsm;
  private String keyringId;
  private String clientSerial;
  private String validCsr;
  private final Random random = new Random(0x6b65797269L);

  /** One bad request. */
  record Bad(
      String what,
      String method,
      String path,
      byte[] body,
      boolean chunked,
      Map<String, String> headers) {
    /**
     * Requests whose URI HTTP/2 refuses at the protocol level (Jetty answers GOAWAY, not an HTTP
     * status): NUL bytes, dot segments above the root, a path beyond the header table.
     */
    boolean protocolLevel() {
      return path.contains("%00") || path.contains("/../") || path.length() > 4000;
    }
  }

  enum Kind {
    STR,
    INT,
    BOOL,
    CREDS
  }

  /** A valid-shaped body of one endpoint, with its fields' kinds and which are required. */
  record Template(
      String method,
      String path,
      Map<String, Object> body,
      Map<String, Kind> kinds,
      List<String> required) {}

  @BeforeEach
  void setUp() throws Exception {
    member = AdminTestSupport.start(dir);
    h2 = new AdminRestClient(member.adminPort(), member.adminCertificate());
    h1 =
        new AdminRestClient(
            member.adminPort(), member.adminCertificate(), HttpClient.Version.HTTP_1_1);
    cluster = AdminTestSupport.provision(h2);
    memberId = AdminTestSupport.memberId(h2, cluster);
    hsm = "/api/lunasa/hsms/" + AdminTestSupport.hsmId(h2);
    JsonNode made =
        h2.call("POST", "/api/keyrings")
            .as(ADMIN, ADMIN_PW)
            .json(
                Map.of(
                    "authentication",
                    AdminTestSupport.co(),
                    "keyRingLabel",
                    "fz",
                    "keyRingPassword",
                    "keyring-pw-1",
                    "total",
                    3,
                    "index",
                    100))
            .send()
            .expect(201)
            .json();
    keyringId = made.path("data").get(0).path("keyRingUUID").asText();
    AdminTestSupport.setPassword(h2, "operator", "operator-pw-1");
    AdminTestSupport.setPassword(h2, "monitor", "monitor-pw-1");
    h2.call("POST", "/users")
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("userId", "watcher", "role", "monitor", "password", "watcher-pw-1"))
        .send()
        .expect(201);
    KeyPair kp = ec();
    validCsr = ClientRegistrationApiTest.csrPem(kp, "cli");
    h2.call("POST", "/api/clusters/" + cluster + "/clients")
        .as(ADMIN, ADMIN_PW)
        .json(Map.of("commonName", "cli", "csr", validCsr, "label", "fuzz client"))
        .send()
        .expect(201);
    clientSerial =
        h2.call("GET", "/api/clusters/" + cluster + "/clients")
            .as(ADMIN, ADMIN_PW)
            .send()
            .expect(200)
            .json()
            .path("data")
            .get(0)
            .path("serial")
            .asText();
  }

  @AfterEach
  void tearDown() {
    member.close();
  }

  private static KeyPair ec() throws Exception {
    return ClientRegistrationApiTest.ecKey();
  }

  @Test
  void overAThousandBadRequests_areAll4xxJson_andChangeNothing() throws Exception {
    String digest = member.appliance().store().stateDigest();
    Map<String, String> hsmState = hsmState();
    List<Bad> cases = generate();
    assertTrue(cases.size() >= 1000, "only " + cases.size() + " cases");
    Collections.shuffle(cases, random);

    List<String> failures = new ArrayList<>();
    Map<Integer, Integer> statuses = new TreeMap<>();
    int n = 0;
    for (Bad b : cases) {
      // Jetty closes the connection after a request line it cannot parse without saying so
      // (it answers as to HTTP/1.0): such requests get a connection of their own
      AdminRestClient client =
          b.protocolLevel()
              ? new AdminRestClient(
                  member.adminPort(), member.adminCertificate(), HttpClient.Version.HTTP_1_1)
              : (n++ % 4 == 0) ? h1 : h2;
      String problem = check(client, b, statuses);
      if (problem != null) {
        failures.add(problem);
      }
    }
    System.out.println(
        "admin API malformed-input run: " + cases.size() + " requests, statuses " + statuses);
    assertTrue(
        failures.isEmpty(),
        failures.size()
            + " of "
            + cases.size()
            + " bad requests were not answered 4xx JSON:\n"
            + String.join("\n", failures.subList(0, Math.min(40, failures.size()))));

    assertEquals(digest, member.appliance().store().stateDigest(), "the store changed");
    assertEquals(hsmState, hsmState(), "an hsm_state entry changed");
    // still serving, nothing locked for the admin
    assertEquals(
        3,
        h2.call("GET", "/api/keyrings")
            .as(ADMIN, ADMIN_PW)
            .send()
            .expect(200)
            .json()
            .path("data")
            .size());
  }

  @Test
  void urisThatHttp2RefusesAtTheProtocolLevel_leaveTheMemberServingAndUnchanged() throws Exception {
    String digest = member.appliance().store().stateDigest();
    Map<String, String> hsmState = hsmState();
    int refused = 0;
    for (Bad b : generate()) {
      if (!b.protocolLevel()) {
        continue;
      }
      AdminRestClient.Call call = h2.call(b.method(), b.path());
      b.headers().forEach(call::header);
      if (b.body() != null) {
        call.raw(b.body(), b.chunked());
      }
      try {
        AdminRestClient.Reply r = call.send();
        assertTrue(r.status() >= 400 && r.status() < 500, b.path() + " -> " + r.status());
      } catch (UncheckedIOException e) {
        refused++; // GOAWAY: the connection is dropped, no HTTP answer
      }
      h2.call("GET", "/api/keyrings").as(ADMIN, ADMIN_PW).send().expect(200);
    }
    assertTrue(refused > 0);
    assertEquals(digest, member.appliance().store().stateDigest());
    assertEquals(hsmState, hsmState());
  }

  @Test
  void brokenChunkedAndCutShortBodies_overRawSockets_areAnswered400_neverWith500()
      throws Exception {
    String digest = member.appliance().store().stateDigest();
    SSLContext tls = AdminRestClient.trusting(member.adminCertificate());
    // read in full before being handled (a login and a keyring creation), and refused on the
    // headers alone (no credentials; a wrong password), whose bodies are thrown away
    Map<String, Map<String, String>> targets = new LinkedHashMap<>();
    targets.put("POST /api/keyrings", admin());
    targets.put(
        "POST /auth/session", Map.of("Authorization", AdminRestClient.basic(ADMIN, ADMIN_PW)));
    targets.put("PUT /api/cluster/config", Map.of());
    targets.put(
        "POST /api/clusters",
        Map.of("Authorization", AdminRestClient.basic("watcher", "not-the-password")));
    Map<Integer, Integer> statuses = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    int cases = 0;
    try (LogCapture log = LogCapture.stderr()) {
      for (Map.Entry<String, Map<String, String>> t : targets.entrySet()) {
        String[] mp = t.getKey().split(" ");
        for (MalformedBodies.Case c : MalformedBodies.cases(mp[0], mp[1], t.getValue())) {
          cases++;
          int status = rawStatus(tls, c);
          statuses.merge(status, 1, Integer::sum);
          String where = t.getKey() + " (" + c.what() + ") -> " + status;
          if (status >= 500 || (status != -1 && status < 400)) {
            failures.add(where);
          }
        }
      }
      assertEquals(List.of(), log.stackTraceLines(), "stack traces in the log");
      long lines =
          log.lines().stream().filter(l -> l.contains("refused, connection closed")).count();
      assertTrue(lines <= cases, lines + " log lines for " + cases + " requests");
    }
    System.out.println(
        "admin API broken and cut-short bodies over raw sockets: "
            + cases
            + " requests, statuses "
            + statuses
            + " (-1: the connection ended without an answer)");
    assertEquals(List.of(), failures);
    assertTrue(statuses.getOrDefault(400, 0) > 0, statuses.toString());
    assertEquals(digest, member.appliance().store().stateDigest());
    h1.call("GET", "/api/keyrings").as(ADMIN, ADMIN_PW).send().expect(200);
  }

  @Test
  void bodiesThatStopArriving_areAnswered400AndClosed_byRateOrIdleTimeout(@TempDir Path other)
      throws Exception {
    String head =
        MalformedBodies.head("POST", "/api/keyrings", admin(), "Content-Length: 1000") + "{\"ke";
    // the member of this test: the body is too slow once 5 s have passed
    try (RawHttp c =
        RawHttp.open(
            AdminRestClient.trusting(member.adminCertificate()),
            member.adminPort(),
            Duration.ofSeconds(10))) {
      c.send(head);
      assertEquals(400, c.status(Duration.ofSeconds(30)));
      assertTrue(c.rest(Duration.ofSeconds(10)).contains("arrived too slowly"));
    }
    // a member whose connections time out after 1 s idle: Jetty's idle timeout ends the read
    try (Member quick =
            Member.start(
                MemberConfig.builder()
                    .appliance(ApplianceConfig.builder().dataDir(other).kdfIterations(1000).build())
                    .adminPort(0)
                    .cryptoPort(0)
                    .initialAdminPassword(ADMIN_PW)
                    .idleTimeout(Duration.ofSeconds(1))
                    .build());
        RawHttp c =
            RawHttp.open(
                AdminRestClient.trusting(quick.adminCertificate()),
                quick.adminPort(),
                Duration.ofSeconds(10))) {
      c.send(
          MalformedBodies.head(
                  "POST",
                  "/auth/session",
                  Map.of("Authorization", AdminRestClient.basic(ADMIN, ADMIN_PW)),
                  "Content-Length: 100")
              + "{");
      assertEquals(400, c.status(Duration.ofSeconds(30)));
      assertTrue(c.rest(Duration.ofSeconds(10)).contains("idle timeout"));
    }
  }

  /** Sends one raw request; its status, or -1 when the connection ended without one. */
  private int rawStatus(SSLContext tls, MalformedBodies.Case c) throws IOException {
    try (RawHttp r = RawHttp.open(tls, member.adminPort(), Duration.ofSeconds(10))) {
      try {
        r.send(c.bytes());
        if (c.endOutput()) {
          r.endOutput();
        }
      } catch (IOException e) {
        // the member answered and closed before all was sent: read what it said
      }
      return r.status(Duration.ofSeconds(20));
    }
  }

  private static String check(AdminRestClient client, Bad b, Map<Integer, Integer> statuses) {
    AdminRestClient.Call call = client.call(b.method(), b.path());
    b.headers().forEach(call::header);
    if (b.body() != null) {
      call.raw(b.body(), b.chunked());
    }
    AdminRestClient.Reply r;
    try {
      r = call.send();
    } catch (UncheckedIOException e) {
      return b.what()
          + ": "
          + b.method()
          + " "
          + abbreviate(b.path())
          + " -> I/O failure "
          + e.getCause();
    }
    statuses.merge(r.status(), 1, Integer::sum);
    String where = b.what() + ": " + b.method() + " " + abbreviate(b.path()) + " -> " + r.status();
    if (r.status() < 400 || r.status() > 499) {
      return where + " " + abbreviate(r.body());
    }
    try {
      JsonNode e = PLAIN.readTree(r.body()).path("error");
      String code = e.path("code").asText("");
      if (!code.startsWith("CKR_") || e.path("message").asText("").isBlank()) {
        return where + " without a JSON error: " + abbreviate(r.body());
      }
      if (!r.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
        return where + " with content type " + r.headers().firstValue("Content-Type");
      }
    } catch (IOException e) {
      return where + " with a body that is not JSON: " + abbreviate(r.body());
    }
    return null;
  }

  private static String abbreviate(String s) {
    return s.length() > 160 ? s.substring(0, 160) + "…" : s;
  }

  /**
   * Every hsm_state entry and every cluster value (registered clients are cluster values), read
   * straight from the database.
   */
  private Map<String, String> hsmState() throws Exception {
    StoreConfig cfg = member.appliance().store().config();
    Map<String, String> out = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(cfg.jdbcUrl(), cfg.username(), cfg.password());
        Statement s = c.createStatement()) {
      for (String table : new String[] {"hsm_state", "cluster_values"}) {
        try (ResultSet rs = s.executeQuery("SELECT name, \"VALUE\" FROM " + table)) {
          while (rs.next()) {
            if (!rs.getString(1).startsWith("appliance.lockout.")) {
              // the failed password checks are counted there, cluster-wide, by design
              out.put(table + ":" + rs.getString(1), HexFormat.of().formatHex(rs.getBytes(2)));
            }
          }
        }
      }
    }
    assertTrue(out.containsKey("hsm_state:" + ApplianceUsers.STATE_KEY), out.keySet().toString());
    assertTrue(
        out.keySet().stream().anyMatch(k -> k.startsWith("cluster_values:client.")),
        out.keySet().toString());
    return out;
  }

  // ------------------------------------------------------------------ generation

  private static Map<String, String> admin() {
    return Map.of("Authorization", AdminRestClient.basic(ADMIN, ADMIN_PW));
  }

  private static byte[] json(Object o) {
    try {
      return PLAIN.writeValueAsBytes(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Map<String, Object>> cred(String type, String password) {
    return List.of(Map.of("type", type, "password", password));
  }

  private static List<Map<String, Object>> cred(String type, String password, String label) {
    return List.of(Map.of("type", type, "password", password, "partitionLabel", label));
  }

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private List<Bad> generate() throws Exception {
    List<Bad> out = new ArrayList<>();
    for (Template t : templates()) {
      mutate(t, out);
    }
    semantic(out);
    numbers(out);
    badIds(out);
    oversized(out);
    wrongMethods(out);
    badPaths(out);
    badAuth(out);
    return out;
  }

  private List<Template> templates() {
    String members = "/api/clusters/" + cluster + "/members/" + memberId;
    String par = hsm + "/partitions/" + PARTITION;
    Map<String, Kind> creds = Map.of("authentication", Kind.CREDS);
    List<Template> t = new ArrayList<>();
    t.add(
        new Template(
            "POST",
            "/api/clusters",
            map("authentication", cred("SO", SO), "clusterLabel", "c2"),
            kinds(creds, "clusterLabel", Kind.STR),
            List.of("authentication", "clusterLabel")));
    t.add(
        new Template(
            "PUT",
            members,
            map("action", "authorize", "authentication", cred("CO", CO, PARTITION)),
            kinds(creds, "action", Kind.STR),
            List.of("action", "authentication")));
    t.add(
        new Template(
            "PUT",
            members,
            map("action", "config", "group", "west", "primary", true),
            kinds(Map.of(), "action", Kind.STR, "group", Kind.STR, "primary", Kind.BOOL),
            List.of("action")));
    t.add(
        new Template(
            "PATCH",
            members,
            map("action", "leave", "authentication", cred("CO", CO, PARTITION)),
            kinds(creds, "action", Kind.STR),
            List.of("action", "authentication")));
    t.add(
        new Template(
            "DELETE",
            members,
            map("authentication", cred("CO", CO)),
            kinds(creds),
            List.of("authentication")));
    t.add(
        new Template(
            "PUT",
            "/api/clusters/" + cluster,
            map(
                "authentication", cred("CO", CO, PARTITION),
                "remoteClusterIpAddress", "10.1.2.3",
                "remoteAdminPassword", "remote-admin-1",
                "action", "join"),
            kinds(
                creds,
                "remoteClusterIpAddress",
                Kind.STR,
                "remoteAdminPassword",
                Kind.STR,
                "action",
                Kind.STR),
            List.of("authentication", "action", "remoteClusterIpAddress", "remoteAdminPassword")));
    t.add(
        new Template(
            "POST",
            "/api/keyrings",
            map(
                "authentication",
                cred("CO", CO, PARTITION),
                "keyRingLabel",
                "newkr",
                "keyRingPassword",
                "keyring-pw-2",
                "total",
                2,
                "index",
                5),
            kinds(
                creds,
                "keyRingLabel",
                Kind.STR,
                "keyRingPassword",
                Kind.STR,
                "total",
                Kind.INT,
                "index",
                Kind.INT),
            List.of("authentication", "keyRingLabel", "keyRingPassword")));
    t.add(
        new Template(
            "PATCH",
            "/api/keyrings/fz100",
            map("authentication", cred("CO", CO), "action", "unlock"),
            kinds(creds, "action", Kind.STR),
            List.of("authentication")));
    t.add(
        new Template(
            "DELETE",
            "/api/keyrings/" + keyringId,
            map("authentication", cred("CO", CO)),
            kinds(creds),
            List.of("authentication")));
    t.add(
        new Template(
            "PUT",
            "/api/cluster/config",
            map("service", "crypto", "port", 50056, "interface", "lo"),
            kinds(Map.of(), "service", Kind.STR, "port", Kind.INT, "interface", Kind.STR),
            List.of("service")));
    t.add(
        new Template(
            "PUT",
            "/api/cluster/config",
            map("service", "core", "IpAddress", "127.0.0.1"),
            kinds(Map.of(), "service", Kind.STR, "IpAddress", Kind.STR),
            List.of("service", "IpAddress")));
    t.add(
        new Template(
            "PATCH",
            "/api/lunasa/services/cluster",
            map("onBoot", true),
            kinds(Map.of(), "onBoot", Kind.BOOL),
            List.of("onBoot")));
    for (String action : List.of("start", "stop", "restart", "enable", "disable")) {
      t.add(
          new Template(
              "POST",
              "/api/lunasa/services/cluster/actions/" + action,
              map(),
              Map.of(),
              List.of()));
    }
    t.add(
        new Template(
            "POST",
            "/api/lunasa/services/cluster/actions/factoryreset",
            map("authentication", cred("SO", SO)),
            kinds(creds),
            List.of("authentication")));
    t.add(
        new Template(
            "PUT",
            hsm,
            map("label", "hsm2", "password", "so-password-2"),
            kinds(Map.of(), "label", Kind.STR, "password", Kind.STR),
            List.of("label", "password")));
    t.add(
        new Template(
            "PUT",
            hsm + "/policies/21",
            map("authentication", cred("SO", SO), "value", 1),
            kinds(creds, "value", Kind.INT),
            List.of("authentication", "value")));
    t.add(
        new Template(
            "POST",
            hsm + "/partitions",
            map("authentication", cred("SO", SO), "label", "par2", "version", "V1"),
            kinds(creds, "label", Kind.STR, "version", Kind.STR),
            List.of("authentication", "label", "version")));
    t.add(
        new Template(
            "PUT",
            par,
            map("authentication", cred("SO", SO), "password", "po-password-2", "domain", "d2"),
            kinds(creds, "password", Kind.STR, "domain", Kind.STR),
            List.of("authentication", "password", "domain")));
    t.add(
        new Template(
            "PUT",
            par + "/policies/40",
            map("authentication", cred("PO", PO), "value", 0),
            kinds(creds, "value", Kind.INT),
            List.of("authentication", "value")));
    t.add(
        new Template(
            "PUT",
            par + "/roles/co",
            map("authentication", cred("PO", PO), "password", "co-password-9"),
            kinds(creds, "password", Kind.STR),
            List.of("authentication", "password")));
    t.add(
        new Template(
            "PATCH",
            par + "/roles/co",
            map("authentication", cred("CO", CO), "newPassword", "co-password-8"),
            kinds(creds, "newPassword", Kind.STR),
            List.of("authentication", "newPassword")));
    t.add(
        new Template(
            "POST",
            "/users",
            map("userId", "bob", "role", "monitor", "password", "bob-password-1"),
            kinds(Map.of(), "userId", Kind.STR, "role", Kind.STR, "password", Kind.STR),
            List.of("userId", "role", "password")));
    t.add(
        new Template(
            "PATCH",
            "/users/monitor",
            map("password", "monitor-pw-9", "oldPassword", "monitor-pw-1"),
            kinds(Map.of(), "password", Kind.STR, "oldPassword", Kind.STR),
            List.of("password")));
    t.add(
        new Template(
            "POST",
            "/api/clusters/" + cluster + "/clients",
            map("commonName", "cli", "csr", validCsr, "label", "again", "monitorUser", "monitor"),
            kinds(
                Map.of(),
                "commonName",
                Kind.STR,
                "csr",
                Kind.STR,
                "label",
                Kind.STR,
                "monitorUser",
                Kind.STR),
            List.of("commonName", "csr")));
    t.add(new Template("POST", "/auth/session", map(), Map.of(), List.of()));
    t.add(new Template("DELETE", "/users/watcher", map(), Map.of(), List.of()));
    t.add(
        new Template(
            "DELETE",
            "/api/clusters/" + cluster + "/clients/" + clientSerial,
            map(),
            Map.of(),
            List.of()));
    return t;
  }

  private static Map<String, Kind> kinds(Map<String, Kind> base, Object... more) {
    Map<String, Kind> m = new LinkedHashMap<>(base);
    for (int i = 0; i < more.length; i += 2) {
      m.put((String) more[i], (Kind) more[i + 1]);
    }
    return m;
  }

  private static final Map<Kind, List<Object>> WRONG =
      Map.of(
          Kind.STR,
          List.of(1, -1.5, true, false, Map.of(), List.of(), List.of("a"), Map.of("a", "b"), 0),
          Kind.INT,
          List.of("1", 1.5, 1.0, true, Map.of(), List.of(), List.of(1), "", 1e300),
          Kind.BOOL,
          List.of("true", 1, 0, Map.of(), List.of(), "yes", List.of(true)),
          Kind.CREDS,
          List.of(
              "SO",
              1,
              true,
              Map.of("type", "SO", "password", "x"),
              List.of(1),
              List.of("x"),
              List.of(List.of()),
              List.of(Map.of("type", 1, "password", "x")),
              List.of(Map.of("type", "CO", "password", 12345678)),
              List.of(Map.of("type", "CO", "password", "x", "bogus", 1)),
              List.of(map("type", "CO", "password", "x", "partitionLabel", false))));

  private void mutate(Template t, List<Bad> out) {
    String base = new String(json(t.body()), StandardCharsets.UTF_8);
    String what = "template " + t.method() + " " + t.path();
    // broken syntax: keep only variants no JSON parser accepts
    int kept = 0;
    for (int i = 0; i < 200 && kept < 10; i++) {
      byte[] broken = breakSyntax(base);
      if (broken.length > 0 && !parses(broken)) {
        out.add(new Bad(what + " broken JSON", t.method(), t.path(), broken, false, admin()));
        kept++;
      }
    }
    if (!t.required().isEmpty()) {
      out.add(new Bad(what + " empty body", t.method(), t.path(), new byte[0], false, admin()));
    }
    // JSON that is not an object, or objects made wrong
    for (String s :
        List.of(
            "[]",
            "\"x\"",
            "1",
            "true",
            "null",
            "[" + base + "]",
            base + base,
            "{\"a\":1,\"a\":2}")) {
      out.add(
          new Bad(what + " not an object: " + s, t.method(), t.path(), bytes(s), false, admin()));
    }
    out.add(
        new Bad(
            what + " deep nesting",
            t.method(),
            t.path(),
            bytes("{\"x\":" + "[".repeat(60) + "]".repeat(60) + "}"),
            false,
            admin()));
    // unknown fields
    for (String extra : List.of("extra", "Authentication", "__proto__", "")) {
      Map<String, Object> m = new LinkedHashMap<>(t.body());
      m.put(extra, 1);
      out.add(
          new Bad(what + " unknown field " + extra, t.method(), t.path(), json(m), false, admin()));
    }
    for (String field : t.kinds().keySet()) {
      Map<String, Object> upper = new LinkedHashMap<>(t.body());
      Object v = upper.remove(field);
      upper.put(Character.toUpperCase(field.charAt(0)) + field.substring(1) + "X", v);
      out.add(
          new Bad(what + " renamed " + field, t.method(), t.path(), json(upper), false, admin()));
    }
    // wrong types
    for (Map.Entry<String, Kind> f : t.kinds().entrySet()) {
      for (Object wrong : WRONG.get(f.getValue())) {
        Map<String, Object> m = new LinkedHashMap<>(t.body());
        m.put(f.getKey(), wrong);
        out.add(
            new Bad(
                what + " " + f.getKey() + " as " + wrong,
                t.method(),
                t.path(),
                json(m),
                false,
                admin()));
      }
    }
    // missing or null required fields
    for (String field : t.required()) {
      Map<String, Object> missing = new LinkedHashMap<>(t.body());
      missing.remove(field);
      out.add(
          new Bad(what + " without " + field, t.method(), t.path(), json(missing), false, admin()));
      Map<String, Object> nulled = new LinkedHashMap<>(t.body());
      nulled.put(field, null);
      out.add(new Bad(what + " null " + field, t.method(), t.path(), json(nulled), false, admin()));
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private byte[] breakSyntax(String base) {
    byte[] b = bytes(base);
    switch (random.nextInt(7)) {
      case 0:
        return Arrays.copyOf(b, random.nextInt(Math.max(1, b.length)));
      case 1:
        {
          int at = random.nextInt(b.length);
          ByteArrayOutputStream o = new ByteArrayOutputStream();
          o.write(b, 0, at);
          o.write(b, at + 1, b.length - at - 1);
          return o.toByteArray();
        }
      case 2:
        {
          String[] junk = {
            "}", "]", ",", ":", "{", "\"", "\\", "#", "/*", "NaN", "'", "\u0000", "=", ";"
          };
          int at = random.nextInt(b.length + 1);
          return bytes(
              base.substring(0, at) + junk[random.nextInt(junk.length)] + base.substring(at));
        }
      case 3:
        {
          int at = random.nextInt(b.length + 1);
          ByteArrayOutputStream o = new ByteArrayOutputStream();
          o.write(b, 0, at);
          o.write(new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF}, 0, 3);
          o.write(b, at, b.length - at);
          return o.toByteArray();
        }
      case 4:
        {
          String[] tails = {" x", ",", "]", "}", "{}", "\"", " //", "\n1"};
          return bytes(base + tails[random.nextInt(tails.length)]);
        }
      case 5:
        return bytes(base.replace("\"", "'"));
      default:
        {
          String[] odd = {
            "{,}",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{a:1}",
            "{\"a\":NaN}",
            "{\"a\":01}",
            "{\"a\":.5}",
            "{\"a\":+1}",
            "{\"a\":\"\\x\"}",
            "{\"a\":tru}",
            "{\"a\":\"unterminated}"
          };
          return bytes(odd[random.nextInt(odd.length)]);
        }
    }
  }

  private static boolean parses(byte[] body) {
    try {
      PLAIN.readTree(body);
      return body.length > 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** Values that parse and fit the types but break a rule. */
  private void semantic(List<Bad> out) throws Exception {
    String members = "/api/clusters/" + cluster + "/members/" + memberId;
    String par = hsm + "/partitions/" + PARTITION;
    String clients = "/api/clusters/" + cluster + "/clients";
    List<Object[]> c = new ArrayList<>();
    // cluster creation
    c.add(
        new Object[] {
          "POST", "/api/clusters", map("authentication", cred("SO", SO), "clusterLabel", "c2")
        });
    c.add(
        new Object[] {
          "POST",
          "/api/clusters",
          map("authentication", cred("SO", "wrong-so-pw"), "clusterLabel", "c2")
        });
    for (Object label : List.of("", " x", "a/b", "x".repeat(65), "ümlaut", "-lead", "a b")) {
      c.add(
          new Object[] {
            "POST", "/api/clusters", map("authentication", cred("SO", SO), "clusterLabel", label)
          });
    }
    for (Object auth :
        List.of(
            List.of(),
            cred("CO", CO),
            cred("PO", PO),
            cred("SO", SO, PARTITION),
            cred("SO", ""),
            cred("SO", "x".repeat(2000)),
            List.of(Map.of("type", "XX", "password", SO)),
            List.of(Map.of("type", "so", "password", SO)),
            List.of(Map.of("type", "SO")),
            List.of(Map.of("password", SO)),
            List.of(Map.of("type", "SO", "password", SO), Map.of("type", "SO", "password", SO)),
            Collections.nCopies(5, Map.of("type", "SO", "password", SO)),
            Arrays.asList((Object) null))) {
      c.add(
          new Object[] {
            "POST", "/api/clusters", map("authentication", auth, "clusterLabel", "c2")
          });
    }
    // keyrings
    Map<String, Object> kr =
        map(
            "authentication",
            cred("CO", CO, PARTITION),
            "keyRingLabel",
            "ok",
            "keyRingPassword",
            "keyring-pw-3");
    for (Object[] change :
        new Object[][] {
          {"total", 0},
          {"total", -1},
          {"total", 101},
          {"total", 1_000_000},
          {"total", Integer.MAX_VALUE},
          {"index", -1},
          {"index", 1_000_001},
          {"index", Integer.MIN_VALUE},
          {"keyRingLabel", ""},
          {"keyRingLabel", "bad label"},
          {"keyRingLabel", "x".repeat(65)},
          {"keyRingLabel", "_x"},
          {"keyRingLabel", "fz100"},
          {"keyRingLabel", "ü"},
          {"keyRingPassword", "short"},
          {"keyRingPassword", ""},
          {"keyRingPassword", "x".repeat(256)},
          {"keyRingPassword", "x".repeat(1025)},
          {"keyRingPassword", "pass\u0001word-1"},
          {"authentication", cred("CO", "wrong-co-pw")},
          {"authentication", cred("CO", CO, "otherpar")},
          {"authentication", cred("PO", PO)},
          {"authentication", cred("CO", "")},
        }) {
      Map<String, Object> m = new LinkedHashMap<>(kr);
      m.put((String) change[0], change[1]);
      c.add(new Object[] {"POST", "/api/keyrings", m});
    }
    Map<String, Object> collide = new LinkedHashMap<>(kr);
    collide.putAll(map("keyRingLabel", "fz", "total", 3, "index", 101));
    c.add(new Object[] {"POST", "/api/keyrings", collide});
    Map<String, Object> tooLong = new LinkedHashMap<>(kr);
    tooLong.putAll(map("keyRingLabel", "y".repeat(63), "total", 2, "index", 100));
    c.add(new Object[] {"POST", "/api/keyrings", tooLong});
    c.add(
        new Object[] {
          "PATCH", "/api/keyrings/fz100", map("authentication", cred("CO", CO), "action", "lock")
        });
    c.add(
        new Object[] {
          "PATCH", "/api/keyrings/fz100", map("authentication", cred("CO", "wrong-co-pw"))
        });
    c.add(new Object[] {"PATCH", "/api/keyrings/nope", map("authentication", cred("CO", CO))});
    c.add(new Object[] {"DELETE", "/api/keyrings/nope", map("authentication", cred("CO", CO))});
    c.add(
        new Object[] {
          "DELETE", "/api/keyrings/fz101", map("authentication", cred("CO", "wrong-co-pw"))
        });
    c.add(new Object[] {"DELETE", "/api/keyrings/fz101", map("authentication", cred("SO", SO))});
    c.add(
        new Object[] {
          "DELETE", "/api/keyrings/" + UUID.randomUUID(), map("authentication", cred("CO", CO))
        });
    // members
    for (Map<String, Object> body :
        List.of(
            map("action", "bogus"),
            map("action", "leave", "authentication", cred("CO", CO, PARTITION)),
            map("action", "authorize", "authentication", cred("CO", "wrong-co-pw", PARTITION)),
            map("action", "authorize", "authentication", cred("CO", CO)),
            map("action", "authorize", "authentication", cred("CO", CO, PARTITION), "group", "g"),
            map("action", "config"),
            map("action", "config", "group", ""),
            map("action", "config", "group", "g".repeat(65)),
            map("action", "config", "group", "a b"),
            map("action", "config", "primary", false),
            map("action", "config", "group", "g", "authentication", cred("CO", CO)),
            map("action", ""))) {
      c.add(new Object[] {"PUT", members, body});
    }
    c.add(
        new Object[] {
          "PATCH", members, map("action", "authorize", "authentication", cred("CO", CO, PARTITION))
        });
    c.add(
        new Object[] {
          "PATCH",
          members,
          map("action", "leave", "authentication", cred("CO", "wrong-co-pw", PARTITION))
        });
    c.add(
        new Object[] {"PATCH", members, map("action", "leave", "authentication", cred("CO", CO))});
    c.add(new Object[] {"DELETE", members, map("authentication", cred("CO", "wrong-co-pw"))});
    c.add(new Object[] {"DELETE", members, map("authentication", cred("CO", CO))});
    c.add(
        new Object[] {
          "PUT",
          "/api/clusters/" + cluster,
          map(
              "authentication",
              cred("CO", CO, PARTITION),
              "remoteClusterIpAddress",
              "10.1.2.3",
              "remoteAdminPassword",
              "x-admin-pw",
              "action",
              "join")
        });
    c.add(
        new Object[] {
          "PUT",
          "/api/clusters/" + cluster,
          map(
              "authentication",
              cred("CO", CO, PARTITION),
              "remoteClusterIpAddress",
              "10.1.2.3",
              "remoteAdminPassword",
              "x-admin-pw",
              "action",
              "leave")
        });
    // cluster configuration
    for (Map<String, Object> body :
        List.of(
            map("service", "nope", "port", 50055),
            map("service", "", "port", 50055),
            map("service", "core", "IpAddress", "127.0.0.1", "port", 50055),
            map("service", "core", "IpAddress", "8.8.8.8"),
            map("service", "core", "IpAddress", "localhost"),
            map("service", "core", "IpAddress", "no-such-host.invalid"),
            map("service", "core", "IpAddress", "::g"),
            map("service", "core", "IpAddress", "1.2.3"),
            map("service", "core", "IpAddress", "256.1.1.1"),
            map("service", "core", "IpAddress", "01.2.3.4"),
            map("service", "core", "IpAddress", ""),
            map("service", "core", "interface", "lo"),
            map("service", "admin", "IpAddress", "127.0.0.1"),
            map("service", "admin"),
            map("service", "crypto", "interface", "nosuchnic0"),
            map("service", "crypto", "interface", "bad name"),
            map("service", "crypto", "interface", ""),
            map("service", "crypto", "interface", "x".repeat(16)))) {
      c.add(new Object[] {"PUT", "/api/cluster/config", body});
    }
    c.add(new Object[] {"PATCH", "/api/lunasa/services/cluster", map()});
    c.add(new Object[] {"PATCH", "/api/lunasa/services/ntls", map("onBoot", true)});
    c.add(new Object[] {"POST", "/api/lunasa/services/cluster/actions/explode", null});
    c.add(new Object[] {"POST", "/api/lunasa/services/ntls/actions/stop", null});
    c.add(
        new Object[] {
          "POST",
          "/api/lunasa/services/cluster/actions/factoryreset",
          map("authentication", cred("SO", SO))
        });
    c.add(
        new Object[] {
          "POST",
          "/api/lunasa/services/cluster/actions/factoryreset",
          map("authentication", cred("SO", "wrong-so-pw"))
        });
    c.add(new Object[] {"POST", "/api/lunasa/services/cluster/actions/factoryreset", null});
    // HSM provisioning (each refused: already done, wrong credential, or bad value)
    c.add(new Object[] {"PUT", hsm, map("label", "hsm2", "password", "so-password-2")});
    c.add(new Object[] {"PUT", hsm, map("label", "bad label", "password", "so-password-2")});
    c.add(
        new Object[] {
          "PUT", hsm + "/policies/21", map("authentication", cred("SO", "wrong-so-pw"), "value", 0)
        });
    c.add(
        new Object[] {
          "PUT", hsm + "/policies/21", map("authentication", cred("SO", SO), "value", 2)
        });
    c.add(
        new Object[] {
          "PUT", hsm + "/policies/21", map("authentication", cred("SO", SO), "value", -1)
        });
    c.add(
        new Object[] {
          "PUT", hsm + "/policies/abc", map("authentication", cred("SO", SO), "value", 0)
        });
    c.add(
        new Object[] {
          "PUT", hsm + "/policies/100", map("authentication", cred("SO", SO), "value", 0)
        });
    c.add(
        new Object[] {
          "PUT", hsm + "/policies/-1", map("authentication", cred("SO", SO), "value", 0)
        });
    c.add(
        new Object[] {
          "POST",
          hsm + "/partitions",
          map("authentication", cred("SO", SO), "label", "par2", "version", "V1")
        });
    c.add(
        new Object[] {
          "POST",
          hsm + "/partitions",
          map("authentication", cred("SO", SO), "label", "par2", "version", "V0")
        });
    c.add(
        new Object[] {
          "POST",
          hsm + "/partitions",
          map("authentication", cred("SO", "wrong-so-pw"), "label", "par2", "version", "V1")
        });
    c.add(
        new Object[] {
          "PUT",
          par,
          map("authentication", cred("SO", SO), "password", "po-password-2", "domain", "d2")
        });
    c.add(
        new Object[] {
          "PUT",
          par,
          map(
              "authentication",
              cred("SO", "wrong-so-pw"),
              "password",
              "po-password-2",
              "domain",
              "d2")
        });
    c.add(
        new Object[] {
          "PUT", par + "/policies/40", map("authentication", cred("PO", PO), "value", 5)
        });
    c.add(
        new Object[] {
          "PUT", par + "/policies/40", map("authentication", cred("PO", "wrong-po-pw"), "value", 1)
        });
    c.add(
        new Object[] {
          "PUT", par + "/policies/40", map("authentication", cred("SO", SO), "value", 1)
        });
    c.add(
        new Object[] {
          "PUT", par + "/roles/co", map("authentication", cred("PO", PO), "password", "short")
        });
    c.add(
        new Object[] {
          "PUT",
          par + "/roles/co",
          map("authentication", cred("PO", "wrong-po-pw"), "password", "co-password-9")
        });
    c.add(
        new Object[] {
          "PUT",
          par + "/roles/so",
          map("authentication", cred("PO", PO), "password", "co-password-9")
        });
    c.add(
        new Object[] {
          "PATCH", par + "/roles/co", map("authentication", cred("CO", CO), "newPassword", CO)
        });
    c.add(
        new Object[] {
          "PATCH", par + "/roles/co", map("authentication", cred("CO", CO), "newPassword", "short")
        });
    c.add(
        new Object[] {
          "PATCH",
          par + "/roles/co",
          map("authentication", cred("CO", "wrong-co-pw"), "newPassword", "co-password-7")
        });
    c.add(
        new Object[] {
          "PUT",
          hsm + "/partitions/otherpar",
          map("authentication", cred("SO", SO), "password", "po-password-2", "domain", "d2")
        });
    // users
    for (Map<String, Object> body :
        List.of(
            map("userId", "Bad Name", "role", "monitor", "password", "user-pw-123"),
            map("userId", "", "role", "monitor", "password", "user-pw-123"),
            map("userId", "x".repeat(33), "role", "monitor", "password", "user-pw-123"),
            map("userId", "carol", "role", "root", "password", "user-pw-123"),
            map("userId", "carol", "role", "MONITOR", "password", "user-pw-123"),
            map("userId", "carol", "role", "monitor", "password", "short"),
            map("userId", "admin", "role", "admin", "password", "user-pw-123"),
            map("userId", "monitor", "role", "monitor", "password", "user-pw-123"))) {
      c.add(new Object[] {"POST", "/users", body});
    }
    c.add(new Object[] {"PATCH", "/users/nobody", map("password", "user-pw-123")});
    c.add(new Object[] {"PATCH", "/users/monitor", map("password", "short")});
    c.add(new Object[] {"PATCH", "/users/Bad%20Name", map("password", "user-pw-123")});
    c.add(new Object[] {"DELETE", "/users/admin", null});
    c.add(new Object[] {"DELETE", "/users/monitor", null});
    c.add(new Object[] {"DELETE", "/users/operator", null});
    c.add(new Object[] {"DELETE", "/users/nobody", null});
    c.add(new Object[] {"GET", "/users/nobody", null});
    // client registration
    KeyPair kp = ec();
    String otherCn = ClientRegistrationApiTest.csrPem(kp, "someone-else");
    String pemBody = validCsr.substring(validCsr.indexOf('\n') + 1, validCsr.indexOf("-----END"));
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024);
    String weak = weakCsr(rsa.generateKeyPair());
    for (Map<String, Object> body :
        List.of(
            map("commonName", "", "csr", validCsr),
            map("commonName", "x".repeat(65), "csr", validCsr),
            map("commonName", " cli", "csr", validCsr),
            map("commonName", "c\u0000li", "csr", validCsr),
            map("commonName", "cli", "csr", ""),
            map("commonName", "cli", "csr", "garbage"),
            map("commonName", "cli", "csr", validCsr.substring(0, validCsr.length() / 2)),
            map("commonName", "cli", "csr", validCsr + validCsr),
            map("commonName", "cli", "csr", validCsr.replace(pemBody, "@@@@" + pemBody)),
            map("commonName", "cli", "csr", validCsr.replace(pemBody, pemBody.substring(8))),
            map("commonName", "cli", "csr", validCsr.replace("REQUEST", "REQUESTS")),
            map("commonName", "cli", "csr", otherCn),
            map("commonName", "cli", "csr", weak.replace("weak", "cli")),
            map("commonName", "weak", "csr", weak),
            map("commonName", "cli", "csr", derBombPem()),
            map(
                "commonName",
                "cli",
                "csr",
                "-----BEGIN CERTIFICATE REQUEST-----\n"
                    + "A".repeat(70_000)
                    + "\n-----END CERTIFICATE REQUEST-----"),
            map("commonName", "cli", "csr", validCsr, "label", "bad\u0001label"),
            map("commonName", "cli", "csr", validCsr, "label", ""),
            map("commonName", "cli", "csr", validCsr, "label", "l".repeat(65)),
            map("commonName", "cli", "csr", validCsr, "monitorUser", "nobody"),
            map("commonName", "cli", "csr", validCsr, "monitorUser", "operator"),
            map("commonName", "cli", "csr", validCsr, "monitorUser", "admin"))) {
      c.add(new Object[] {"POST", clients, body});
    }
    for (String serial : List.of("xyz", "0", "00", "f".repeat(41), "abcdef", "-1", "0x12")) {
      c.add(new Object[] {"DELETE", clients + "/" + serial, null});
    }
    // sessions
    c.add(new Object[] {"POST", "/auth/session", map("user", "admin")});
    for (Object[] x : c) {
      Object body = x[2];
      out.add(
          new Bad(
              "rule " + abbreviate(String.valueOf(body)),
              (String) x[0],
              (String) x[1],
              body == null ? null : json(body),
              false,
              admin()));
    }
  }

  private static String weakCsr(KeyPair kp) throws Exception {
    org.bouncycastle.pkcs.PKCS10CertificationRequest csr =
        new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
                new org.bouncycastle.asn1.x500.X500Name("CN=weak"), kp.getPublic())
            .build(
                new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA")
                    .build(kp.getPrivate()));
    return "-----BEGIN CERTIFICATE REQUEST-----\n"
        + Base64.getMimeEncoder().encodeToString(csr.getEncoded())
        + "\n-----END CERTIFICATE REQUEST-----\n";
  }

  /** A "CSR" of thousands of nested SEQUENCEs. */
  private static String derBombPem() {
    int levels = 9000;
    int[] len = new int[levels + 1];
    for (int i = 1; i <= levels; i++) {
      len[i] = 1 + lengthOfLength(len[i - 1]) + len[i - 1];
    }
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (int i = levels; i >= 1; i--) {
      o.write(0x30);
      writeLength(o, len[i - 1]);
    }
    return "-----BEGIN CERTIFICATE REQUEST-----\n"
        + Base64.getMimeEncoder().encodeToString(o.toByteArray())
        + "\n-----END CERTIFICATE REQUEST-----\n";
  }

  private static int lengthOfLength(int n) {
    return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 4;
  }

  private static void writeLength(ByteArrayOutputStream o, int n) {
    if (n < 0x80) {
      o.write(n);
    } else if (n < 0x100) {
      o.write(0x81);
      o.write(n);
    } else if (n < 0x10000) {
      o.write(0x82);
      o.write(n >> 8);
      o.write(n);
    } else {
      o.write(0x83);
      o.write(n >> 16);
      o.write(n >> 8);
      o.write(n);
    }
  }

  /** Huge, negative and out-of-range numbers, as raw JSON. */
  private void numbers(List<Bad> out) {
    String co = "[{\"type\":\"CO\",\"password\":\"" + CO + "\"}]";
    List<String> huge =
        List.of(
            "2147483648",
            "-2147483649",
            "99999999999999999999",
            "1e400",
            "-1e400",
            "1e10",
            "9".repeat(1200),
            "0.0000001",
            "1E2",
            "-0.0",
            "0x10",
            "Infinity");
    for (String h : huge) {
      out.add(
          new Bad(
              "number total " + abbreviate(h),
              "POST",
              "/api/keyrings",
              bytes(
                  "{\"authentication\":"
                      + co
                      + ",\"keyRingLabel\":\"n\",\"keyRingPassword\":\"keyring-pw-4\",\"total\":"
                      + h
                      + "}"),
              false,
              admin()));
      out.add(
          new Bad(
              "number index " + abbreviate(h),
              "POST",
              "/api/keyrings",
              bytes(
                  "{\"authentication\":"
                      + co
                      + ",\"keyRingLabel\":\"n\",\"keyRingPassword\":\"keyring-pw-4\",\"index\":"
                      + h
                      + "}"),
              false,
              admin()));
      out.add(
          new Bad(
              "number port " + abbreviate(h),
              "PUT",
              "/api/cluster/config",
              bytes("{\"service\":\"crypto\",\"port\":" + h + "}"),
              false,
              admin()));
      out.add(
          new Bad(
              "number policy value " + abbreviate(h),
              "PUT",
              hsm + "/partitions/" + PARTITION + "/policies/40",
              bytes(
                  "{\"authentication\":[{\"type\":\"PO\",\"password\":\""
                      + PO
                      + "\"}],\"value\":"
                      + h
                      + "}"),
              false,
              admin()));
    }
    for (int port :
        new int[] {0, 1, 50054, 50060, 50074, 50080, 65535, 65536, -50055, 50070, 8443}) {
      out.add(
          new Bad(
              "crypto port " + port,
              "PUT",
              "/api/cluster/config",
              json(map("service", "crypto", "port", port)),
              false,
              admin()));
      out.add(
          new Bad(
              "admin port " + port,
              "PUT",
              "/api/cluster/config",
              json(map("service", "admin", "port", port == 50070 ? 50052 : port)),
              false,
              admin()));
    }
  }

  /** Bad or unknown ids in paths. */
  private void badIds(List<Bad> out) {
    List<String> clusterIds =
        List.of(
            "not-a-uuid",
            "1234",
            cluster + "0",
            cluster.substring(1),
            "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
            UUID.randomUUID().toString(),
            "00000000-0000-0000-0000-000000000000",
            "%20",
            "...",
            "1-1-1-1-1",
            cluster.replace('-', '_'),
            "%7B" + cluster + "%7D");
    for (String id : clusterIds) {
      String base = "/api/clusters/" + id;
      out.add(new Bad("cluster id " + id, "GET", base, null, false, admin()));
      out.add(new Bad("cluster id " + id, "GET", base + "/members", null, false, admin()));
      out.add(
          new Bad("cluster id " + id, "GET", base + "/members/" + memberId, null, false, admin()));
      out.add(new Bad("cluster id " + id, "GET", base + "/clients", null, false, admin()));
      out.add(
          new Bad(
              "cluster id " + id,
              "PUT",
              base + "/members/" + memberId,
              json(map("action", "config", "group", "g2")),
              false,
              admin()));
      out.add(
          new Bad(
              "cluster id " + id,
              "POST",
              base + "/clients",
              json(map("commonName", "cli", "csr", validCsr)),
              false,
              admin()));
      out.add(
          new Bad(
              "cluster id " + id,
              "DELETE",
              base + "/clients/" + clientSerial,
              null,
              false,
              admin()));
    }
    for (String id :
        List.of(UUID.randomUUID().toString(), "nobody", "a%20b", "x".repeat(70), "%00", "LNH-0")) {
      String path = "/api/clusters/" + cluster + "/members/" + id;
      out.add(new Bad("member id " + id, "GET", path, null, false, admin()));
      out.add(
          new Bad(
              "member id " + id,
              "PUT",
              path,
              json(map("action", "config", "group", "g3")),
              false,
              admin()));
    }
    for (String id :
        List.of(
            UUID.randomUUID().toString(),
            "nope",
            "bad%20label",
            "-x",
            "x".repeat(65),
            "%00",
            "fz100%00",
            "%C3%28",
            "G" + keyringId.substring(1),
            "fz1000")) {
      String path = "/api/keyrings/" + id;
      out.add(new Bad("keyring id " + id, "GET", path, null, false, admin()));
      out.add(
          new Bad(
              "keyring id " + id,
              "PATCH",
              path,
              json(map("authentication", cred("CO", CO))),
              false,
              admin()));
      out.add(
          new Bad(
              "keyring id " + id,
              "DELETE",
              path,
              json(map("authentication", cred("CO", CO))),
              false,
              admin()));
    }
    for (String id : List.of("999", "a%20b", "0", "x".repeat(70))) {
      out.add(new Bad("hsm id " + id, "GET", "/api/lunasa/hsms/" + id, null, false, admin()));
      out.add(
          new Bad(
              "hsm id " + id,
              "PUT",
              "/api/lunasa/hsms/" + id,
              json(map("label", "h", "password", "so-password-3")),
              false,
              admin()));
      out.add(
          new Bad(
              "hsm id " + id,
              "GET",
              "/api/lunasa/hsms/" + id + "/partitions",
              null,
              false,
              admin()));
    }
    for (String id : List.of("nope", "a%20b", "CLUSTERPAR")) {
      out.add(
          new Bad("partition id " + id, "GET", hsm + "/partitions/" + id, null, false, admin()));
      out.add(
          new Bad(
              "partition id " + id,
              "PUT",
              hsm + "/partitions/" + id + "/policies/40",
              json(map("authentication", cred("PO", PO), "value", 0)),
              false,
              admin()));
    }
  }

  private void oversized(List<Bad> out) {
    String prefix = "{\"clusterLabel\":\"";
    for (int size : new int[] {(1 << 20) + 1, (3 << 19), 2 << 20}) {
      byte[] b = new byte[size];
      Arrays.fill(b, (byte) 'a');
      System.arraycopy(bytes(prefix), 0, b, 0, prefix.length());
      for (boolean chunked : new boolean[] {false, true}) {
        for (String[] target :
            new String[][] {
              {"POST", "/api/clusters"},
              {"POST", "/api/keyrings"},
              {"PUT", "/api/cluster/config"},
              {"POST", "/api/clusters/" + cluster + "/clients"}
            }) {
          out.add(
              new Bad(
                  "oversized " + size + (chunked ? " chunked" : ""),
                  target[0],
                  target[1],
                  b,
                  chunked,
                  admin()));
        }
      }
    }
  }

  private void wrongMethods(List<Bad> out) {
    String members = "/api/clusters/" + cluster + "/members";
    String par = hsm + "/partitions/" + PARTITION;
    Map<String, List<String>> allowed = new LinkedHashMap<>();
    allowed.put("/api/clusters", List.of("GET", "POST"));
    allowed.put("/api/clusters/" + cluster, List.of("GET", "PUT"));
    allowed.put(members, List.of("GET"));
    allowed.put(members + "/" + memberId, List.of("GET", "PUT", "PATCH", "DELETE"));
    allowed.put("/api/clusters/" + cluster + "/clients", List.of("GET", "POST"));
    allowed.put("/api/clusters/" + cluster + "/clients/" + clientSerial, List.of("DELETE"));
    allowed.put("/api/keyrings", List.of("GET", "POST"));
    allowed.put("/api/keyrings/fz100", List.of("GET", "PATCH", "DELETE"));
    allowed.put("/api/cluster/config", List.of("GET", "PUT"));
    allowed.put("/api/lunasa/services", List.of("GET"));
    allowed.put("/api/lunasa/services/cluster", List.of("GET", "PATCH"));
    allowed.put("/api/lunasa/services/cluster/actions/start", List.of("POST"));
    allowed.put("/api/lunasa/hsms", List.of("GET"));
    allowed.put(hsm, List.of("GET", "PUT"));
    allowed.put(hsm + "/policies/21", List.of("PUT"));
    allowed.put(hsm + "/partitions", List.of("GET", "POST"));
    allowed.put(par, List.of("GET", "PUT"));
    allowed.put(par + "/policies/40", List.of("PUT"));
    allowed.put(par + "/roles/co", List.of("PUT", "PATCH"));
    allowed.put("/users", List.of("GET", "POST"));
    allowed.put("/users/watcher", List.of("GET", "PATCH", "DELETE"));
    allowed.put("/auth/session", List.of("POST", "DELETE"));
    for (Map.Entry<String, List<String>> e : allowed.entrySet()) {
      for (String m : METHODS) {
        if (!e.getValue().contains(m)) {
          out.add(new Bad("method", m, e.getKey(), null, false, admin()));
          if (!m.equals("GET") && !m.equals("OPTIONS")) {
            out.add(new Bad("method with body", m, e.getKey(), bytes("{}"), false, admin()));
          }
        }
      }
      out.add(new Bad("method TRACE", "TRACE", e.getKey(), null, false, admin()));
      out.add(new Bad("method BREW", "BREW", e.getKey(), null, false, admin()));
    }
    // GETs and DELETEs that take no body, given one
    for (String p :
        List.of(
            "/api/clusters",
            "/api/keyrings",
            "/api/keyrings/fz100",
            "/users",
            "/api/cluster/config",
            "/api/lunasa/hsms")) {
      out.add(new Bad("GET with body", "GET", p, bytes("{\"x\":1}"), false, admin()));
    }
  }

  private void badPaths(List<Bad> out) {
    List<String> paths =
        List.of(
            "/",
            "/api",
            "/api/",
            "/api/keyrings/",
            "/api//keyrings",
            "/api/KEYRINGS",
            "/API/keyrings",
            "/api/keyring",
            "/api/clusters/" + cluster + "/members/" + memberId + "/extra",
            "/api/lunasa",
            "/api/lunasa/hsms/",
            "/users/",
            "/auth",
            "/auth/session/x",
            "/index.html",
            "/api/keyrings/fz100/objects",
            "/api/clusters/" + cluster + "/backups",
            "/api/cluster/restore/x",
            "/api/keyrings/..%2F..%2Fusers",
            "/api/keyrings/%2e%2e/%2e%2e/users/x",
            "/api/../../etc/passwd",
            "/api/keyrings/a%2Fb",
            "/api/%00",
            "/api/keyrings;x=1",
            "/api/keyrings?total=5",
            "/api/lunasa/hsms?x",
            "/" + "a".repeat(9000),
            "/api/" + "x/".repeat(300),
            "/.well-known/security.txt",
            "/api/lunasa/ntp/actions/synchronize",
            "/api/lunasa/packageFiles",
            "/api/clusters/" + cluster + "/members/" + memberId + "/",
            "/v1/health",
            "/v1/slots");
    for (String p : paths) {
      out.add(new Bad("path", "GET", p, null, false, admin()));
      out.add(new Bad("path", "POST", p, bytes("{}"), false, admin()));
    }
    out.add(new Bad("path", "DELETE", "/api/keyrings", bytes("{}"), false, admin()));
  }

  private void badAuth(List<Bad> out) {
    String bogusSession = AdminSessions.COOKIE + "=" + "ab".repeat(16);
    List<Map<String, String>> headers =
        List.of(
            Map.of(),
            Map.of("Authorization", AdminRestClient.basic("admin", "wrong-admin-pw")),
            Map.of("Authorization", AdminRestClient.basic("monitor", "wrong-monitor")),
            Map.of("Authorization", AdminRestClient.basic("operator", "wrong-operator")),
            Map.of("Authorization", AdminRestClient.basic("watcher", "wrong-watcher")),
            Map.of("Authorization", AdminRestClient.basic("nobody", "whatever-pw")),
            Map.of("Authorization", AdminRestClient.basic("", "x")),
            Map.of("Authorization", AdminRestClient.basic("admin", "")),
            Map.of("Authorization", AdminRestClient.basic("ADMIN", ADMIN_PW)),
            Map.of("Authorization", AdminRestClient.basic("admin", ADMIN_PW + " ")),
            Map.of("Authorization", "Basic !!!not-base64!!!"),
            Map.of(
                "Authorization", "Basic " + Base64.getEncoder().encodeToString(bytes("no-colon"))),
            Map.of("Authorization", "Basic"),
            Map.of("Authorization", "Basic "),
            Map.of("Authorization", "Bearer abc.def.ghi"),
            Map.of("Authorization", "Digest username=admin"),
            Map.of("Authorization", "Basic " + "A".repeat(4000)),
            Map.of("Cookie", bogusSession),
            Map.of("Cookie", AdminSessions.COOKIE + "=short"),
            Map.of("Cookie", AdminSessions.COOKIE + "="),
            Map.of("Cookie", "OTHER=1"),
            Map.of("Cookie", AdminSessions.COOKIE + "=" + "zz".repeat(16)));
    List<String[]> targets =
        List.of(
            new String[] {"GET", "/api/keyrings"},
            new String[] {"GET", "/api/clusters"},
            new String[] {"GET", "/users"},
            new String[] {"POST", "/api/keyrings"},
            new String[] {"DELETE", "/api/keyrings/fz100"},
            new String[] {"POST", "/api/lunasa/services/cluster/actions/stop"},
            new String[] {"PUT", "/api/cluster/config"},
            new String[] {"GET", "/api/nothing-here"});
    Map<String, Object> body =
        map(
            "authentication",
            cred("CO", CO, PARTITION),
            "keyRingLabel",
            "auth",
            "keyRingPassword",
            "keyring-pw-5");
    for (Map<String, String> h : headers) {
      for (String[] t : targets) {
        boolean withBody = t[0].equals("POST") || t[0].equals("DELETE") || t[0].equals("PUT");
        byte[] b =
            !withBody
                ? null
                : t[1].equals("/api/cluster/config")
                    ? json(map("service", "crypto", "port", 50057))
                    : t[1].startsWith("/api/lunasa") ? null : json(body);
        out.add(new Bad("auth " + h, t[0], t[1], b, false, h));
      }
    }
    // right credentials, wrong role
    Map<String, String> monitor =
        Map.of("Authorization", AdminRestClient.basic("monitor", "monitor-pw-1"));
    Map<String, String> watcher =
        Map.of("Authorization", AdminRestClient.basic("watcher", "watcher-pw-1"));
    Map<String, String> operator =
        Map.of("Authorization", AdminRestClient.basic("operator", "operator-pw-1"));
    String members = "/api/clusters/" + cluster + "/members/" + memberId;
    List<Object[]> denied = new ArrayList<>();
    for (Map<String, String> who : List.of(monitor, watcher)) {
      denied.add(new Object[] {who, "POST", "/api/keyrings", body});
      denied.add(
          new Object[] {
            who, "PATCH", "/api/keyrings/fz100", map("authentication", cred("CO", CO))
          });
      denied.add(
          new Object[] {
            who, "DELETE", "/api/keyrings/fz100", map("authentication", cred("CO", CO))
          });
      denied.add(new Object[] {who, "POST", "/api/lunasa/services/cluster/actions/stop", null});
      denied.add(new Object[] {who, "POST", "/api/lunasa/services/cluster/actions/restart", null});
      denied.add(new Object[] {who, "PATCH", "/api/lunasa/services/cluster", map("onBoot", false)});
      denied.add(new Object[] {who, "GET", "/users", null});
      denied.add(new Object[] {who, "GET", "/users/admin", null});
      denied.add(new Object[] {who, "PATCH", "/users/admin", map("password", "taken-over-1")});
    }
    for (Map<String, String> who : List.of(monitor, watcher, operator)) {
      denied.add(
          new Object[] {
            who,
            "POST",
            "/api/clusters",
            map("authentication", cred("SO", SO), "clusterLabel", "c3")
          });
      denied.add(new Object[] {who, "PUT", members, map("action", "config", "group", "g4")});
      denied.add(
          new Object[] {
            who, "PUT", "/api/cluster/config", map("service", "crypto", "port", 50058)
          });
      denied.add(
          new Object[] {
            who,
            "POST",
            "/api/clusters/" + cluster + "/clients",
            map("commonName", "cli", "csr", validCsr)
          });
      denied.add(
          new Object[] {
            who, "DELETE", "/api/clusters/" + cluster + "/clients/" + clientSerial, null
          });
      denied.add(
          new Object[] {
            who,
            "POST",
            "/users",
            map("userId", "mallory", "role", "admin", "password", "mallory-pw-1")
          });
      denied.add(new Object[] {who, "DELETE", "/users/watcher", null});
      denied.add(
          new Object[] {
            who, "PUT", hsm + "/policies/21", map("authentication", cred("SO", SO), "value", 0)
          });
      denied.add(
          new Object[] {
            who,
            "POST",
            "/api/lunasa/services/cluster/actions/factoryreset",
            map("authentication", cred("SO", SO))
          });
    }
    denied.add(new Object[] {operator, "PATCH", "/users/admin", map("password", "taken-over-1")});
    denied.add(new Object[] {watcher, "PATCH", "/users/watcher", map("password", "watcher-pw-2")});
    denied.add(
        new Object[] {
          watcher,
          "PATCH",
          "/users/watcher",
          map("password", "watcher-pw-2", "oldPassword", "wrong-old-pw")
        });
    for (Object[] d : denied) {
      @SuppressWarnings("unchecked")
      Map<String, String> who = (Map<String, String>) d[0];
      out.add(
          new Bad(
              "role " + who.get("Authorization").substring(0, 12),
              (String) d[1],
              (String) d[2],
              d[3] == null ? null : json(d[3]),
              false,
              who));
    }
  }
}
