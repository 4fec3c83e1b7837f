package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFrames;
import dev.keyring.protocol.channel.Opcode;
import dev.keyring.protocol.wire.WireJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crypto channel of a real member over mutual TLS on loopback: the hot operations and the JSON
 * opcode, pipelining, and every kind of bad input, each followed by another client that is still
 * served.
 */
class ChannelListenerTest {
  private static final int MAX_IN_FLIGHT = 128;
  private static final byte[] DATA = "channel data".getBytes(StandardCharsets.UTF_8);

  @TempDir static Path dir;
  private static CryptoTestMember m;

  @BeforeAll
  static void start() throws Exception {
    m =
        CryptoTestMember.start(
            dir,
            b ->
                b.channelMaxInFlight(MAX_IN_FLIGHT)
                    .channelWorkers(4)
                    .channelWriteTimeout(Duration.ofMillis(500)));
  }

  @AfterAll
  static void stop() {
    if (m != null) {
      m.close();
    }
  }

  private static RawChannel open() throws IOException {
    return RawChannel.open(m.clientTls, m.member.channelPort());
  }

  /** Opens a session on the test keyring and logs it in as KRCO over {@code c}; its id. */
  private static String login(RawChannel c) throws IOException {
    return c.loginKrco();
  }

  /** A REST call through the JSON opcode that must succeed; its JSON answer. */
  private static com.fasterxml.jackson.databind.JsonNode post(
      RawChannel c, int id, String path, String body) throws IOException {
    c.send(ChannelCodec.json(id, null, false, "POST", path, body.getBytes(StandardCharsets.UTF_8)));
    ChannelAnswer a = c.read();
    assertTrue(a.ok(), String.valueOf(a.message));
    return WireJson.mapper().readTree(a.body.rest());
  }

  private static byte[] sign(int id, String sid) {
    return m.signFrame(id, sid, DATA);
  }

  /** Another client, on a fresh connection, is served: a ping and a signature. */
  private static void anotherClientIsServed() throws IOException {
    try (RawChannel c = open()) {
      c.send(ChannelCodec.ping(77));
      ChannelAnswer pong = c.read();
      assertEquals(77, pong.id);
      assertTrue(pong.ok());
      String sid = login(c);
      c.send(sign(78, sid));
      ChannelAnswer signed = c.read();
      assertTrue(signed.ok(), String.valueOf(signed.message));
      assertTrue(signed.body.remaining() > 60, "a DER ECDSA P-256 signature");
    }
  }

  @Test
  void hotOperationsAndJson_areServed_withTheRestCodes() throws Exception {
    try (RawChannel c = open()) {
      String sid = login(c);
      c.send(sign(3, sid));
      ChannelAnswer signed = c.read();
      assertTrue(signed.ok());
      byte[] signature = signed.body.rest();
      c.send(
          ChannelCodec.crypto(
              4,
              Opcode.VERIFY,
              null,
              sid,
              publicKey(c, sid),
              Mechanism.CKM_ECDSA_SHA256,
              MechanismParams.NONE,
              DATA,
              signature));
      ChannelAnswer verified = c.read();
      assertTrue(verified.ok(), String.valueOf(verified.message));
      assertEquals(1, verified.body.u8("valid"));

      // a session that does not exist: the same code as over REST
      c.send(sign(5, "0".repeat(32)));
      assertEquals(ResultCode.CKR_SESSION_HANDLE_INVALID, c.read().code);
      // the JSON opcode: a REST call, its JSON answer
      c.send(
          ChannelCodec.json(
              6,
              null,
              false,
              "POST",
              "/v1/sessions/" + sid + "/objects/find",
              "{\"template\":{\"CKA_LABEL\":\"load\"}}".getBytes(StandardCharsets.UTF_8)));
      ChannelAnswer found = c.read();
      assertTrue(found.ok(), String.valueOf(found.message));
      assertEquals(
          m.signingKey,
          WireJson.mapper()
              .readTree(found.body.rest())
              .path("objects")
              .get(0)
              .path("handle")
              .asLong());
      // a JSON refusal carries the REST code
      c.send(
          ChannelCodec.json(
              7, null, false, "POST", "/v1/sessions/" + sid + "/random", "{}".getBytes()));
      ChannelAnswer bad = c.read();
      assertFalse(bad.ok());
      assertEquals(ResultCode.CKR_ARGUMENTS_BAD, bad.code);
      // member-to-member calls are not reachable over the channel
      c.send(ChannelCodec.json(8, null, false, "POST", "/v1/peer/status", new byte[0]));
      assertFalse(c.read().ok());
      c.send(ChannelCodec.closeSession(9, sid));
      assertTrue(c.read().ok());
      c.send(sign(10, sid));
      assertEquals(ResultCode.CKR_SESSION_HANDLE_INVALID, c.read().code);
    }
  }

