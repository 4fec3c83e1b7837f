package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.keyring.store.ObjectRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key model of {@link KeyUseRules}, rule by rule, and the extraction it closes: a caller who
 * derives a key with a peer key of its own knows that key's value, and must not be able to wrap
 * other keys under it.
 */
class KeyUseRulesTest {
  private static final byte[] DATA = "data".getBytes(StandardCharsets.UTF_8);
  private static final SecureRandom RANDOM = new SecureRandom();

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

  // ---------------------------------------------------------------- helpers

  private Boundary b() {
    return kr.boundary;
  }

  private UUID ring() {
    return kr.keyringId;
  }

  private static Attributes flags(AttributeType... set) {
    Attributes.Builder a = Attributes.builder();
    for (AttributeType t : set) {
      a.flag(t, true);
    }
    return a.build();
  }

  private static HsmException assertRefused(ResultCode code, Executable op) {
    HsmException e = assertThrows(HsmException.class, op);
    assertEquals(code, e.code(), () -> "wrong result code: " + e.getMessage());
    return e;
  }

  private ObjectRecord generateAes(Attributes template) {
    return b().generateKey(ring(), KeyGenParams.aes(256), template);
  }

  private ObjectRecord wrappingKey() {
    return generateAes(flags(AttributeType.CKA_WRAP, AttributeType.CKA_UNWRAP));
  }

  private KeyPairObjects keyAgreementKey() {
    return b().generateKeyPair(
            ring(),
            KeyGenParams.ec(Curve.P256),
            Attributes.empty(),
            Attributes.builder().flag(AttributeType.CKA_SIGN, false).build());
  }

  private static KeyPair softwareP256() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private ObjectRecord derive(long base, KeyPair peer, Attributes template) {
    return b().deriveKey(
            ring(),
            base,
            Mechanism.CKM_ECDH1_DERIVE,
            new MechanismParams.Ecdh(peer.getPublic().getEncoded()),
            template.toBuilder().keyType(KeyType.AES).build());
  }

  private byte[] wrap(ObjectRecord wrapping, ObjectRecord target) {
    return b().wrapKey(
            ring(),
            wrapping.handle(),
            Mechanism.CKM_AES_KEY_WRAP_KWP,
            MechanismParams.NONE,
            target.handle());
  }

  private static KeyOrigin origin(ObjectRecord rec) {
    return SksBlob.origin(SksBlob.parseHeader(rec.blob(), "test"));
  }

  /**
   * Rewrites a stored secret key as an older member could have stored it: with {@code attrs} and
   * {@code origin}, sealed under the keyring's SMK.
   */
  private void storeAs(ObjectRecord rec, byte[] raw, Attributes attrs, KeyOrigin origin) {
    SmkVault vault =
        SmkVault.open(
            dir.resolve("hsm/device.key"), RANDOM, java.security.Security.getProvider("SunJCE"));
    vault.load(kr.smk);
    byte[] blob =
        vault.seal(
            SksBlob.KIND_RAW_SECRET,
            KeyType.AES,
            origin,
            SecretBytes.adopt(raw.clone()),
            kr.clusterId,
            ring(),
            rec.objectId(),
            attrs);
    kr.store.write(
        tx -> {
          tx.updateObject(rec.withAttributesAndBlob(attrs, blob));
          return null;
        });
    b().evictObject(ring(), rec.handle());
  }

  // ---------------------------------------------------------------- the probe

