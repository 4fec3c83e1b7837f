package dev.keyring.e2e.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.Slot;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.registration.RegisterCommand;
import dev.keyring.client.testing.TestPki;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a real member on loopback ports, over one HTTP version (the subclasses pick
 * it). Every test checks that no session and no connection leaked.
 */
@Timeout(300)
abstract class ClientFlowContract {
  static final String NEW_PASSWORD = "keyring-password-2";
  private static final Duration LIMIT = Duration.ofSeconds(60);

  @TempDir static Path dir;
  static TestMember member;
  private static int keyrings;

  private final List<KeyringClient> clients = new ArrayList<>();

  abstract TransportOptions.HttpVersion httpVersion();

  @BeforeAll
  static void startMember() throws Exception {
    member = TestMember.start(dir);
  }

  @AfterAll
  static void stopMember() {
    if (member != null) {
      member.close();
    }
  }

  @AfterEach
  void noLeaks() {
    for (KeyringClient c : clients) {
      c.close();
      assertEquals(0, c.openSessionCount(), "client sessions left open");
      assertEquals(0, c.connectionCount(), "client connections left open");
    }
    assertEquals(0, member.member().openSessions(), "member sessions left open");
  }

  TransportOptions options() {
    return TransportOptions.builder()
        .httpVersion(httpVersion())
        .callTimeout(LIMIT)
        .readTimeout(LIMIT)
        .build();
  }

  KeyringClient client(String cn) throws TransportException {
    ClusterEntry e = member.issueClient(dir.resolve(cn), 0, cn);
    KeyringClient c = KeyringClient.open(e, options());
    clients.add(c);
    return c;
  }

  static synchronized String newKeyring() {
    String label = "kr" + (++keyrings);
    member.createKeyring(label);
    return label;
  }

  /** KRSO with the initial password, change it, initialize the KRCO, log in as KRCO. */
  static void readyAsKrco(KeyringChannel s) throws TransportException {
    s.login(Role.KRSO, TestMember.KEYRING_INITIAL);
    s.changePassword(TestMember.KEYRING_INITIAL, NEW_PASSWORD);
    s.initKrco(NEW_PASSWORD);
    s.logout();
    s.login(Role.KRCO, NEW_PASSWORD);
  }

  static boolean jdkVerify(String alg, PublicKey key, byte[] data, byte[] sig) throws Exception {
    Signature v = Signature.getInstance(alg);
    v.initVerify(key);
    v.update(data);
    return v.verify(sig);
  }

  @Test
  void registration_thenAClientFromTheWrittenConfig_runsTheWholeFlow() throws Exception {
    String label = newKeyring();
    Path home = Files.createDirectories(dir.resolve("registered-" + httpVersion()));
    Path conf = home.resolve("Chrystoki.conf");
    RegisterRun r =
        RegisterRun.run(
            java.util.Map.of(RegisterCommand.PASSWORD_ENV, TestMember.ADMIN_PASSWORD),
            "-n",
            "e2e-client",
            "-i",
            "127.0.0.1:" + member.adminPort(),
            "-c",
            member.clusterId().toString(),
            "--config",
            conf.toString());
    assertEquals(RegisterCommand.OK, r.exitCode(), r.toString());
    ClientConfig cfg = ClientConfig.read(conf);
    KeyringClient c = KeyringClient.open(cfg, 0, options());
    clients.add(c);
    assertTimeoutPreemptively(
        LIMIT,
        () -> {
          assertTrue(c.slots().stream().anyMatch(s -> s.label().equals(label)));
          try (KeyringChannel s = c.openSession(label)) {
            readyAsKrco(s);
            byte[] data = new byte[5 << 20];
            new Random(7).nextBytes(data);
            for (KeyGenParams p : List.of(KeyGenParams.rsa(2048), KeyGenParams.ec(Curve.P256))) {
              boolean isRsa = p.curve() == null;
              Mechanism m = isRsa ? Mechanism.CKM_SHA256_RSA_PKCS : Mechanism.CKM_ECDSA_SHA256;
              String jdk = isRsa ? "SHA256withRSA" : "SHA256withECDSA";
              KeyringKeyPair kp = s.generateKeyPair(p, Attributes.empty(), Attributes.empty());
              PublicKey pub = kp.publicKey().toPublicKey();
              byte[] small =
                  s.sign(kp.privateKey().handle(), m, MechanismParams.NONE, new byte[] {1, 2, 3});
              assertTrue(jdkVerify(jdk, pub, new byte[] {1, 2, 3}, small));
              KeyringOperation op =
                  s.startOperation(
                      KeyringOperation.Kind.SIGN,
                      kp.privateKey().handle(),
                      m,
                      MechanismParams.NONE);
              op.update(data);
              assertTrue(jdkVerify(jdk, pub, data, op.finish()));
            }
          }
        });
    c.close();
    assertEquals(0, member.member().openSessions());
    assertEquals(0, c.connectionCount());
  }

