package dev.keyring.testing.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.PartResult;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class FakeMemberTest {
  private static final String PASSWORD = "app-password-1";
  private static final byte[] DATA = "to be signed".getBytes(StandardCharsets.UTF_8);

  private final FakeCluster cluster = new FakeCluster(2);
  private final FakeMember m1 = cluster.member(0);
  private final FakeMember m2 = cluster.member(1);

  FakeMemberTest() {
    cluster.createKeyring("app", PASSWORD);
  }

  private String loggedIn(FakeMember m) throws TransportException {
    String sid = m.openSession("app").sessionId();
    m.login(sid, Role.KRCO, PASSWORD);
    return sid;
  }

  private static HsmException refused(Executable call) {
    return assertThrows(HsmException.class, call::run);
  }

  @FunctionalInterface
  private interface Executable {
    void run() throws Exception;
  }

  @Test
  void openSession_onAnUnknownKeyring_isRefusedWithSlotIdInvalid() {
    assertEquals(ResultCode.CKR_SLOT_ID_INVALID, refused(() -> m1.openSession("none")).code());
  }

  @Test
  void openSession_byUuid_namesTheKeyringByLabelToo() throws Exception {
    String id = m1.slots().get(0).keyringId().toString();
    assertEquals("app", m1.openSession(id).label());
  }

  @Test
  void keys_beforeLogin_areRefusedUserNotLoggedIn() throws Exception {
    String sid = m1.openSession("app").sessionId();
    assertEquals(
        ResultCode.CKR_USER_NOT_LOGGED_IN,
        refused(() -> m1.generateKey(sid, KeyGenParams.aes(256), Attributes.empty())).code());
  }

  @Test
  void login_withAWrongPassword_isRefusedPinIncorrect() throws Exception {
    String sid = m1.openSession("app").sessionId();
    assertEquals(
        ResultCode.CKR_PIN_INCORRECT, refused(() -> m1.login(sid, Role.KRCO, "wrong-one")).code());
  }

  @Test
  void newKeyring_needsThePasswordChange_thenTheKrcoInit_beforeKeysAreUsed() throws Exception {
    cluster.createNewKeyring("fresh", "initial-pw");
    String so = m1.openSession("fresh").sessionId();
    String co = m1.openSession("fresh").sessionId();
    assertEquals(
        ResultCode.CKR_USER_PIN_NOT_INITIALIZED,
        refused(() -> m1.login(co, Role.KRCO, "initial-pw")).code());
    m1.login(so, Role.KRSO, "initial-pw");
    assertEquals(ResultCode.CKR_PIN_EXPIRED, refused(() -> m1.initKrco(so, "initial-pw")).code());
    m1.changePassword(so, "initial-pw", "changed-pw");
    m1.initKrco(so, "changed-pw");
    m1.login(co, Role.KRCO, "changed-pw");
    assertEquals(32, m1.random(co, 32).length);
  }

  @Test
  void aWriteOnOneMember_isSeenOnTheOther() throws Exception {
    KeyringObject key = m1.generateKey(loggedIn(m1), KeyGenParams.aes(128), Attributes.empty());
    KeyringObject seen = m2.getObject(loggedIn(m2), key.handle());
    assertEquals(key, seen);
    assertEquals(1, cluster.objects("app").size());
  }

  @Test
  void sessions_belongToTheirMember() throws Exception {
    String sid = loggedIn(m1);
    assertEquals(ResultCode.CKR_SESSION_HANDLE_INVALID, refused(() -> m2.random(sid, 8)).code());
  }

  @Test
  void generatedEcKey_hasThePublicAttributesOfItsJdkKey_andSignsForTheJdk() throws Exception {
    String sid = loggedIn(m1);
    KeyringKeyPair kp =
        m1.generateKeyPair(
            sid,
            KeyGenParams.ec(Curve.P256),
            Attributes.builder().label("ec").build(),
            Attributes.builder().label("ec").build());
    assertEquals(kp.publicKey().toPublicKey(), kp.privateKey().toPublicKey());
    assertArrayEquals(
        kp.publicKey().attributes().bytes(AttributeType.CKA_ID).orElseThrow(),
        kp.privateKey().attributes().bytes(AttributeType.CKA_ID).orElseThrow());
    byte[] sig =
        m1.sign(
            sid, kp.privateKey().handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
    Signature jdk = Signature.getInstance("SHA256withECDSA");
    jdk.initVerify(kp.publicKey().toPublicKey());
    jdk.update(DATA);
    assertTrue(jdk.verify(sig));
    long pub = kp.publicKey().handle();
    Mechanism ecdsa = Mechanism.CKM_ECDSA_SHA256;
    assertTrue(m1.verify(sid, pub, ecdsa, MechanismParams.NONE, DATA, sig));
    assertFalse(m1.verify(sid, pub, ecdsa, MechanismParams.NONE, DATA, new byte[3]));
  }

  @Test
  void importedEcKey_getsThePublicPointOfItsPrivateScalar() throws Exception {
    String sid = loggedIn(m1);
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair soft = g.generateKeyPair();
    KeyringKeyPair transport =
        m1.generateKeyPair(
            sid,
            KeyGenParams.ec(Curve.P256),
            Attributes.empty(),
            Attributes.builder().flag(AttributeType.CKA_SIGN, false).build());
    KeyPairGenerator g256 = KeyPairGenerator.getInstance("EC");
    g256.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair mine = g256.generateKeyPair();
    javax.crypto.KeyAgreement ka = javax.crypto.KeyAgreement.getInstance("ECDH");
    ka.init(mine.getPrivate());
    ka.doPhase(transport.publicKey().toPublicKey(), true);
    byte[] shared = ka.generateSecret();
    KeyringObject derived =
        m1.deriveKey(
            sid,
            transport.privateKey().handle(),
            Mechanism.CKM_ECDH1_DERIVE,
            new MechanismParams.Ecdh(mine.getPublic().getEncoded()),
            Attributes.builder().keyType(KeyType.AES).flag(AttributeType.CKA_UNWRAP, true).build());
    Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding");
    kwp.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(shared, "AES"));
    KeyringObject imported =
        m1.unwrapKey(
            sid,
            derived.handle(),
            Mechanism.CKM_AES_KEY_WRAP_KWP,
            MechanismParams.NONE,
            kwp.doFinal(soft.getPrivate().getEncoded()),
            Attributes.builder().objectClass(ObjectClass.PRIVATE_KEY).keyType(KeyType.EC).build());
    assertEquals(soft.getPublic(), imported.toPublicKey());
  }

  @Test
  void multiPartSign_givesTheOneShotSignature() throws Exception {
    String sid = loggedIn(m1);
    KeyringObject hmac = m1.generateKey(sid, KeyGenParams.genericSecret(256), Attributes.empty());
    String op =
        m1.startOperation(
            sid,
            KeyringOperation.Kind.SIGN,
            hmac.handle(),
            Mechanism.CKM_SHA256_HMAC,
            MechanismParams.NONE);
    assertEquals(PartResult.NONE, m1.operationPart(sid, op, new byte[] {1, 2}, false, null));
    PartResult last = m1.operationPart(sid, op, new byte[] {3}, true, null);
    byte[] oneShot =
        m1.sign(
            sid,
            hmac.handle(),
            Mechanism.CKM_SHA256_HMAC,
            MechanismParams.NONE,
            new byte[] {1, 2, 3});
    assertTrue(MessageDigest.isEqual(oneShot, last.data()));
    assertEquals(
        ResultCode.CKR_OPERATION_NOT_INITIALIZED,
        refused(() -> m1.operationPart(sid, op, new byte[0], true, null)).code());
  }

  @Test
  void down_refusesToConnect_andServesNothing() throws Exception {
    String sid = loggedIn(m1);
    int before = m1.calls();
    m1.down();
    TransportException e = assertThrows(TransportException.class, () -> m1.random(sid, 8));
    assertEquals(TransportException.Kind.CONNECT, e.kind());
    assertEquals(before, m1.calls());
    m1.up();
    assertEquals(8, m1.random(sid, 8).length);
  }

  @Test
  void loseSessions_makesTheNextCallOnASession_sessionHandleInvalid() throws Exception {
    String sid = loggedIn(m1);
    m1.loseSessions();
    assertEquals(ResultCode.CKR_SESSION_HANDLE_INVALID, refused(() -> m1.random(sid, 8)).code());
    assertEquals(0, m1.openSessions());
  }

  @Test
  void cutOffNextWrite_carriesTheWriteOut_thenLosesItsAnswer_once() throws Exception {
    String sid = loggedIn(m1);
    m1.cutOffNextWrite();
    assertEquals(8, m1.random(sid, 8).length); // reads pass
    TransportException e =
        assertThrows(
            TransportException.class,
            () -> m1.generateKey(sid, KeyGenParams.aes(256), Attributes.empty()));
    assertEquals(TransportException.Kind.IO, e.kind());
    assertEquals(1, cluster.objects("app").size());
    assertEquals(1, m1.calls("generateKey"));
    m1.generateKey(sid, KeyGenParams.aes(256), Attributes.empty());
    assertEquals(2, cluster.objects("app").size());
  }

  @Test
  void failNextCall_beforeSending_servesNothing_andIo_servesIt() throws Exception {
    String sid = loggedIn(m1);
    m1.failNextCall(TransportException.Kind.CONNECT);
    assertThrows(TransportException.class, () -> m1.random(sid, 8));
    assertEquals(0, m1.calls("random"));
    m1.failNextCall(TransportException.Kind.IO);
    assertEquals(
        TransportException.Kind.IO,
        assertThrows(TransportException.class, () -> m1.random(sid, 8)).kind());
    assertEquals(1, m1.calls("random"));
    m1.failNextCall(TransportException.Kind.TLS);
    assertThrows(TransportException.class, () -> m1.random(sid, 8));
    assertEquals(1, m1.calls("random"));
  }

  @Test
  void readOnly_refusesWrites_writeProtected_andServesReads() throws Exception {
    String sid = loggedIn(m1);
    m1.readOnly(true);
    assertEquals(
        ResultCode.CKR_TOKEN_WRITE_PROTECTED,
        refused(() -> m1.generateKey(sid, KeyGenParams.aes(256), Attributes.empty())).code());
    assertTrue(cluster.objects("app").isEmpty());
    assertEquals(4, m1.random(sid, 4).length);
  }

  @Test
  void keyValues_neverAppearInObjectsOrTheirText() throws Exception {
    String sid = loggedIn(m1);
    KeyringObject aes = m1.generateKey(sid, KeyGenParams.aes(256), Attributes.empty());
    assertFalse(aes.attributes().has(AttributeType.CKA_VALUE));
    FakeObject inside = cluster.keyring("app").get(aes.handle());
    assertEquals("object " + aes.handle() + " (SECRET_KEY AES)", inside.toString());
    assertEquals(
        ResultCode.CKR_KEY_UNEXTRACTABLE,
        refused(
                () -> {
                  KeyringKeyPair kp =
                      m1.generateKeyPair(
                          sid, KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
                  KeyringObject w =
                      m1.generateKey(
                          sid,
                          KeyGenParams.aes(256),
                          Attributes.builder().flag(AttributeType.CKA_WRAP, true).build());
                  m1.wrapKey(
                      sid,
                      w.handle(),
                      Mechanism.CKM_AES_KEY_WRAP_KWP,
                      MechanismParams.NONE,
                      kp.privateKey().handle());
                })
            .code());
  }
}
