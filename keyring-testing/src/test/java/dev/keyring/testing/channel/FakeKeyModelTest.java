package dev.keyring.testing.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.Digest;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * A fake member keeps a member's key model (sim-backend's {@code KeyUseRules}): only AES keys
 * generated inside wrap, never with CKA_DECRYPT, only with AES-KWP; wrapping and private keys never
 * leave; an EC key signs or derives. Each rule is checked with the code a member answers.
 */
class FakeKeyModelTest {
  private static final String PASSWORD = "app-password-1";

  private final FakeCluster cluster = new FakeCluster(1);
  private final FakeMember m = cluster.member(0);
  private final String sid;

  FakeKeyModelTest() throws TransportException {
    cluster.createKeyring("app", PASSWORD);
    sid = m.openSession("app").sessionId();
    m.login(sid, Role.KRCO, PASSWORD);
  }

  @FunctionalInterface
  private interface Call {
    void run() throws Exception;
  }

  private static void assertRefused(ResultCode code, Call call) {
    HsmException e = assertThrows(HsmException.class, call::run);
    assertEquals(code, e.code(), e.getMessage());
  }

  private static Attributes flags(AttributeType... set) {
    Attributes.Builder b = Attributes.builder();
    for (AttributeType t : set) {
      b.flag(t, true);
    }
    return b.build();
  }

  private KeyringObject aes(Attributes template) throws TransportException {
    return m.generateKey(sid, KeyGenParams.aes(256), template);
  }

  private KeyringKeyPair ec(boolean sign) throws TransportException {
    return m.generateKeyPair(
        sid,
        KeyGenParams.ec(Curve.P256),
        Attributes.empty(),
        Attributes.builder().flag(AttributeType.CKA_SIGN, sign).build());
  }

  private static KeyPair softwareP256() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private KeyringObject derive(long base, KeyPair peer, Attributes template)
      throws TransportException {
    return m.deriveKey(
        sid,
        base,
        Mechanism.CKM_ECDH1_DERIVE,
        new MechanismParams.Ecdh(peer.getPublic().getEncoded()),
        template.toBuilder().keyType(KeyType.AES).build());
  }

  private byte[] wrap(KeyringObject w, KeyringObject target) throws TransportException {
    return m.wrapKey(
        sid, w.handle(), Mechanism.CKM_AES_KEY_WRAP_KWP, MechanismParams.NONE, target.handle());
  }

  @Test
  void probe_deriveWithAPeerKeyTheCallerHolds_thenWrap_isRefused() throws Exception {
    KeyringObject secret = aes(Attributes.empty());
    KeyPair callers = softwareP256();
    KeyringKeyPair agreement = ec(false);
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () -> derive(agreement.privateKey().handle(), callers, flags(AttributeType.CKA_WRAP)));
    KeyringObject known = derive(agreement.privateKey().handle(), callers, Attributes.empty());
    assertFalse(known.attributes().flag(AttributeType.CKA_WRAP, false));
    assertRefused(ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED, () -> wrap(known, secret));
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () -> derive(ec(true).privateKey().handle(), callers, Attributes.empty()));
  }

  @Test
  void unwrappedKey_askedToWrap_isInconsistent() throws Exception {
    KeyringObject kek = aes(flags(AttributeType.CKA_WRAP, AttributeType.CKA_UNWRAP));
    byte[] wrapped = wrap(kek, aes(Attributes.empty()));
    Attributes asWrapping =
        flags(AttributeType.CKA_WRAP).toBuilder()
            .objectClass(ObjectClass.SECRET_KEY)
            .keyType(KeyType.AES)
            .build();
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () ->
            m.unwrapKey(
                sid,
                kek.handle(),
                Mechanism.CKM_AES_KEY_WRAP_KWP,
                MechanismParams.NONE,
                wrapped,
                asWrapping));
  }

  @Test
  void wrapWithDecrypt_andWrapOnOtherKeys_areInconsistent() throws Exception {
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () -> aes(flags(AttributeType.CKA_WRAP, AttributeType.CKA_DECRYPT)));
    assertFalse(
        aes(flags(AttributeType.CKA_WRAP)).attributes().flag(AttributeType.CKA_DECRYPT, true));
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () ->
            m.generateKeyPair(
                sid, KeyGenParams.rsa(2048), flags(AttributeType.CKA_WRAP), Attributes.empty()));
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () -> m.generateKey(sid, KeyGenParams.genericSecret(256), flags(AttributeType.CKA_WRAP)));
    Attributes callersPublicKey =
        PublicKeyAttributes.of(softwareP256().getPublic()).toBuilder()
            .objectClass(ObjectClass.PUBLIC_KEY)
            .flag(AttributeType.CKA_WRAP, true)
            .build();
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT, () -> m.createObject(sid, callersPublicKey));
  }

  @Test
  void wrap_withRsaOaep_isAnInvalidMechanism_andWrappingKeysNeverLeave() throws Exception {
    KeyringObject kek = aes(flags(AttributeType.CKA_WRAP));
    KeyringKeyPair rsa =
        m.generateKeyPair(sid, KeyGenParams.rsa(2048), Attributes.empty(), Attributes.empty());
    assertRefused(
        ResultCode.CKR_MECHANISM_INVALID,
        () ->
            m.wrapKey(
                sid,
                rsa.publicKey().handle(),
                Mechanism.CKM_RSA_PKCS_OAEP,
                new MechanismParams.Oaep(Digest.SHA256, Digest.SHA256, null),
                aes(Attributes.empty()).handle()));
    assertRefused(ResultCode.CKR_KEY_UNEXTRACTABLE, () -> wrap(kek, kek));
    assertRefused(
        ResultCode.CKR_KEY_UNEXTRACTABLE, () -> wrap(kek, aes(flags(AttributeType.CKA_WRAP))));
  }

  @Test
  void ecKey_withoutCkaSign_derivesTheSecretThePeerComputes_andDoesNotSign() throws Exception {
    KeyringKeyPair agreement = ec(false);
    KeyPair peer = softwareP256();
    KeyringObject derived = derive(agreement.privateKey().handle(), peer, Attributes.empty());
    KeyAgreement ka = KeyAgreement.getInstance("ECDH");
    ka.init(peer.getPrivate());
    ka.doPhase(agreement.publicKey().toPublicKey(), true);
    byte[] iv = new byte[12];
    byte[] ct =
        m.encrypt(
            sid,
            derived.handle(),
            Mechanism.CKM_AES_GCM,
            new MechanismParams.Gcm(iv, null, 128),
            new byte[] {1, 2, 3});
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(
        Cipher.DECRYPT_MODE,
        new SecretKeySpec(ka.generateSecret(), "AES"),
        new javax.crypto.spec.GCMParameterSpec(128, iv));
    assertEquals(3, gcm.doFinal(ct).length);
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () ->
            m.sign(
                sid,
                agreement.privateKey().handle(),
                Mechanism.CKM_ECDSA_SHA256,
                MechanismParams.NONE,
                new byte[32]));
  }

  @Test
  void relabeledWrappingKey_stillWraps() throws Exception {
    KeyringObject kek = aes(flags(AttributeType.CKA_WRAP));
    m.setAttributes(sid, kek.handle(), Attributes.builder().label("renamed").build());
    assertEquals(40, wrap(kek, aes(Attributes.empty())).length);
  }
}