  @Test
  void slots_listTheClustersKeyrings() throws Exception {
    String label = newKeyring();
    KeyringClient c = client("slots-client");
    List<Slot> slots = c.slots();
    Slot s = slots.stream().filter(x -> x.label().equals(label)).findFirst().orElseThrow();
    assertTrue(s.passwordChangeRequired());
    assertFalse(s.krcoInitialized());
    assertFalse(s.locked());
    assertTrue(c.ping().compareTo(Duration.ZERO) > 0);
  }

  @Test
  void loginFlow_generateRsaAndP256_signAndVerifyWithTheJdk() throws Exception {
    String label = newKeyring();
    KeyringClient c = client("flow-client");
    assertTimeoutPreemptively(
        LIMIT,
        () -> {
          try (KeyringChannel s = c.openSession(label)) {
            s.login(Role.KRSO, TestMember.KEYRING_INITIAL);
            HsmException expired =
                assertThrows(
                    HsmException.class,
                    () -> s.generateKey(KeyGenParams.aes(256), Attributes.empty()));
            assertTrue(
                expired.code() == ResultCode.CKR_PIN_EXPIRED
                    || expired.code() == ResultCode.CKR_USER_TYPE_INVALID,
                expired.getMessage());
            s.changePassword(TestMember.KEYRING_INITIAL, NEW_PASSWORD);
            s.initKrco(NEW_PASSWORD);
            s.logout();
            HsmException notLoggedIn = assertThrows(HsmException.class, () -> s.random(16));
            assertEquals(ResultCode.CKR_USER_NOT_LOGGED_IN, notLoggedIn.code());
            s.login(Role.KRCO, NEW_PASSWORD);

            byte[] data = "to be signed".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            KeyringKeyPair rsa =
                s.generateKeyPair(
                    KeyGenParams.rsa(2048),
                    Attributes.builder().label("rsa-pub").build(),
                    Attributes.builder().label("rsa").build());
            assertEquals(ObjectClass.PRIVATE_KEY, rsa.privateKey().objectClass());
            byte[] rsaSig =
                s.sign(
                    rsa.privateKey().handle(),
                    Mechanism.CKM_SHA256_RSA_PKCS,
                    MechanismParams.NONE,
                    data);
            assertTrue(jdkVerify("SHA256withRSA", rsa.publicKey().toPublicKey(), data, rsaSig));
            assertTrue(
                s.verify(
                    rsa.publicKey().handle(),
                    Mechanism.CKM_SHA256_RSA_PKCS,
                    MechanismParams.NONE,
                    data,
                    rsaSig));

            KeyringKeyPair ec =
                s.generateKeyPair(
                    KeyGenParams.ec(Curve.P256),
                    Attributes.builder().label("ec-pub").build(),
                    Attributes.builder().label("ec").build());
            byte[] ecSig =
                s.sign(
                    ec.privateKey().handle(),
                    Mechanism.CKM_ECDSA_SHA256,
                    MechanismParams.NONE,
                    data);
            assertTrue(jdkVerify("SHA256withECDSA", ec.publicKey().toPublicKey(), data, ecSig));
            byte[] tampered = data.clone();
            tampered[0] ^= 1;
            assertFalse(
                s.verify(
                    ec.publicKey().handle(),
                    Mechanism.CKM_ECDSA_SHA256,
                    MechanismParams.NONE,
                    tampered,
                    ecSig));

            // objects can be found, read, changed and destroyed
            List<KeyringObject> found = s.findObjects(Attributes.builder().label("ec").build());
            assertEquals(1, found.size());
            assertEquals(ec.privateKey().handle(), found.get(0).handle());
            assertEquals("ec", s.getObject(ec.privateKey().handle()).label());
            KeyringObject renamed =
                s.setAttributes(
                    ec.publicKey().handle(), Attributes.builder().label("ec-pub-2").build());
            assertEquals("ec-pub-2", renamed.label());
            s.destroyObject(ec.publicKey().handle());
            HsmException gone =
                assertThrows(HsmException.class, () -> s.getObject(ec.publicKey().handle()));
            assertEquals(ResultCode.CKR_OBJECT_HANDLE_INVALID, gone.code());

            assertEquals(32, s.random(32).length);
          }
        });
  }

