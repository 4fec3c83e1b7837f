package dev.keyring.e2e.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.SessionInfo;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.internal.transport.ChannelMemberChannel;
import dev.keyring.client.internal.transport.MemberTransports;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KeyringClient} over the members' binary crypto channel ({@code wire(CHANNEL)}) against a
 * real member on loopback: the crypto calls, many threads pipelined on one connection or spread
 * over two, the fallback to HTTP when the member has no channel, and what a call sees when its
 * member goes away.
 */
@Timeout(300)
class ChannelClientTest {
  private static final String KEYRING = "channelled";
  private static final String PASSWORD = "keyring-password-2";

  @TempDir Path dir;
  private TestMember member;
  private KeyringClient client;

  @AfterEach
  void noLeaks() {
    try {
      if (client != null) {
        client.close();
        assertEquals(0, client.openSessionCount(), "client sessions left open");
        assertEquals(0, member.member().openSessions(), "member sessions left open");
      }
    } finally {
      if (member != null) {
        member.close();
      }
    }
  }

  private static TransportOptions channelOptions() {
    return channelOptions(TransportOptions.defaults().channelConnections());
  }

  private static TransportOptions channelOptions(int connections) {
    return TransportOptions.builder()
        .wire(TransportOptions.Wire.CHANNEL)
        .connectTimeout(Duration.ofSeconds(5))
        .callTimeout(Duration.ofSeconds(60))
        .channelConnections(connections)
        .build();
  }

  private KeyringClient start(int channelPort) throws Exception {
    return start(channelPort, TransportOptions.defaults().channelConnections());
  }

  private KeyringClient start(int channelPort, int connections) throws Exception {
    member = TestMember.startWithChannelPort(dir, channelPort, KEYRING);
    ClusterEntry e = member.issueClient(dir, 0, "channel-client");
    client = KeyringClient.open(e, channelOptions(connections));
    return client;
  }

  private static KeyringChannel readyAsKrco(KeyringClient c) throws Exception {
    KeyringChannel s = c.openSession(KEYRING);
    s.login(Role.KRSO, TestMember.KEYRING_INITIAL);
    s.changePassword(TestMember.KEYRING_INITIAL, PASSWORD);
    s.initKrco(PASSWORD);
    s.logout();
    s.login(Role.KRCO, PASSWORD);
    return s;
  }

