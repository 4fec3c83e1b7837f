package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.wire.ErrorResponse;
import dev.keyring.protocol.wire.WireJson;
import dev.keyring.testing.admin.AdminRestClient;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a member tells of its crypto channel: {@code /metrics} counts channel requests as it counts
 * REST ones, under the {@code wire} label, and the cluster view lists the advertised channel port
 * (a proxy in front of the channel) while the admin API reports the port it listens on.
 */
class ChannelObservabilityTest {
  private static final byte[] DATA = "metrics data".getBytes(StandardCharsets.UTF_8);

  @TempDir static Path dir;
  private static CryptoTestMember m;
  private static int advertised;

  @BeforeAll
  static void start() throws Exception {
    try (ServerSocket free = new ServerSocket(0)) {
      advertised = free.getLocalPort(); // only listed, never listened on by the member
    }
    m = CryptoTestMember.start(dir, b -> b.advertisedChannelPort(advertised));
  }

  @AfterAll
  static void stop() {
    if (m != null) {
      m.close();
    }
  }

  private static RawChannel open() throws java.io.IOException {
    return RawChannel.open(m.clientTls, m.member.channelPort());
  }

  private static byte[] sign(int id, String sid) {
    return m.signFrame(id, sid, DATA);
  }

  @Test
  void metrics_countChannelRequests_byOperationStatusAndWire() throws Exception {
    String before = m.member.metricsText();
    long signedBefore = value(before, "sign", 200, "channel");
    try (RawChannel c = open()) {
      String sid = c.loginKrco();
      for (int i = 0; i < 3; i++) {
        c.send(sign(10 + i, sid));
        assertTrue(c.read().ok());
      }
      c.send(sign(20, "0".repeat(32)));
      assertEquals(ResultCode.CKR_SESSION_HANDLE_INVALID, c.read().code);
      c.send(
          ChannelCodec.json(
              21,
              null,
              false,
              "POST",
              "/v1/sessions/" + sid + "/objects/find",
              "{\"template\":{\"CKA_LABEL\":\"load\"}}".getBytes(StandardCharsets.UTF_8)));
      assertTrue(c.read().ok());
      c.send(ChannelCodec.closeSession(22, sid));
      assertTrue(c.read().ok());
    }
    String after = m.member.metricsText();
    int refused = ErrorResponse.httpStatus(ResultCode.CKR_SESSION_HANDLE_INVALID);
    assertNotEquals(200, refused);
    assertEquals(signedBefore + 3, value(after, "sign", 200, "channel"), after);
    assertEquals(
        value(before, "sign", refused, "channel") + 1,
        value(after, "sign", refused, "channel"),
        after);
    assertTrue(value(after, "open_session", 200, "channel") >= 1, after);
    assertTrue(value(after, "login", 200, "channel") >= 1, after);
    assertTrue(value(after, "close_session", 200, "channel") >= 1, after);
    assertTrue(value(after, "objects", 200, "channel") >= 1, after); // the JSON opcode's find
    // the latency histogram counts the same requests, under the same labels
    assertEquals(
        value(after, "sign", 200, "channel") + value(after, "sign", refused, "channel"),
        sample(
            after,
            "keyring_crypto_request_duration_seconds_count{operation=\"sign\",wire=\"channel\"}"),
        after);
    // nothing of it is counted as a REST request
    assertEquals(0, value(after, "sign", 200, "http"), after);
    assertFalse(
        after.contains("status=\"200\"}"), "every request sample carries its wire:\n" + after);
  }

  @Test
  void clusterView_listsTheAdvertisedChannelPort_adminApiTheListeningOne() throws Exception {
    int listening = m.member.channelPort();
    assertNotEquals(advertised, listening);
    assertEquals(advertised, m.member.advertisedChannelPort());
    try (RawChannel c = open()) {
      c.send(ChannelCodec.json(1, null, false, "GET", "/v1/cluster", new byte[0]));
      ChannelAnswer view = c.read();
      assertTrue(view.ok(), String.valueOf(view.message));
      JsonNode members = WireJson.mapper().readTree(view.body.rest()).path("members");
      assertEquals(1, members.size(), members.toString());
      assertEquals(advertised, members.get(0).path("channelPort").asInt(), members.toString());
    }
    JsonNode config =
        new AdminRestClient(m.member.adminPort(), m.member.adminCertificate())
            .call("GET", "/api/cluster/config")
            .as(AdminTestSupport.ADMIN, AdminTestSupport.ADMIN_PW)
            .send()
            .expect(200)
            .json()
            .path("data");
    int reported = -1;
    for (JsonNode s : config) {
      if (s.path("service").asText().equals("channel")) {
        reported = s.path("listeningPort").asInt();
      }
    }
    assertEquals(listening, reported, config.toString());
  }

  /** {@code keyring_crypto_requests_total} of these labels, 0 when absent. */
  private static long value(String metrics, String operation, int status, String wire) {
    return sample(
        metrics,
        "keyring_crypto_requests_total{operation=\""
            + operation
            + "\",status=\""
            + status
            + "\",wire=\""
            + wire
            + "\"}");
  }

  private static long sample(String metrics, String name) {
    Matcher x =
        Pattern.compile("^" + Pattern.quote(name) + " (\\d+)$", Pattern.MULTILINE).matcher(metrics);
    return x.find() ? Long.parseLong(x.group(1)) : 0;
  }
}