  @Test
  void multiPartSign_ofFiveMebibytes_verifiesWithTheJdk() throws Exception {
    String label = newKeyring();
    KeyringClient c = client("multipart-client");
    assertTimeoutPreemptively(
        LIMIT,
        () -> {
          try (KeyringChannel s = c.openSession(label)) {
            readyAsKrco(s);
            byte[] data = new byte[5 << 20];
            new Random(42).nextBytes(data);
            KeyringKeyPair rsa =
                s.generateKeyPair(KeyGenParams.rsa(2048), Attributes.empty(), Attributes.empty());
            KeyringKeyPair ec =
                s.generateKeyPair(
                    KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());

            KeyringOperation op =
                s.startOperation(
                    KeyringOperation.Kind.SIGN,
                    rsa.privateKey().handle(),
                    Mechanism.CKM_SHA256_RSA_PKCS,
                    MechanismParams.NONE);
            for (int off = 0; off < data.length; off += 300_000) {
              op.update(data, off, Math.min(300_000, data.length - off));
            }
            assertEquals(data.length, op.length());
            byte[] rsaSig = op.finish();
            assertTrue(jdkVerify("SHA256withRSA", rsa.publicKey().toPublicKey(), data, rsaSig));

            KeyringOperation ecOp =
                s.startOperation(
                    KeyringOperation.Kind.SIGN,
                    ec.privateKey().handle(),
                    Mechanism.CKM_ECDSA_SHA256,
                    MechanismParams.NONE);
            ecOp.update(data);
            byte[] ecSig = ecOp.finish();
            assertTrue(jdkVerify("SHA256withECDSA", ec.publicKey().toPublicKey(), data, ecSig));
            assertThrows(HsmException.class, () -> ecOp.update(new byte[1]), "finished operation");

            KeyringOperation verify =
                s.startOperation(
                    KeyringOperation.Kind.VERIFY,
                    ec.publicKey().handle(),
                    Mechanism.CKM_ECDSA_SHA256,
                    MechanismParams.NONE);
            verify.update(data);
            assertTrue(verify.finishVerify(ecSig));
          }
        });
  }

  @Test
  void aesGcm_encryptDecrypt_roundTrips() throws Exception {
    String label = newKeyring();
    KeyringClient c = client("aes-client");
    try (KeyringChannel s = c.openSession(label)) {
      readyAsKrco(s);
      KeyringObject aes =
          s.generateKey(KeyGenParams.aes(256), Attributes.builder().label("aes").build());
      byte[] plain = "secret message".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      MechanismParams gcm = MechanismParams.Gcm.generatedIv(new byte[] {1, 2, 3});
      byte[] ct = s.encrypt(aes.handle(), Mechanism.CKM_AES_GCM, gcm, plain);
      assertArrayEquals(plain, s.decrypt(aes.handle(), Mechanism.CKM_AES_GCM, gcm, ct));
    }
  }

