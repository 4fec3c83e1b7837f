package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.ObjectRecord;
import java.nio.file.Path;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CKM_AES_KEY_WRAP (RFC 3394) on the boundary: the RFC's vector unwraps under an imported KEK, a
 * KEK generated with CKA_WRAP wraps and unwraps, and a key whose length is not a multiple of 8
 * bytes is refused (it wraps with CKM_AES_KEY_WRAP_KWP).
 */
class AesKeyWrapTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] PROBE = "probe".getBytes();

  @TempDir static Path dir;
  private static TestKeyring kr;

  @BeforeAll
  static void setUp() {
    kr = new TestKeyring(dir);
  }

  @AfterAll
  static void tearDown() {
    if (kr != null) {
      kr.close();
    }
  }

  private static Attributes hmacKeyTemplate(String label) {
    return Attributes.builder()
        .objectClass(ObjectClass.SECRET_KEY)
        .keyType(KeyType.GENERIC_SECRET)
        .label(label)
        .flag(AttributeType.CKA_SIGN, true)
        .build();
  }

  private static byte[] hmacOnTheKeyring(ObjectRecord k) {
    return kr.boundary.sign(
        kr.keyringId, k.handle(), Mechanism.CKM_SHA256_HMAC, MechanismParams.NONE, PROBE);
  }

  private static byte[] jdkHmac(byte[] raw) throws Exception {
    Mac m = Mac.getInstance("HmacSHA256");
    m.init(new SecretKeySpec(raw, "HmacSHA256"));
    return m.doFinal(PROBE);
  }

  @Test
  void rfc3394Vector_4_6_unwrapsUnderTheImportedKek() throws Exception {
    byte[] kek = HEX.parseHex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
    byte[] data = HEX.parseHex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
    byte[] ct =
        HEX.parseHex(
            "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21");
    ObjectRecord k =
        kr.importSecretKey(
            KeyType.AES, kek, Attributes.builder().flag(AttributeType.CKA_UNWRAP, true).build());
    ObjectRecord back =
        kr.boundary.unwrapKey(
            kr.keyringId,
            k.handle(),
            Mechanism.CKM_AES_KEY_WRAP,
            MechanismParams.NONE,
            ct,
            hmacKeyTemplate("rfc"));
    assertArrayEquals(jdkHmac(data), hmacOnTheKeyring(back));
    byte[] altered = ct.clone();
    altered[0] ^= 1;
    HsmException e =
        assertThrows(
            HsmException.class,
            () ->
                kr.boundary.unwrapKey(
                    kr.keyringId,
                    k.handle(),
                    Mechanism.CKM_AES_KEY_WRAP,
                    MechanismParams.NONE,
                    altered,
                    hmacKeyTemplate("bad")));
    assertEquals(ResultCode.CKR_WRAPPED_KEY_INVALID, e.code());
  }

  @Test
  void generatedKek_wrapsAndUnwraps_andRefusesAKeyThatIsNotAMultipleOfEightBytes()
      throws Exception {
    ObjectRecord kek =
        kr.boundary.generateKey(
            kr.keyringId,
            KeyGenParams.aes(256),
            Attributes.builder()
                .flag(AttributeType.CKA_WRAP, true)
                .flag(AttributeType.CKA_UNWRAP, true)
                .build());
    byte[] raw = new byte[32];
    new java.security.SecureRandom().nextBytes(raw);
    ObjectRecord target =
        kr.importSecretKey(
            KeyType.GENERIC_SECRET,
            raw,
            Attributes.builder().flag(AttributeType.CKA_SIGN, true).build());
    byte[] wrapped =
        kr.boundary.wrapKey(
            kr.keyringId,
            kek.handle(),
            Mechanism.CKM_AES_KEY_WRAP,
            MechanismParams.NONE,
            target.handle());
    assertEquals(40, wrapped.length);
    ObjectRecord back =
        kr.boundary.unwrapKey(
            kr.keyringId,
            kek.handle(),
            Mechanism.CKM_AES_KEY_WRAP,
            MechanismParams.NONE,
            wrapped,
            hmacKeyTemplate("back"));
    assertArrayEquals(jdkHmac(raw), hmacOnTheKeyring(back));

    ObjectRecord odd = kr.importSecretKey(KeyType.GENERIC_SECRET, new byte[20], Attributes.empty());
    HsmException e =
        assertThrows(
            HsmException.class,
            () ->
                kr.boundary.wrapKey(
                    kr.keyringId,
                    kek.handle(),
                    Mechanism.CKM_AES_KEY_WRAP,
                    MechanismParams.NONE,
                    odd.handle()));
    assertEquals(ResultCode.CKR_KEY_SIZE_RANGE, e.code(), e.getMessage());
  }
}
