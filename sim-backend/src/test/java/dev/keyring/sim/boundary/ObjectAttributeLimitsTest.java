package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.keyring.store.ObjectRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CKA_LABEL and CKA_ID have a size limit ({@link KeyringLimits}) on every path that makes or
 * changes an object: create, generate (secret keys and both halves of a pair), unwrap, derive and
 * set-attribute. Over it, CKR_ATTRIBUTE_VALUE_INVALID and nothing stored; at it, accepted.
 */
class ObjectAttributeLimitsTest {
  private static final String LONGEST_LABEL = "l".repeat(KeyringLimits.MAX_LABEL_BYTES);
  private static final String HUGE_LABEL = "h".repeat(5_000_000);

  @TempDir Path dir;

  private TestKeyring kr;

  @BeforeEach
  void setUp() {
    kr = new TestKeyring(dir);
  }

  @AfterEach
  void tearDown() {
    kr.close();
  }

  /** The attribute sets each path is tried with: too long a label, too long an ID. */
  private static Attributes[] tooLarge() {
    return new Attributes[] {
      Attributes.builder().label("x".repeat(KeyringLimits.MAX_LABEL_BYTES + 1)).build(),
      Attributes.builder().label("€".repeat(KeyringLimits.MAX_LABEL_BYTES / 3 + 1)).build(),
      Attributes.builder().label(HUGE_LABEL).build(),
      Attributes.builder().id(new byte[KeyringLimits.MAX_ID_BYTES + 1]).build()
    };
  }

  /** Each over-sized set is refused, the refusal does not repeat it, and nothing is stored. */
  private void assertLimited(String path, Function<Attributes, ObjectRecord> make) {
    int before = kr.store.objectCount(kr.keyringId);
    for (Attributes extra : tooLarge()) {
      HsmException e = assertThrows(HsmException.class, () -> make.apply(extra), path);
      assertEquals(ResultCode.CKR_ATTRIBUTE_VALUE_INVALID, e.code(), path + ": " + e.detail());
      assertFalse(e.getMessage().contains("xxxxxxxxxx"), path + " repeated the label");
      assertFalse(e.getMessage().contains("hhhhhhhhhh"), path + " repeated the label");
    }
    assertEquals(before, kr.store.objectCount(kr.keyringId), path + " stored something");
    ObjectRecord ok =
        make.apply(
            Attributes.builder()
                .label(LONGEST_LABEL)
                .id(new byte[KeyringLimits.MAX_ID_BYTES])
                .build());
    assertEquals(LONGEST_LABEL, ok.attributes().label().orElseThrow(), path);
  }

  @Test
  void create_ofDataObjectsAndPublicKeys() throws Exception {
    assertLimited(
        "create data",
        a ->
            kr.boundary.createObject(
                kr.keyringId,
                a.toBuilder()
                    .objectClass(ObjectClass.DATA)
                    .set(AttributeType.CKA_VALUE, new byte[] {1})
                    .build()));
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    java.security.PublicKey pub = g.generateKeyPair().getPublic();
    assertLimited("create public key", a -> kr.importPublicKey(pub, a));
  }

  @Test
  void generate_ofSecretKeys_andOfEitherHalfOfAPair() {
    assertLimited("generate", a -> kr.boundary.generateKey(kr.keyringId, KeyGenParams.aes(128), a));
    assertLimited(
        "generate pair, public half",
        a ->
            kr.boundary
                .generateKeyPair(kr.keyringId, KeyGenParams.ec(Curve.P256), a, Attributes.empty())
                .publicKey());
    assertLimited(
        "generate pair, private half",
        a ->
            kr.boundary
                .generateKeyPair(kr.keyringId, KeyGenParams.ec(Curve.P256), Attributes.empty(), a)
                .privateKey());
  }

  @Test
  void unwrap() {
    byte[] raw = new byte[32];
    assertLimited("unwrap", a -> kr.importSecretKey(KeyType.AES, raw, a));
  }

  @Test
  void derive() throws Exception {
    long agreement =
        kr.boundary
            .generateKeyPair(
                kr.keyringId,
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
            kr.boundary.deriveKey(
                kr.keyringId,
                agreement,
                Mechanism.CKM_ECDH1_DERIVE,
                new MechanismParams.Ecdh(peer),
                a));
  }

  @Test
  void setAttributes_onKeysAndOnObjectsWithoutSecret() {
    ObjectRecord key = kr.boundary.generateKey(kr.keyringId, KeyGenParams.aes(128), labelled());
    ObjectRecord data =
        kr.boundary.createObject(
            kr.keyringId,
            labelled().toBuilder()
                .objectClass(ObjectClass.DATA)
                .set(AttributeType.CKA_VALUE, new byte[] {1})
                .build());
    for (ObjectRecord o : new ObjectRecord[] {key, data}) {
      for (Attributes extra : tooLarge()) {
        HsmException e =
            assertThrows(
                HsmException.class,
                () -> kr.boundary.setAttributes(kr.keyringId, o.handle(), extra));
        assertEquals(ResultCode.CKR_ATTRIBUTE_VALUE_INVALID, e.code());
      }
      assertEquals(
          "before",
          kr.store.object(kr.keyringId, o.handle()).orElseThrow().attributes().label().get());
      kr.boundary.setAttributes(
          kr.keyringId, o.handle(), Attributes.builder().label(LONGEST_LABEL).build());
    }
  }

  private static Attributes labelled() {
    return Attributes.builder().label("before").build();
  }

  @Test
  void label_isCountedInUtf8Bytes() {
    String twoByte = "é".repeat(KeyringLimits.MAX_LABEL_BYTES / 2);
    assertEquals(KeyringLimits.MAX_LABEL_BYTES, twoByte.getBytes(StandardCharsets.UTF_8).length);
    kr.boundary.generateKey(
        kr.keyringId, KeyGenParams.aes(128), Attributes.builder().label(twoByte).build());
    HsmException e =
        assertThrows(
            HsmException.class,
            () ->
                kr.boundary.generateKey(
                    kr.keyringId,
                    KeyGenParams.aes(128),
                    Attributes.builder().label(twoByte + "a").build()));
    assertEquals(ResultCode.CKR_ATTRIBUTE_VALUE_INVALID, e.code());
  }

  @Test
  void refusalsAboutAnObject_nameItByHandle_notByLabel() {
    ObjectRecord aes =
        kr.boundary.generateKey(
            kr.keyringId, KeyGenParams.aes(128), Attributes.builder().label(LONGEST_LABEL).build());
    HsmException e =
        assertThrows(
            HsmException.class,
            () ->
                kr.boundary.sign(
                    kr.keyringId,
                    aes.handle(),
                    Mechanism.CKM_SHA256_HMAC,
                    MechanismParams.NONE,
                    new byte[] {1}));
    assertEquals(ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED, e.code());
    assertTrue(e.getMessage().contains("object " + aes.handle()), e.getMessage());
    assertFalse(e.getMessage().contains("llllllll"), e.getMessage());
  }
}