  @Test
  void tlsPremasterDecrypt_givesThePremaster_orFortyEightOtherBytes() throws Exception {
    String label = newKeyring();
    KeyringClient c = client("tls-premaster-client");
    try (KeyringChannel s = c.openSession(label)) {
      readyAsKrco(s);
      KeyringKeyPair rsa =
          s.generateKeyPair(KeyGenParams.rsa(2048), Attributes.empty(), Attributes.empty());
      javax.crypto.Cipher enc = javax.crypto.Cipher.getInstance("RSA/ECB/PKCS1Padding");
      enc.init(javax.crypto.Cipher.ENCRYPT_MODE, rsa.publicKey().toPublicKey());
      MechanismParams tls12 = new MechanismParams.TlsPremaster(0x0303, 0x0303);
      byte[] pm = new byte[48];
      new Random(7).nextBytes(pm);
      pm[0] = 0x03;
      pm[1] = 0x03;
      long h = rsa.privateKey().handle();
      assertArrayEquals(pm, s.decrypt(h, Mechanism.CKM_RSA_PKCS, tls12, enc.doFinal(pm)));

      byte[] tls11 = pm.clone();
      tls11[1] = 0x02;
      byte[] out = s.decrypt(h, Mechanism.CKM_RSA_PKCS, tls12, enc.doFinal(tls11));
      assertEquals(48, out.length);
      assertEquals(0x03, out[0]);
      assertEquals(0x03, out[1]);
      assertFalse(java.util.Arrays.equals(tls11, out));
      assertFalse(java.util.Arrays.equals(pm, out));
    }
  }

  @Test
  void keyringIsolation_handlesOfKeyringB_areInvalidInASessionOnA() throws Exception {
    String a = newKeyring();
    String b = newKeyring();
    KeyringClient c = client("isolation-client");
    try (KeyringChannel sa = c.openSession(a);
        KeyringChannel sb = c.openSession(b)) {
      readyAsKrco(sa);
      readyAsKrco(sb);
      KeyringKeyPair inB =
          sb.generateKeyPair(
              KeyGenParams.ec(Curve.P256),
              Attributes.empty(),
              Attributes.builder().label("b-only").build());
      long bKey = inB.privateKey().handle();

      assertTrue(sa.findObjects(Attributes.empty()).stream().noneMatch(o -> o.handle() == bKey));
      assertTrue(sa.findObjects(Attributes.builder().label("b-only").build()).isEmpty());
      HsmException read = assertThrows(HsmException.class, () -> sa.getObject(bKey));
      assertEquals(ResultCode.CKR_OBJECT_HANDLE_INVALID, read.code());
      HsmException use =
          assertThrows(
              HsmException.class,
              () ->
                  sa.sign(bKey, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, new byte[] {1}));
      assertEquals(ResultCode.CKR_OBJECT_HANDLE_INVALID, use.code());
      HsmException destroy = assertThrows(HsmException.class, () -> sa.destroyObject(bKey));
      assertEquals(ResultCode.CKR_OBJECT_HANDLE_INVALID, destroy.code());
      // still there for B
      assertEquals("b-only", sb.getObject(bKey).label());
    }
  }

  @Test
  void memberRefusals_arriveAsHsmExceptions_withTheirCodes() throws Exception {
    String label = newKeyring();
    KeyringClient c = client("errors-client");
    HsmException noKeyring =
        assertThrows(HsmException.class, () -> c.openSession("no-such-keyring"));
    assertEquals(ResultCode.CKR_SLOT_ID_INVALID, noKeyring.code());
    try (KeyringChannel s = c.openSession(label)) {
      HsmException pin =
          assertThrows(HsmException.class, () -> s.login(Role.KRSO, "wrong-password-1"));
      assertEquals(ResultCode.CKR_PIN_INCORRECT, pin.code());
      HsmException krco =
          assertThrows(HsmException.class, () -> s.login(Role.KRCO, TestMember.KEYRING_INITIAL));
      assertEquals(ResultCode.CKR_USER_PIN_NOT_INITIALIZED, krco.code());
    }
  }

  @Test
  void closingTheClient_closesItsOpenSessionsOnTheMember() throws Exception {
    String label = newKeyring();
    KeyringClient c = client("leaky-client");
    KeyringChannel s1 = c.openSession(label);
    KeyringChannel s2 = c.openSession(label);
    s1.login(Role.KRSO, TestMember.KEYRING_INITIAL);
    assertEquals(2, c.openSessionCount());
    assertTrue(member.member().openSessions() >= 2);
    assertTrue(c.connectionCount() >= 1);
    c.close();
    assertEquals(0, c.openSessionCount());
    assertEquals(0, c.connectionCount());
    assertFalse(s1.isOpen());
    assertFalse(s2.isOpen());
    assertEquals(0, member.member().openSessions());
    HsmException closed = assertThrows(HsmException.class, () -> s2.random(1));
    assertEquals(ResultCode.CKR_SESSION_CLOSED, closed.code());
  }