  /** The handle of the test key pair's public key, found over the JSON opcode. */
  private static long publicKey(RawChannel c, String sid) throws IOException {
    c.send(
        ChannelCodec.json(
            900,
            null,
            false,
            "POST",
            "/v1/sessions/" + sid + "/objects/find",
            "{\"template\":{\"CKA_LABEL\":\"load-pub\"}}".getBytes(StandardCharsets.UTF_8)));
    ChannelAnswer found = c.read();
    assertTrue(found.ok(), String.valueOf(found.message));
    return WireJson.mapper()
        .readTree(found.body.rest())
        .path("objects")
        .get(0)
        .path("handle")
        .asLong();
  }

  private static byte[] data(int i) {
    return ("data of request " + i).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] verify(int id, String sid, long pub, byte[] data, byte[] signature) {
    return ChannelCodec.crypto(
        id,
        Opcode.VERIFY,
        null,
        sid,
        pub,
        Mechanism.CKM_ECDSA_SHA256,
        MechanismParams.NONE,
        data,
        signature);
  }

  @Test
  void aLoneRequest_isServedOnTheReader_requestsReadTogetherByTheWorkers() throws Exception {
    try (RawChannel c = open()) {
      String sid = login(c);
      long before = m.member.channelServedOnReader();
      c.send(sign(40, sid));
      ChannelAnswer lone = c.read();
      assertTrue(lone.ok(), String.valueOf(lone.message));
      assertEquals(before + 1, m.member.channelServedOnReader(), "a lone sign, on the reader");

      // sixteen signs in one write: the first is read with the others behind it, and those
      // under way or behind others go to the workers
      int n = 16;
      java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
      for (int i = 0; i < n; i++) {
        all.write(sign(100 + i, sid));
      }
      long mid = m.member.channelServedOnReader();
      c.send(all.toByteArray());
      java.util.Set<Integer> ids = new java.util.HashSet<>();
      for (int i = 0; i < n; i++) {
        ChannelAnswer a = c.read();
        assertTrue(a.ok(), String.valueOf(a.message));
        assertTrue(ids.add(a.id));
      }
      assertEquals(n, ids.size());
      long onReader = m.member.channelServedOnReader() - mid;
      assertTrue(onReader < n, "pipelined signs served by the workers, " + onReader + " on reader");
    }
  }

