package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.MechanismSpec;
import dev.keyring.protocol.wire.WireJson;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import javax.crypto.Cipher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CKM_RSA_PKCS decryption of a TLS RSA premaster secret: always 48 bytes, the plaintext only when
 * it is 48 bytes with the client's version in front, otherwise fresh random bytes that start with
 * the client's version; never an error for what the ciphertext holds. Ciphertexts are made with the
 * JDK and the public key.
 */
class TlsPremasterDecryptTest {
  private static final int TLS12 = 0x0303;
  private static final int TLS10 = 0x0301;
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir static Path dir;

  private static TestKeyring kr;
  private static KeyPairObjects rsa;
  private static PublicKey pub;

  @BeforeAll
  static void setUp() {
    kr = new TestKeyring(dir);
    rsa =
        kr.boundary.generateKeyPair(
            kr.keyringId,
            KeyGenParams.rsa(2048),
            Attributes.builder().label("tls-rsa").build(),
            Attributes.builder().label("tls-rsa").build());
    pub = PublicKeyAttributes.toPublicKey(rsa.publicKey().attributes());
  }

  @AfterAll
  static void tearDown() {
    if (kr != null) {
      kr.close();
    }
  }

  private static byte[] decrypt(MechanismParams p, byte[] ct) {
    return kr.boundary.decrypt(
        kr.keyringId, rsa.privateKey().handle(), Mechanism.CKM_RSA_PKCS, p, ct);
  }

  private static byte[] premaster(int version) {
    byte[] pm = new byte[48];
    RANDOM.nextBytes(pm);
    pm[0] = (byte) (version >>> 8);
    pm[1] = (byte) version;
    return pm;
  }

  private static byte[] jdkEncrypt(byte[] plain) throws Exception {
    Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
    c.init(Cipher.ENCRYPT_MODE, pub);
    return c.doFinal(plain);
  }

  private static void assertReplacement(int clientVersion, byte[] out, byte[] notThis) {
    assertEquals(48, out.length);
    assertEquals((byte) (clientVersion >>> 8), out[0]);
    assertEquals((byte) clientVersion, out[1]);
    if (notThis != null) {
      assertFalse(Arrays.equals(notThis, out), "the plaintext came back");
    }
  }

  private static HsmException assertRefused(ResultCode code, Executable op) {
    HsmException e = assertThrows(HsmException.class, op);
    assertEquals(code, e.code(), () -> "wrong result code: " + e.getMessage());
    return e;
  }

  @Test
  void aValidPremaster_withTheClientVersion_comesBack() throws Exception {
    byte[] pm = premaster(TLS12);
    assertArrayEquals(pm, decrypt(new MechanismParams.TlsPremaster(TLS12, TLS12), jdkEncrypt(pm)));
  }

  @Test
  void theWrongVersion_givesRandomBytesWithTheClientVersion() throws Exception {
    byte[] pm = premaster(0x0302);
    byte[] ct = jdkEncrypt(pm);
    byte[] out = decrypt(new MechanismParams.TlsPremaster(TLS12, TLS12), ct);
    assertReplacement(TLS12, out, pm);
    // from TLS 1.2 on, the negotiated version in its place is no excuse either
    assertReplacement(TLS12, decrypt(new MechanismParams.TlsPremaster(TLS12, 0x0302), ct), pm);
  }

  @Test
  void aTls10Client_mayPutTheNegotiatedVersionThere_asTheJdkAllows() throws Exception {
    byte[] pm = premaster(0x0300);
    byte[] ct = jdkEncrypt(pm);
    assertArrayEquals(pm, decrypt(new MechanismParams.TlsPremaster(TLS10, 0x0300), ct));
    assertReplacement(TLS10, decrypt(new MechanismParams.TlsPremaster(TLS10, TLS10), ct), pm);
  }