  /** Generates a P-256 key pair through {@code s}, signs {@code data}, and the JDK verifies it. */
  private static void signsWithANewKey(KeyringChannel s, byte[] data) throws Exception {
    KeyringKeyPair kp =
        s.generateKeyPair(KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
    byte[] sig =
        s.sign(kp.privateKey().handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, data);
    assertTrue(verifies(kp, data, sig), "the JDK verifies the member's signature");
  }

  private static boolean verifies(KeyringKeyPair kp, byte[] data, byte[] sig) throws Exception {
    Signature v = Signature.getInstance("SHA256withECDSA");
    v.initVerify(kp.publicKey().toPublicKey());
    v.update(data);
    return v.verify(sig);
  }

  @Test
  void cryptoCalls_goOverTheChannel_withTheRestResults() throws Exception {
    KeyringClient c = start(0);
    try (KeyringChannel s = readyAsKrco(c)) {
      KeyringKeyPair kp =
          s.generateKeyPair(KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
      byte[] data = "over the channel".getBytes(StandardCharsets.UTF_8);
      long before = member.member().channelRequests();
      byte[] sig =
          s.sign(kp.privateKey().handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, data);
      assertEquals(before + 1, member.member().channelRequests(), "the sign went over the channel");
      assertTrue(verifies(kp, data, sig), "the JDK verifies the member's signature");
      assertTrue(
          s.verify(
              kp.publicKey().handle(),
              Mechanism.CKM_ECDSA_SHA256,
              MechanismParams.NONE,
              data,
              sig));
      assertFalse(
          s.verify(
              kp.publicKey().handle(),
              Mechanism.CKM_ECDSA_SHA256,
              MechanismParams.NONE,
              "other".getBytes(StandardCharsets.UTF_8),
              sig));

      KeyringObject aes =
          s.generateKey(KeyGenParams.aes(256), Attributes.builder().label("aes").build());
      byte[] plain = new byte[1024];
      MechanismParams gcm = MechanismParams.Gcm.generatedIv(new byte[] {1, 2});
      byte[] ct = s.encrypt(aes.handle(), Mechanism.CKM_AES_GCM, gcm, plain);
      assertEquals(12 + 1024 + 16, ct.length, "IV generated by the member, in front");
      byte[] iv = java.util.Arrays.copyOf(ct, 12);
      byte[] back =
          s.decrypt(
              aes.handle(),
              Mechanism.CKM_AES_GCM,
              new MechanismParams.Gcm(iv, new byte[] {1, 2}, 128),
              java.util.Arrays.copyOfRange(ct, 12, ct.length));
      assertArrayEquals(plain, back);
      // an IV longer than the frame's 255 bytes (GCM allows it): the call goes as JSON, same result
      byte[] longIv = new byte[257];
      longIv[0] = 7;
      MechanismParams longGcm = new MechanismParams.Gcm(longIv, new byte[] {1, 2}, 128);
      byte[] longCt = s.encrypt(aes.handle(), Mechanism.CKM_AES_GCM, longGcm, plain);
      assertEquals(1024 + 16, longCt.length, "the caller's IV is not put in front");
      assertArrayEquals(plain, s.decrypt(aes.handle(), Mechanism.CKM_AES_GCM, longGcm, longCt));

      // a refusal carries the same PKCS#11 code as over REST
      HsmException e =
          assertThrows(
              HsmException.class,
              () -> s.sign(aes.handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, data));
      assertTrue(
          e.code() == ResultCode.CKR_KEY_TYPE_INCONSISTENT
              || e.code() == ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
          e.toString());
      assertEquals(
          1, s.findObjects(Attributes.builder().label("aes").build()).size(), "JSON opcode");
      assertEquals(
          1,
          member.member().channelConnections(),
          "one thread calling keeps one connection to the member, whatever channelConnections");
    }
  }

  @Test
  void aMemberThatTakesOneConnectionOfThisClient_refusesTheOthers_andEveryCallIsServed()
      throws Exception {
    member = TestMember.startWith(dir, b -> b.channelMaxConnectionsPerClient(1), KEYRING);
    ClusterEntry e = member.issueClient(dir, 0, "channel-client");
    client = KeyringClient.open(e, channelOptions());
    // overlapping calls ask for more connections (four with the defaults: the test below); the
    // member refuses the second, and the calls go on the one connection it took
    manyThreadsSign(client);
    assertEquals(1, member.member().channelConnections(), "the one connection it may hold");
  }

  @Test
  void overHttp11_aClientKeepsWithinTheMembersConnectionsPerClient_andEveryCallIsServed()
      throws Exception {
    // with the client's maxConnections over the member's limit, some of these calls were answered
    // CKR_DEVICE_MEMORY on connections beyond it
    member = TestMember.startWith(dir, b -> b.maxConnectionsPerClient(4), KEYRING);
    ClusterEntry e = member.issueClient(dir, 0, "http-client");
    client =
        KeyringClient.open(
            e,
            TransportOptions.builder()
                .wire(TransportOptions.Wire.HTTP)
                .httpVersion(TransportOptions.HttpVersion.HTTP_1_1)
                .maxConnections(4) // 16 threads below take turns on four connections
                .callTimeout(Duration.ofSeconds(60))
                .build());
    manyThreadsSign(client);
  }

  @Test
  void extraConnections_unusedForTwelveHeartbeats_areClosed_theFirstStays() throws Exception {
    member = TestMember.startWithChannelPort(dir, 0, KEYRING);
    ClusterEntry e = member.issueClient(dir, 0, "channel-client");
    client =
        KeyringClient.open(
            e,
            TransportOptions.builder()
                .wire(TransportOptions.Wire.CHANNEL)
                .connectTimeout(Duration.ofSeconds(5))
                .callTimeout(Duration.ofSeconds(60))
                .heartbeatInterval(Duration.ofMillis(100)) // extras closed after 1.2 s unused
                .build());
    manyThreadsSign(client);
    int busy = member.member().channelConnections();
    assertTrue(busy > 1, "overlapping calls opened extra connections: " + busy);
    for (int i = 0; i < 600 && member.member().channelConnections() > 1; i++) {
      Thread.sleep(50);
    }
    assertEquals(1, member.member().channelConnections(), "the extras closed, the first kept");
    try (KeyringChannel s = client.openSession(KEYRING)) {
      s.login(Role.KRCO, PASSWORD);
      signsWithANewKey(s, "after the extras closed".getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void manyThreads_pipelinedOnOneConnection_eachGetTheirOwnAnswer() throws Exception {
    KeyringClient c = start(0, 1);
    manyThreadsSign(c);
    assertEquals(1, member.member().channelConnections(), "all of it on one connection");
  }

  @Test
  void overlappingCalls_openTheSecondConnection_andNoMore() throws Exception {
    KeyringClient c = start(0, 2);
    manyThreadsSign(c);
    assertEquals(
        2, member.member().channelConnections(), "a second connection while calls overlapped");
  }

  @Test
  void overlappingCalls_withTheDefaults_openEightConnections_andNoMore() throws Exception {
    assertEquals(8, TransportOptions.defaults().channelConnections(), "the default");
    KeyringClient c = start(0);
    manyThreadsSign(c);
    assertEquals(
        8,
        member.member().channelConnections(),
        "16 threads calling together use the default's eight connections, no more");
  }

  /** 16 threads sign 40 times each through one session of {@code c}, each checking its answers. */
  private void manyThreadsSign(KeyringClient c) throws Exception {
    try (KeyringChannel s = readyAsKrco(c)) {
      KeyringKeyPair kp =
          s.generateKeyPair(KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
      int threads = 16;
      int each = 40;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<Integer>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int thread = t;
          done.add(
              pool.submit(
                  () -> {
                    int good = 0;
                    for (int i = 0; i < each; i++) {
                      byte[] data =
                          ("thread " + thread + " call " + i).getBytes(StandardCharsets.UTF_8);
                      byte[] sig =
                          s.sign(
                              kp.privateKey().handle(),
                              Mechanism.CKM_ECDSA_SHA256,
                              MechanismParams.NONE,
                              data);
                      if (verifies(kp, data, sig)) {
                        good++;
                      }
                    }
                    return good;
                  }));
        }
        int good = 0;
        for (Future<Integer> f : done) {
          good += f.get();
        }
        assertEquals(threads * each, good, "every signature is over its own caller's data");
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void memberWithoutAChannel_isReachedOverHttp() throws Exception {
    KeyringClient c = start(-1);
    try (KeyringChannel s = readyAsKrco(c)) {
      signsWithANewKey(s, new byte[] {1, 2, 3});
      assertEquals(-1, member.member().channelPort());
    }
  }

  @Test
  void memberStoppingMidFlight_answersTheCallUnderWay_newCallsFailWithConnect() throws Exception {
    member = TestMember.startWithChannelPort(dir, 0, KEYRING);
    ClusterEntry e = member.issueClient(dir, 0, "channel-wire");
    MemberTransports transports = MemberTransports.load(e, channelOptions());
    ChannelMemberChannel ch =
        transports.openChannel(
            "127.0.0.1", member.member().channelPort(), member.serverCn(), "member under test");
    try {
      SessionInfo so = ch.openSession(KEYRING);
      ch.login(so.sessionId(), Role.KRSO, TestMember.KEYRING_INITIAL);
      ch.changePassword(so.sessionId(), TestMember.KEYRING_INITIAL, PASSWORD);
      ch.initKrco(so.sessionId(), PASSWORD);
      ch.logout(so.sessionId());
      ch.login(so.sessionId(), Role.KRCO, PASSWORD);

      // an RSA key pair takes the member long enough to be under way when it begins to stop: a
      // clean stop answers it before its goodbye (a member that dies mid-flight leaves the call
      // failing with IO, sent: ChannelWireFailuresTest)
      long before = member.member().channelRequests();
      ExecutorService one = Executors.newSingleThreadExecutor();
      Future<?> slow =
          one.submit(
              () ->
                  ch.generateKeyPair(
                      so.sessionId(),
                      KeyGenParams.rsa(2048),
                      Attributes.empty(),
                      Attributes.empty()));
      while (member.member().channelRequests() == before) {
        Thread.sleep(5); // until the member has read the request
      }
      member.stop();
      assertNotNull(
          slow.get(60, java.util.concurrent.TimeUnit.SECONDS), "answered before it stopped");
      one.shutdownNow();

      TransportException next =
          assertThrows(
              TransportException.class,
              () ->
                  ch.sign(
                      so.sessionId(),
                      1,
                      Mechanism.CKM_ECDSA_SHA256,
                      MechanismParams.NONE,
                      new byte[] {1}));
      assertEquals(TransportException.Kind.CONNECT, next.kind(), next.toString());
      assertFalse(next.requestSent(), "a new call never left");
    } finally {
      ch.close();
      member.restart(); // the leak check in noLeaks reads the member
    }
  }
}