  @Test
  void probe_deriveWithAPeerKeyTheCallerHolds_thenWrap_isRefusedAtEveryStep() throws Exception {
    ObjectRecord secretAes = generateAes(Attributes.empty());
    ObjectRecord secretHmac =
        b().generateKey(ring(), KeyGenParams.genericSecret(256), Attributes.empty());
    KeyPair callers = softwareP256();
    KeyPairObjects agreement = keyAgreementKey();

    // 1. an AES key derived with the caller's peer key, asked to wrap: refused at derive
    HsmException e =
        assertRefused(
            ResultCode.CKR_TEMPLATE_INCONSISTENT,
            () ->
                derive(
                    agreement.privateKey().handle(),
                    callers,
                    flags(AttributeType.CKA_WRAP, AttributeType.CKA_UNWRAP)));
    assertTrue(e.detail().contains("CKA_WRAP"), e.detail());

    // 2. derived without CKA_WRAP it exists (the caller can compute its value) but wraps nothing
    ObjectRecord known = derive(agreement.privateKey().handle(), callers, Attributes.empty());
    assertFalse(known.attributes().flag(AttributeType.CKA_WRAP, false));
    assertEquals(KeyOrigin.OUTSIDE, origin(known));
    for (ObjectRecord target : new ObjectRecord[] {secretAes, secretHmac}) {
      assertRefused(ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED, () -> wrap(known, target));
    }

    // 3. the signing EC key (CKA_SIGN, the default) does not derive at all
    KeyPairObjects signing =
        b().generateKeyPair(
                ring(), KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () -> derive(signing.privateKey().handle(), callers, Attributes.empty()));

    // 4. the keys can still be wrapped out, under a wrapping key generated inside, and the
    // wrapped form is no use with the key the caller knows
    byte[] wrapped = wrap(wrappingKey(), secretAes);
    KeyAgreement ka = KeyAgreement.getInstance("ECDH");
    ka.init(callers.getPrivate());
    ka.doPhase(PublicKeyAttributes.toPublicKey(agreement.publicKey().attributes()), true);
    Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding", "SunJCE");
    kwp.init(Cipher.UNWRAP_MODE, new SecretKeySpec(ka.generateSecret(), "AES"));
    assertThrows(
        java.security.GeneralSecurityException.class,
        () -> kwp.unwrap(wrapped, "AES", Cipher.SECRET_KEY));
  }

  // ---------------------------------------------------------------- rule 1: who may wrap

  @Test
  void aesKeyGeneratedInside_mayWrap_andDecryptsByDefaultOnlyWhenItDoesNot() {
    ObjectRecord w = wrappingKey();
    assertTrue(w.attributes().flag(AttributeType.CKA_WRAP, false));
    assertFalse(w.attributes().flag(AttributeType.CKA_DECRYPT, true));
    assertEquals(KeyOrigin.INSIDE, origin(w));
    ObjectRecord data = generateAes(Attributes.empty());
    assertTrue(data.attributes().flag(AttributeType.CKA_DECRYPT, false));
    assertEquals(32 + 8, wrap(w, data).length);
  }