  @Test
  void randomCiphertext_givesRandomBytesWithTheClientVersion_andNoError() {
    MechanismParams p = new MechanismParams.TlsPremaster(TLS12, TLS12);
    BigInteger n = ((RSAPublicKey) pub).getModulus();
    for (int i = 0; i < 20; i++) {
      byte[] ct = new byte[256];
      RANDOM.nextBytes(ct);
      ct[0] &= 0x7f; // below the modulus, so the engine pads-checks rather than refusing the value
      assertTrue(new BigInteger(1, ct).compareTo(n) < 0);
      assertReplacement(TLS12, decrypt(p, ct), null);
    }
    // a value above the modulus is refused by the engine, and that too is hidden
    byte[] big = new byte[256];
    Arrays.fill(big, (byte) 0xff);
    assertReplacement(TLS12, decrypt(p, big), null);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 46, 47, 49, 50, 100})
  void aPlaintextOfAnotherLength_givesRandomBytes_evenWithTheRightVersion(int length)
      throws Exception {
    byte[] plain = new byte[length];
    RANDOM.nextBytes(plain);
    if (length >= 2) {
      plain[0] = 0x03;
      plain[1] = 0x03;
    }
    byte[] out = decrypt(new MechanismParams.TlsPremaster(TLS12, TLS12), jdkEncrypt(plain));
    assertReplacement(TLS12, out, null);
    assertFalse(Arrays.equals(Arrays.copyOf(plain, 48), out));
  }

  @Test
  void theSameBadCiphertextTwice_givesDifferentBytes() throws Exception {
    MechanismParams p = new MechanismParams.TlsPremaster(TLS12, TLS12);
    byte[] ct = jdkEncrypt(premaster(0x0301));
    byte[] a = decrypt(p, ct);
    byte[] b = decrypt(p, ct);
    assertReplacement(TLS12, a, null);
    assertReplacement(TLS12, b, null);
    assertFalse(Arrays.equals(a, b), "the replacement must be fresh randomness each time");
    byte[] noise = new byte[256];
    RANDOM.nextBytes(noise);
    noise[0] = 0;
    assertFalse(Arrays.equals(decrypt(p, noise), decrypt(p, noise)));
  }

  @Test
  void withoutTheParameters_badPaddingIsStillAnError() throws Exception {
    byte[] ct = jdkEncrypt(new byte[47]);
    assertEquals(47, decrypt(MechanismParams.NONE, ct).length);
    byte[] noise = new byte[256];
    RANDOM.nextBytes(noise);
    noise[0] = 0;
    assertRefused(
        ResultCode.CKR_ENCRYPTED_DATA_INVALID, () -> decrypt(MechanismParams.NONE, noise));
  }

  @Test
  void refusals_areOnlyAboutPublicFacts() throws Exception {
    MechanismParams p = new MechanismParams.TlsPremaster(TLS12, TLS12);
    byte[] ct = jdkEncrypt(premaster(TLS12));
    HsmException shortCt =
        assertRefused(
            ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE,
            () -> decrypt(p, Arrays.copyOf(ct, ct.length - 1)));
    assertTrue(shortCt.getMessage().contains("256"), shortCt.getMessage());
    assertRefused(
        ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE, () -> decrypt(p, Arrays.copyOf(ct, 257)));
    assertRefused(ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE, () -> decrypt(p, new byte[0]));
    // the public key decrypts nothing
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () ->
            kr.boundary.decrypt(
                kr.keyringId, rsa.publicKey().handle(), Mechanism.CKM_RSA_PKCS, p, ct));
    // a key without CKA_DECRYPT (but with CKA_UNWRAP, for the unwrap case below)
    KeyPairObjects unwrapOnly =
        kr.boundary.generateKeyPair(
            kr.keyringId,
            KeyGenParams.rsa(2048),
            Attributes.builder().label("unwrap-only").build(),
            Attributes.builder()
                .label("unwrap-only")
                .flag(AttributeType.CKA_DECRYPT, false)
                .flag(AttributeType.CKA_UNWRAP, true)
                .build());
    assertRefused(
        ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
        () ->
            kr.boundary.decrypt(
                kr.keyringId, unwrapOnly.privateKey().handle(), Mechanism.CKM_RSA_PKCS, p, ct));
    // the premaster parameters are for decrypt only
    assertRefused(
        ResultCode.CKR_MECHANISM_PARAM_INVALID,
        () ->
            kr.boundary.unwrapKey(
                kr.keyringId,
                unwrapOnly.privateKey().handle(),
                Mechanism.CKM_RSA_PKCS,
                p,
                ct,
                Attributes.builder()
                    .objectClass(ObjectClass.SECRET_KEY)
                    .keyType(KeyType.GENERIC_SECRET)
                    .build()));
  }

  @Test
  void versions_outsideSsl30ToTls13_areRefused() {
    for (int bad : new int[] {0, 0x02ff, 0x0305, 0x0403, -1, 0x10303}) {
      HsmException e =
          assertThrows(HsmException.class, () -> new MechanismParams.TlsPremaster(bad, TLS12));
      assertEquals(ResultCode.CKR_MECHANISM_PARAM_INVALID, e.code());
      assertTrue(e.getMessage().contains("clientVersion"), e.getMessage());
      assertTrue(e.getMessage().contains("0x0300"), e.getMessage());
      HsmException s =
          assertThrows(HsmException.class, () -> new MechanismParams.TlsPremaster(TLS12, bad));
      assertTrue(s.getMessage().contains("serverVersion"), s.getMessage());
    }
    new MechanismParams.TlsPremaster(0x0300, 0x0304);
  }

  @Test
  void wireForm_roundTrips_andIsStrict() throws Exception {
    MechanismParams.TlsPremaster p = new MechanismParams.TlsPremaster(TLS12, 0x0302);
    String json = WireJson.mapper().writeValueAsString(MechanismSpec.of(Mechanism.CKM_RSA_PKCS, p));
    assertTrue(json.contains("\"tlsClientVersion\":771"), json);
    assertTrue(json.contains("\"tlsServerVersion\":770"), json);
    MechanismSpec back = WireJson.mapper().readValue(json, MechanismSpec.class);
    assertEquals(p, back.params());
    assertEquals(
        MechanismParams.NONE,
        WireJson.mapper().readValue("{\"name\":\"CKM_RSA_PKCS\"}", MechanismSpec.class).params());

    for (String half :
        new String[] {
          "{\"name\":\"CKM_RSA_PKCS\",\"tlsClientVersion\":771}",
          "{\"name\":\"CKM_RSA_PKCS\",\"tlsServerVersion\":771}"
        }) {
      MechanismSpec spec = WireJson.mapper().readValue(half, MechanismSpec.class);
      HsmException e = assertThrows(HsmException.class, spec::params);
      assertEquals(ResultCode.CKR_MECHANISM_PARAM_INVALID, e.code());
      assertTrue(e.getMessage().contains("together"), e.getMessage());
    }
    MechanismSpec outOfRange =
        WireJson.mapper()
            .readValue(
                "{\"name\":\"CKM_RSA_PKCS\",\"tlsClientVersion\":772,\"tlsServerVersion\":773}",
                MechanismSpec.class);
    assertEquals(
        ResultCode.CKR_MECHANISM_PARAM_INVALID,
        assertThrows(HsmException.class, outOfRange::params).code());
    // another mechanism does not take them, nor CKM_RSA_PKCS other mechanisms' fields
    MechanismSpec onOaep =
        WireJson.mapper()
            .readValue(
                "{\"name\":\"CKM_RSA_PKCS_OAEP\",\"tlsClientVersion\":771,\"tlsServerVersion\":771}",
                MechanismSpec.class);
    assertEquals(
        ResultCode.CKR_MECHANISM_PARAM_INVALID,
        assertThrows(HsmException.class, onOaep::params).code());
    MechanismSpec withHash =
        WireJson.mapper()
            .readValue(
                "{\"name\":\"CKM_RSA_PKCS\",\"hash\":\"SHA256\",\"tlsClientVersion\":771,"
                    + "\"tlsServerVersion\":771}",
                MechanismSpec.class);
    assertEquals(
        ResultCode.CKR_MECHANISM_PARAM_INVALID,
        assertThrows(HsmException.class, withHash::params).code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"JDK", "BC", "ACCP"})
  void everyEngine_givesThePremasterOrHidesTheFailure(String engine, @TempDir Path own)
      throws Exception {
    BoundaryConfig config;
    TestKeyring k;
    try {
      config =
          BoundaryConfig.builder()
              .deviceKeyFile(own.resolve("hsm/device.key"))
              .engine(EngineFamily.RSA_PKCS1_DECRYPT, engine)
              .build();
      k = new TestKeyring(own, config);
    } catch (IllegalArgumentException e) {
      Assumptions.abort(engine + " is not available here: " + e.getMessage());
      return;
    }
    try (k) {
      KeyPairObjects kp =
          k.boundary.generateKeyPair(
              k.keyringId,
              KeyGenParams.rsa(2048),
              Attributes.builder().label("tls-" + engine).build(),
              Attributes.builder().label("tls-" + engine).build());
      Cipher enc = Cipher.getInstance("RSA/ECB/PKCS1Padding");
      enc.init(Cipher.ENCRYPT_MODE, PublicKeyAttributes.toPublicKey(kp.publicKey().attributes()));
      MechanismParams p = new MechanismParams.TlsPremaster(TLS12, TLS12);
      long h = kp.privateKey().handle();
      byte[] pm = premaster(TLS12);
      assertArrayEquals(
          pm, k.boundary.decrypt(k.keyringId, h, Mechanism.CKM_RSA_PKCS, p, enc.doFinal(pm)));
      byte[] wrongVersion = premaster(0x0302);
      assertReplacement(
          TLS12,
          k.boundary.decrypt(k.keyringId, h, Mechanism.CKM_RSA_PKCS, p, enc.doFinal(wrongVersion)),
          wrongVersion);
      byte[] longer = Arrays.copyOf(pm, 49);
      assertReplacement(
          TLS12,
          k.boundary.decrypt(k.keyringId, h, Mechanism.CKM_RSA_PKCS, p, enc.doFinal(longer)),
          pm);
      byte[] noise = new byte[256];
      RANDOM.nextBytes(noise);
      noise[0] = 0x01;
      assertReplacement(
          TLS12, k.boundary.decrypt(k.keyringId, h, Mechanism.CKM_RSA_PKCS, p, noise), null);
    }
  }
}
