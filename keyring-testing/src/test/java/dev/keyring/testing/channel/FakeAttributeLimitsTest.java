package dev.keyring.testing.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.junit.jupiter.api.Test;

/**
 * A fake member limits CKA_LABEL and CKA_ID as a member does ({@link KeyringLimits}), on create,
 * generate, unwrap, derive and set-attribute.
 */
class FakeAttributeLimitsTest {
  private static final String PASSWORD = "app-password-1";

  private final FakeCluster cluster = new FakeCluster(1);
  private final FakeMember m = cluster.member(0);
  private final String sid;

  FakeAttributeLimitsTest() throws TransportException {
    cluster.createKeyring("app", PASSWORD);
    sid = m.openSession("app").sessionId();
    m.login(sid, Role.KRCO, PASSWORD);
  }

  @FunctionalInterface
  private interface Make {
    KeyringObject with(Attributes extra) throws Exception;
  }

  private void assertLimited(String path, Make make) throws Exception {
    int before = cluster.objects("app").size();
    for (Attributes extra :
        new Attributes[] {
          Attributes.builder().label("x".repeat(KeyringLimits.MAX_LABEL_BYTES + 1)).build(),
          Attributes.builder().label("€".repeat(KeyringLimits.MAX_LABEL_BYTES / 3 + 1)).build(),
          Attributes.builder().id(new byte[KeyringLimits.MAX_ID_BYTES + 1]).build()
        }) {
      HsmException e = assertThrows(HsmException.class, () -> make.with(extra), path);
      assertEquals(ResultCode.CKR_ATTRIBUTE_VALUE_INVALID, e.code(), path);
    }
    assertEquals(before, cluster.objects("app").size(), path + " stored something");
    String longest = "l".repeat(KeyringLimits.MAX_LABEL_BYTES);
    KeyringObject ok =
        make.with(
            Attributes.builder().label(longest).id(new byte[KeyringLimits.MAX_ID_BYTES]).build());
    assertEquals(longest, ok.attributes().label().orElseThrow(), path);
  }

  @Test
  void everyPathThatMakesOrChangesAnObject_limitsLabelAndId() throws Exception {
    assertLimited(
        "create",
        a ->
            m.createObject(
                sid,
                a.toBuilder()
                    .objectClass(ObjectClass.DATA)
                    .set(AttributeType.CKA_VALUE, new byte[] {1})
                    .build()));
    assertLimited("generate", a -> m.generateKey(sid, KeyGenParams.aes(128), a));
    assertLimited(
        "generate pair",
        a ->
            m.generateKeyPair(sid, KeyGenParams.ec(Curve.P256), Attributes.empty(), a)
                .privateKey());

    KeyringObject kek =
        m.generateKey(
            sid,
            KeyGenParams.aes(256),
            Attributes.builder()
                .flag(AttributeType.CKA_WRAP, true)
                .flag(AttributeType.CKA_UNWRAP, true)
                .build());
    byte[] wrapped =
        m.wrapKey(
            sid,
            kek.handle(),
            Mechanism.CKM_AES_KEY_WRAP_KWP,
            MechanismParams.NONE,
            m.generateKey(sid, KeyGenParams.aes(128), Attributes.empty()).handle());
    assertLimited(
        "unwrap",
        a ->
            m.unwrapKey(
                sid,
                kek.handle(),
                Mechanism.CKM_AES_KEY_WRAP_KWP,
                MechanismParams.NONE,
                wrapped,
                a.toBuilder().objectClass(ObjectClass.SECRET_KEY).keyType(KeyType.AES).build()));

    long agreement =
        m.generateKeyPair(
                sid,
                KeyGenParams.ec(Curve.P256),
                Attributes.empty(),
                Attributes.builder().flag(AttributeType.CKA_SIGN, false).build())
            .privateKey()
            .handle();
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    byte[] peer = g.generateKeyPair().getPublic().getEncoded();
    assertLimited(
        "derive",
        a ->
            m.deriveKey(
                sid, agreement, Mechanism.CKM_ECDH1_DERIVE, new MechanismParams.Ecdh(peer), a));

    KeyringObject target = m.generateKey(sid, KeyGenParams.aes(128), Attributes.empty());
    assertLimited("set", a -> m.setAttributes(sid, target.handle(), a));
  }
}