  @Test
  void unwrappedKey_askedToWrap_isInconsistent_andComesInFromOutside() {
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () -> kr.importSecretKey(KeyType.AES, raw, flags(AttributeType.CKA_WRAP)));
    ObjectRecord imported = kr.importSecretKey(KeyType.AES, raw, flags(AttributeType.CKA_UNWRAP));
    assertEquals(KeyOrigin.OUTSIDE, origin(imported));
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () -> wrap(imported, generateAes(Attributes.empty())));
  }

  @Test
  void derivedKey_askedToWrap_isInconsistent() throws Exception {
    KeyPairObjects agreement = keyAgreementKey();
    KeyPair peer = softwareP256();
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () -> derive(agreement.privateKey().handle(), peer, flags(AttributeType.CKA_WRAP)));
  }

  @Test
  void ckaWrap_onPublicKeys_privateKeys_andGenericSecrets_isInconsistent() throws Exception {
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () ->
            b().generateKeyPair(
                    ring(),
                    KeyGenParams.rsa(2048),
                    flags(AttributeType.CKA_WRAP),
                    Attributes.empty()));
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () ->
            b().generateKeyPair(
                    ring(),
                    KeyGenParams.rsa(2048),
                    Attributes.empty(),
                    flags(AttributeType.CKA_WRAP)));
    // a public key the caller brings (and so may hold the private half of)
    Attributes callersPublicKey =
        PublicKeyAttributes.of(softwareP256().getPublic()).toBuilder()
            .objectClass(ObjectClass.PUBLIC_KEY)
            .flag(AttributeType.CKA_WRAP, true)
            .build();
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT, () -> b().createObject(ring(), callersPublicKey));
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () ->
            b().generateKey(
                    ring(), KeyGenParams.genericSecret(256), flags(AttributeType.CKA_WRAP)));
  }

  // ---------------------------------------------------------------- rule 2: wrap xor decrypt

  @Test
  void wrapAndDecrypt_together_areInconsistent() {
    assertRefused(
        ResultCode.CKR_TEMPLATE_INCONSISTENT,
        () -> generateAes(flags(AttributeType.CKA_WRAP, AttributeType.CKA_DECRYPT)));
  }

  // ---------------------------------------------------------------- rule 3: how keys are wrapped

  @Test
  void wrap_withRsaOaep_isAnInvalidMechanism() {
    ObjectRecord target = generateAes(Attributes.empty());
    KeyPairObjects rsa =
        b().generateKeyPair(ring(), KeyGenParams.rsa(2048), Attributes.empty(), Attributes.empty());
    for (ObjectRecord k : new ObjectRecord[] {rsa.publicKey(), rsa.privateKey(), wrappingKey()}) {
      assertRefused(
          ResultCode.CKR_MECHANISM_INVALID,
          () ->
              b().wrapKey(
                      ring(),
                      k.handle(),
                      Mechanism.CKM_RSA_PKCS_OAEP,
                      new MechanismParams.Oaep(Digest.SHA256, Digest.SHA256, null),
                      target.handle()));
    }
  }

  @Test
  void storedWrappingKey_thatCameFromOutside_mayNotWrap() {
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    ObjectRecord imported = kr.importSecretKey(KeyType.AES, raw, Attributes.empty());
    Attributes asWrapping =
        imported.attributes().toBuilder()
            .flag(AttributeType.CKA_WRAP, true)
            .flag(AttributeType.CKA_DECRYPT, false)
            .build();
    storeAs(imported, raw, asWrapping, KeyOrigin.OUTSIDE);
    ObjectRecord target = generateAes(Attributes.empty());
    HsmException e =
        assertRefused(ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED, () -> wrap(imported, target));
    assertTrue(e.detail().contains("not generated on the keyring"), e.detail());

    // the same key as if generated inside wraps: the origin alone decided
    storeAs(imported, raw, asWrapping, KeyOrigin.INSIDE);
    wrap(imported, target);
  }

  @Test
  void storedWrappingKey_thatAlsoDecrypts_mayNotWrap() {
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    ObjectRecord key = kr.importSecretKey(KeyType.AES, raw, Attributes.empty());
    Attributes both =
        key.attributes().toBuilder()
            .flag(AttributeType.CKA_WRAP, true)
            .flag(AttributeType.CKA_DECRYPT, true)
            .build();
    storeAs(key, raw, both, KeyOrigin.INSIDE);
    HsmException e =
        assertRefused(
            ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
            () -> wrap(key, generateAes(Attributes.empty())));
    assertTrue(e.detail().contains("CKA_DECRYPT"), e.detail());
  }

  @Test
  void version1Blob_countsAsComingFromOutside() {
    assertEquals(KeyOrigin.OUTSIDE, SksBlob.origin(new byte[SksBlob.V1_HEADER_LENGTH]));
  }

  // ---------------------------------------------------------------- rule 4: what may leave

  @Test
  void wrappingKeys_andPrivateKeys_neverLeave() {
    ObjectRecord w = wrappingKey();
    ObjectRecord other = wrappingKey();
    HsmException e = assertRefused(ResultCode.CKR_KEY_UNEXTRACTABLE, () -> wrap(w, other));
    assertTrue(e.detail().contains("CKA_WRAP"), e.detail());
    assertRefused(ResultCode.CKR_KEY_UNEXTRACTABLE, () -> wrap(w, w));
    assertRefused(ResultCode.CKR_KEY_UNEXTRACTABLE, () -> wrap(w, keyAgreementKey().privateKey()));
  }

  @Test
  void unwrapOnlyKey_andImportedKeys_mayLeave_underAWrappingKey() {
    ObjectRecord w = wrappingKey();
    ObjectRecord unwrapOnly = generateAes(flags(AttributeType.CKA_UNWRAP));
    byte[] raw = new byte[20];
    RANDOM.nextBytes(raw);
    ObjectRecord imported = kr.importSecretKey(KeyType.GENERIC_SECRET, raw, Attributes.empty());
    assertEquals(40, wrap(w, unwrapOnly).length);
    assertEquals(24 + 8, wrap(w, imported).length);
  }

  // ---------------------------------------------------------------- rule 5: EC keys sign or agree

  @Test
  void ecKey_signsOrDerives_neverBoth() throws Exception {
    KeyPair peer = softwareP256();
    KeyPairObjects signing =
        b().generateKeyPair(
                ring(), KeyGenParams.ec(Curve.P256), Attributes.empty(), Attributes.empty());
    b().sign(
            ring(),
            signing.privateKey().handle(),
            Mechanism.CKM_ECDSA_SHA256,
            MechanismParams.NONE,
            DATA);
    HsmException e =
        assertRefused(
            ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
            () -> derive(signing.privateKey().handle(), peer, Attributes.empty()));
    assertTrue(e.detail().contains("CKA_SIGN"), e.detail());

    KeyPairObjects agreement = keyAgreementKey();
    derive(agreement.privateKey().handle(), peer, Attributes.empty());
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () ->
            b().sign(
                    ring(),
                    agreement.privateKey().handle(),
                    Mechanism.CKM_ECDSA_SHA256,
                    MechanismParams.NONE,
                    DATA));
  }

  // ---------------------------------------------------------------- rule 6: derived keys

  @Test
  void derivedKey_comesFromOutside_andDecryptsUnwrapsAndSigns_asItsFlagsSay() throws Exception {
    KeyPairObjects agreement = keyAgreementKey();
    KeyPair peer = softwareP256();
    ObjectRecord derived =
        derive(
            agreement.privateKey().handle(),
            peer,
            flags(AttributeType.CKA_DECRYPT, AttributeType.CKA_UNWRAP));
    assertEquals(KeyOrigin.OUTSIDE, origin(derived));
    byte[] ct =
        b().encrypt(ring(), derived.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA);
    assertArrayEquals(
        DATA,
        b().decrypt(ring(), derived.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, ct));

    ObjectRecord hmac =
        b().deriveKey(
                ring(),
                agreement.privateKey().handle(),
                Mechanism.CKM_ECDH1_DERIVE,
                new MechanismParams.Ecdh(peer.getPublic().getEncoded()),
                Attributes.empty());
    KeyAgreement ka = KeyAgreement.getInstance("ECDH");
    ka.init(peer.getPrivate());
    ka.doPhase(PublicKeyAttributes.toPublicKey(agreement.publicKey().attributes()), true);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(ka.generateSecret(), "HmacSHA256"));
    assertArrayEquals(
        mac.doFinal(DATA),
        b().sign(ring(), hmac.handle(), Mechanism.CKM_SHA256_HMAC, MechanismParams.NONE, DATA));
  }

  // ---------------------------------------------------------------- the origin is kept

  @Test
  void origin_ofGeneratedKeys_isInside_andSurvivesARelabel() {
    ObjectRecord w = wrappingKey();
    KeyPairObjects pair = keyAgreementKey();
    assertEquals(KeyOrigin.INSIDE, origin(pair.privateKey()));
    ObjectRecord renamed =
        b().setAttributes(ring(), w.handle(), Attributes.builder().label("renamed").build());
    assertEquals(KeyOrigin.INSIDE, origin(renamed));
    assertEquals(32 + 8, wrap(renamed, generateAes(Attributes.empty())).length);
  }
}