  @Test
  void concurrentSigning_overOneClient_allVerify() throws Exception {
    String label = newKeyring();
    KeyringClient c = client("concurrent-client");
    try (KeyringChannel s = c.openSession(label)) {
      readyAsKrco(s);
      KeyringKeyPair ec =
          s.generateKeyPair(KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
      PublicKey pub = ec.publicKey().toPublicKey();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          byte[] data = ("message " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
          Callable<Boolean> task =
              () ->
                  jdkVerify(
                      "SHA256withECDSA",
                      pub,
                      data,
                      s.sign(
                          ec.privateKey().handle(),
                          Mechanism.CKM_ECDSA_SHA256,
                          MechanismParams.NONE,
                          data));
          results.add(pool.submit(task));
        }
        for (Future<Boolean> f : results) {
          assertTrue(f.get(LIMIT.toSeconds(), TimeUnit.SECONDS));
        }
      } finally {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
      }
      if (httpVersion() == TransportOptions.HttpVersion.HTTP_2) {
        assertEquals(1, c.connectionCount(), "HTTP/2 multiplexes one connection");
      }
    }
  }

  @Test
  void clientCertificateFromAnotherCa_isRefusedAtTheHandshake() throws Exception {
    Path d = Files.createDirectories(dir.resolve("foreign"));
    KeyPair caKeys = TestPki.ecKeyPair();
    X509Certificate foreignCa = TestPki.selfSignedCa(caKeys, "Not the cluster CA");
    KeyPair clientKeys = TestPki.ecKeyPair();
    X509Certificate cert = TestPki.issue(foreignCa, caKeys.getPrivate(), clientKeys, "intruder");
    ClusterEntry e =
        new ClusterEntry(
            0,
            "127.0.0.1",
            member.cryptoPort(),
            TestPki.write(d.resolve("intruder.pem"), TestPki.pem(cert)),
            TestPki.write(d.resolve("intruderKey.pem"), TestPki.pkcs8Pem(clientKeys.getPrivate())),
            TestPki.write(d.resolve("ca.pem"), TestPki.pem(member.clusterCa())),
            member.serverCn());
    KeyringClient c = KeyringClient.open(e, options());
    clients.add(c);
    TransportException t = assertThrows(TransportException.class, c::slots);
    assertEquals(TransportException.Kind.TLS, t.kind(), t.getMessage());
    assertInstanceOf(SSLException.class, t.getCause(), t.getMessage());
    assertEquals(
        0,
        t.getSuppressed().length,
        () ->
            "a certificate failure is not retried: "
                + java.util.Arrays.toString(t.getSuppressed()));
  }

  @Test
  void memberNotIssuedByTheConfiguredCa_isNotTrusted() throws Exception {
    ClusterEntry good = member.issueClient(dir.resolve("wrong-ca"), 0, "wrong-ca-client");
    KeyPair caKeys = TestPki.ecKeyPair();
    Path otherCa =
        TestPki.write(
            dir.resolve("wrong-ca").resolve("other-ca.pem"),
            TestPki.pem(TestPki.selfSignedCa(caKeys, "Some other CA")));
    ClusterEntry e =
        new ClusterEntry(
            0,
            good.host(),
            good.port(),
            good.clientCert(),
            good.clientKey(),
            otherCa,
            good.serverCn());
    KeyringClient c = KeyringClient.open(e, options());
    clients.add(c);
    TransportException t = assertThrows(TransportException.class, c::slots);
    assertEquals(TransportException.Kind.TLS, t.kind(), t.getMessage());
    assertInstanceOf(SSLException.class, t.getCause());
  }

  @Test
  void serverReachedByLocalhost_withTheConfiguredServerCn_isAccepted() throws Exception {
    ClusterEntry ip = member.issueClient(dir.resolve("by-name"), 0, "by-name-client");
    ClusterEntry byName =
        new ClusterEntry(
            0, "localhost", ip.port(), ip.clientCert(), ip.clientKey(), ip.caFile(), ip.serverCn());
    KeyringClient c = KeyringClient.open(byName, options());
    clients.add(c);
    assertTrue(c.slots().size() >= 0);
  }
}