  @Test
  void slowRequests_areServedOnTheReaderOnlyForAClientSendingOneAtATime() throws Exception {
    try (RawChannel c = open()) {
      String sid = login(c);
      long rsa =
          post(
                  c,
                  902,
                  "/v1/sessions/" + sid + "/keypairs",
                  "{\"spec\":{\"type\":\"RSA\",\"bits\":2048},\"publicTemplate\":"
                      + "{\"CKA_LABEL\":\"rsa-pub\"},\"privateTemplate\":{\"CKA_LABEL\":\"rsa\"}}")
              .path("privateKey")
              .path("handle")
              .asLong();
      // a new connection, one request at a time: even an RSA signature is served on the reader
      try (RawChannel one = open()) {
        String s2 = login(one);
        long before = m.member.channelServedOnReader();
        one.send(rsaSign(50, s2, rsa));
        ChannelAnswer signed = one.read();
        assertTrue(signed.ok(), String.valueOf(signed.message));
        assertEquals(
            before + 1, m.member.channelServedOnReader(), "a lone RSA sign, on the reader");
        // eight RSA signatures in one write overlap: they go to the workers
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 8; i++) {
          all.write(rsaSign(60 + i, s2, rsa));
        }
        long mid = m.member.channelServedOnReader();
        one.send(all.toByteArray());
        for (int i = 0; i < 8; i++) {
          ChannelAnswer a = one.read();
          assertTrue(a.ok(), String.valueOf(a.message));
        }
        assertTrue(m.member.channelServedOnReader() - mid < 8, "overlapping RSA signs at workers");
      }
    }
  }

  private static byte[] rsaSign(int id, String sid, long key) {
    return ChannelCodec.crypto(
        id,
        Opcode.SIGN,
        null,
        sid,
        key,
        Mechanism.CKM_SHA256_RSA_PKCS,
        MechanismParams.NONE,
        DATA,
        null);
  }

  @Test
  void manyRequestsInFlight_onOneConnection_areEachAnsweredUnderTheirId() throws Exception {
    try (RawChannel c = open()) {
      String sid = login(c);
      long pub = publicKey(c, sid);
      int n = MAX_IN_FLIGHT / 2;
      for (int i = 0; i < n; i++) {
        c.send(
            ChannelCodec.crypto(
                1000 + i,
                Opcode.SIGN,
                null,
                sid,
                m.signingKey,
                Mechanism.CKM_ECDSA_SHA256,
                MechanismParams.NONE,
                data(i),
                null));
        c.send(ChannelCodec.ping(5000 + i));
      }
      Map<Integer, ChannelAnswer> answers = new HashMap<>();
      for (int i = 0; i < 2 * n; i++) {
        ChannelAnswer a = c.read();
        assertNull(answers.put(a.id, a), "one answer per id");
      }
      Map<Integer, byte[]> signatures = new HashMap<>();
      for (int i = 0; i < n; i++) {
        ChannelAnswer a = answers.get(1000 + i);
        assertEquals(Opcode.SIGN, a.opcode);
        assertTrue(a.ok(), String.valueOf(a.message));
        signatures.put(i, a.body.rest());
        assertTrue(answers.get(5000 + i).ok());
      }
      // each signature is over its own request's data, and not over its neighbour's
      for (int i = 0; i < n; i++) {
        c.send(verify(2000 + i, sid, pub, data(i), signatures.get(i)));
        c.send(verify(3000 + i, sid, pub, data((i + 1) % n), signatures.get(i)));
      }
      Map<Integer, Integer> valid = new HashMap<>();
      for (int i = 0; i < 2 * n; i++) {
        ChannelAnswer a = c.read();
        assertTrue(a.ok(), String.valueOf(a.message));
        valid.put(a.id, a.body.u8("valid"));
      }
      for (int i = 0; i < n; i++) {
        assertEquals(1, valid.get(2000 + i), "signature " + i + " over its data");
        assertEquals(0, valid.get(3000 + i), "signature " + i + " over another request's data");
      }
    }
  }

  @Test
  void versionNotSpoken_isRefusedWithAClearError() throws Exception {
    try (RawChannel c = RawChannel.connect(m.clientTls, m.member.channelPort())) {
      c.send(ChannelFrames.hello(9));
      ChannelAnswer refusal = c.read();
      assertEquals(0, refusal.id);
      assertEquals(Opcode.ERROR, refusal.opcode);
      assertEquals(ResultCode.CKR_FUNCTION_NOT_SUPPORTED, refusal.code);
      assertTrue(refusal.message.contains("version 9"), refusal.message);
      assertTrue(c.readsToEnd());
    }
    anotherClientIsServed();
  }

  @Test
  void truncatedFrame_thenTheClientLeaves_changesNothingForOthers() throws Exception {
    try (RawChannel c = open()) {
      byte[] ping = ChannelCodec.ping(1);
      c.send(java.util.Arrays.copyOf(ping, ping.length - 3));
    }
    anotherClientIsServed();
  }

  @Test
  void lengthOverTheLimit_isRefusedBeforeReading_andTheConnectionClosed() throws Exception {
    try (RawChannel c = open()) {
      c.send(new byte[] {0x7F, 0, 0, 0});
      ChannelAnswer refusal = c.read();
      assertEquals(0, refusal.id);
      assertEquals(ResultCode.CKR_ARGUMENTS_BAD, refusal.code);
      assertTrue(refusal.message.contains("over the limit"), refusal.message);
      assertTrue(c.readsToEnd());
    }
    anotherClientIsServed();
  }

  @Test
  void aClientThatSentMoreBehindAFrameRefused_stillReadsTheRefusal_notAReset() throws Exception {
    for (int round = 0; round < 20; round++) {
      try (RawChannel c = open()) {
        byte[] sent = new byte[64 * 1024];
        sent[0] = 0x7F; // a length over the limit, then more the member never reads
        c.send(sent);
        Thread.sleep(20); // the member has refused and closed by now, the bytes unread
        ChannelAnswer refusal = c.read();
        assertEquals(0, refusal.id, "round " + round);
        assertEquals(ResultCode.CKR_ARGUMENTS_BAD, refusal.code);
        assertTrue(refusal.message.contains("over the limit"), refusal.message);
        assertTrue(c.readsToEnd());
      }
    }
    anotherClientIsServed();
  }

  @Test
  void unknownOpcode_isRefusedUnderItsId_andTheConnectionGoesOn() throws Exception {
    try (RawChannel c = open()) {
      byte[] frame = ChannelCodec.ping(42);
      frame[8] = 0x66;
      c.send(frame);
      ChannelAnswer refusal = c.read();
      assertEquals(42, refusal.id);
      assertEquals(ResultCode.CKR_FUNCTION_NOT_SUPPORTED, refusal.code);
      assertTrue(refusal.message.contains("0x66"), refusal.message);
      byte[] cut = sign(43, "s");
      cut[3] -= 5; // the body ends before its data: refused, the stream stays in step
      c.send(java.util.Arrays.copyOf(cut, cut.length - 5));
      ChannelAnswer malformed = c.read();
      assertEquals(43, malformed.id);
      assertEquals(ResultCode.CKR_ARGUMENTS_BAD, malformed.code);
      c.send(ChannelCodec.ping(44));
      assertEquals(44, c.read().id);
    }
    anotherClientIsServed();
  }

  @Test
  void garbageAfterTheHandshake_isRefused_andTheConnectionClosed() throws Exception {
    try (RawChannel c = RawChannel.connect(m.clientTls, m.member.channelPort())) {
      c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      ChannelAnswer refusal = c.read();
      assertEquals(ResultCode.CKR_ARGUMENTS_BAD, refusal.code);
      assertTrue(refusal.message.contains("KRCH"), refusal.message);
      assertTrue(c.readsToEnd());
    }
    try (RawChannel c = open()) {
      c.send(new byte[] {0x00, 0x00, 0x00, 0x02, 0x13, 0x37});
      ChannelAnswer refusal = c.read();
      assertEquals(ResultCode.CKR_ARGUMENTS_BAD, refusal.code);
      assertTrue(c.readsToEnd());
    }
    anotherClientIsServed();
  }

  @Test
  void clientThatNeverReads_isBounded_thenCut_whileOthersAreServed() throws Exception {
    try (RawChannel c = open()) {
      String sid = login(c);
      // large answers (64 KiB of random bytes as JSON each) fill the connection's buffers quickly
      byte[] random =
          ChannelCodec.json(
              0,
              null,
              false,
              "POST",
              "/v1/sessions/" + sid + "/random",
              "{\"length\":65536}".getBytes(StandardCharsets.UTF_8));
      int sent = 0;
      try {
        for (int i = 0; i < 3000; i++) {
          random[7] = (byte) i;
          random[6] = (byte) (i >>> 8);
          c.send(random);
          sent++;
        }
      } catch (IOException cut) {
        // the member closed the connection while requests were still going out
      }
      anotherClientIsServed();
      int answered = 0;
      int refusedForTheLimit = 0;
      try {
        ChannelAnswer a;
        while ((a = c.read()) != null) {
          answered++;
          if (a.code == ResultCode.CKR_DEVICE_MEMORY) {
            refusedForTheLimit++;
          }
        }
      } catch (IOException cut) {
        // reset by the member
      }
      assertTrue(answered < sent, answered + " answers to " + sent + " requests");
      assertTrue(c.readsToEnd());
      System.out.printf(
          "a client that never reads: %d requests sent, %d answers before the cut, %d of them"
              + " refused for the in-flight limit%n",
          sent, answered, refusedForTheLimit);
    }
    anotherClientIsServed();
  }

  @Test
  void slowReader_isCutAtTheWriteTimeout_whileOthersAreServed() throws Exception {
    try (RawChannel c = open()) {
      String sid = login(c);
      byte[] random =
          ChannelCodec.json(
              0,
              null,
              false,
              "POST",
              "/v1/sessions/" + sid + "/random",
              "{\"length\":65536}".getBytes(StandardCharsets.UTF_8));
      // no more than the connection may have under way, so none is refused: only the write
      // timeout can end this connection (11 MB of answers: more than loopback buffers hold)
      for (int i = 0; i < MAX_IN_FLIGHT; i++) {
        random[7] = (byte) i;
        c.send(random);
      }
      // read one answer, then stop reading: the member's writer waits on this client only
      assertNotNull(c.read());
      anotherClientIsServed();
      awaitConnections(0); // this connection included: the others closed theirs
      assertTrue(c.readsToEnd(), "the member closed the connection");
    }
    anotherClientIsServed();
  }

  @Test
  void slowReaderOfLoneRequests_isCutAtTheWriteTimeout_whileOthersAreServed() throws Exception {
    try (RawChannel c = open()) {
      String sid = login(c);
      long aes =
          post(
                  c,
                  901,
                  "/v1/sessions/" + sid + "/keys",
                  "{\"spec\":{\"type\":\"AES\",\"bits\":256},\"template\":{\"CKA_LABEL\":\"slow\"}}")
              .path("handle")
              .asLong();
      long before = m.member.channelServedOnReader();
      // one encryption of 16 KiB at a time, never read: each comes alone, so the reader serves it
      // and writes its answer itself until the loopback buffers are full and its write blocks
      byte[] plain = new byte[16 << 10];
      int sent = 0;
      try {
        for (int i = 0; i < 4000; i++) {
          c.send(
              ChannelCodec.crypto(
                  2000 + i,
                  Opcode.ENCRYPT,
                  null,
                  sid,
                  aes,
                  Mechanism.CKM_AES_GCM,
                  MechanismParams.NONE,
                  plain,
                  null));
          sent++;
          Thread.sleep(1);
        }
      } catch (IOException cut) {
        // the member closed the connection while requests were still going out
      }
      assertTrue(m.member.channelServedOnReader() > before, "lone encryptions on the reader");
      anotherClientIsServed();
      awaitConnections(0);
      assertTrue(c.readsToEnd(), "the member closed the connection after " + sent + " requests");
    }
    anotherClientIsServed();
  }

  /**
   * Waits until the member has {@code n} channel connections open (polling; 60 s is only a safety
   * limit against a hung test).
   */
  private static void awaitConnections(int n) throws InterruptedException {
    for (int i = 0; i < 1200 && m.member.channelConnections() > n; i++) {
      Thread.sleep(50);
    }
    assertEquals(n, m.member.channelConnections(), "channel connections open on the member");
  }

  @Test
  void pingAnswer_isEmpty() throws Exception {
    try (RawChannel c = open()) {
      c.send(ChannelCodec.ping(5));
      ChannelAnswer a = c.read();
      assertEquals(Opcode.PING, a.opcode);
      assertArrayEquals(new byte[0], a.body.rest());
    }
  }
}
