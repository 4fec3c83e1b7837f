package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec.Purpose;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyStore;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * AES/KW/NoPadding (RFC 3394, alias AESWrap) with keyring keys: the RFC's test vectors unwrap under
 * the imported KEK (a key of known value unwraps; it never wraps), SunJCE's wrapping unwraps on the
 * keyring, and a KEK generated for KEY_WRAP wraps and unwraps.
 */
class KeyringAesKwCipherSpiTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] IV = HEX.parseHex("000102030405060708090a0b");
  private static final byte[] PROBE = "a block or two to encrypt".getBytes();

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);
  private final KeyStore ks = fake.keyStore();

  private SecretKey imported(String alias, byte[] raw) throws Exception {
    ks.setKeyEntry(alias, new SecretKeySpec(raw, "AES"), null, null);
    return (SecretKey) ks.getKey(alias, null);
  }

  private SecretKey generated(String label, Purpose purpose) throws Exception {
    KeyGenerator g = KeyGenerator.getInstance("AES", fake.provider());
    g.init(KeyringKeyGenParameterSpec.builder().label(label).keySize(256).purpose(purpose).build());
    return g.generateKey();
  }

  private Key unwrap(String transformation, SecretKey kek, byte[] wrapped) throws Exception {
    Cipher c = Cipher.getInstance(transformation, fake.provider());
    c.init(Cipher.UNWRAP_MODE, kek);
    return c.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
  }

  /** AES-GCM under a keyring key, to compare with the JDK's under a known value. */
  private byte[] gcm(Key k) throws Exception {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding", fake.provider());
    c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, IV));
    return c.doFinal(PROBE);
  }

  private static byte[] jdkGcm(byte[] raw) throws Exception {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(raw, "AES"), new GCMParameterSpec(128, IV));
    return c.doFinal(PROBE);
  }

  /** RFC 3394, section 4: KEK, key data, ciphertext. */
  @ParameterizedTest(name = "RFC 3394 4.{index}")
  @CsvSource({
    "000102030405060708090A0B0C0D0E0F, 00112233445566778899AABBCCDDEEFF,"
        + " 1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5",
    "000102030405060708090A0B0C0D0E0F1011121314151617, 00112233445566778899AABBCCDDEEFF,"
        + " 96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D",
    "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F,"
        + " 00112233445566778899AABBCCDDEEFF, 64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7",
    "000102030405060708090A0B0C0D0E0F1011121314151617,"
        + " 00112233445566778899AABBCCDDEEFF0001020304050607,"
        + " 031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2",
    "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F,"
        + " 00112233445566778899AABBCCDDEEFF0001020304050607,"
        + " A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1",
    "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F,"
        + " 00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F,"
        + " 28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"
  })
  void rfc3394Vector_unwrapsUnderTheImportedKek_toTheKnownKey(String kek, String data, String ct)
      throws Exception {
    SecretKey k = imported("kek", HEX.parseHex(kek));
    Key unwrapped = unwrap("AES/KW/NoPadding", k, HEX.parseHex(ct));
    assertArrayEquals(jdkGcm(HEX.parseHex(data)), gcm(unwrapped));
    // the vector's ciphertext is SunJCE's wrapping too
    Cipher jdk = Cipher.getInstance("AES/KW/NoPadding", "SunJCE");
    jdk.init(Cipher.WRAP_MODE, new SecretKeySpec(HEX.parseHex(kek), "AES"));
    assertArrayEquals(HEX.parseHex(ct), jdk.wrap(new SecretKeySpec(HEX.parseHex(data), "AES")));
  }

  @Test
  void sunJceWraps_theKeyringUnwraps_byTheAliasAesWrap() throws Exception {
    byte[] kekRaw = new byte[32];
    byte[] keyRaw = new byte[32];
    new java.security.SecureRandom().nextBytes(kekRaw);
    new java.security.SecureRandom().nextBytes(keyRaw);
    Cipher jdk = Cipher.getInstance("AESWrap", "SunJCE");
    jdk.init(Cipher.WRAP_MODE, new SecretKeySpec(kekRaw, "AES"));
    byte[] wrapped = jdk.wrap(new SecretKeySpec(keyRaw, "AES"));
    Key unwrapped = unwrap("AESWrap", imported("kek", kekRaw), wrapped);
    assertArrayEquals(jdkGcm(keyRaw), gcm(unwrapped));
  }

  @Test
  void aGeneratedWrappingKey_wrapsAKeyringKey_andUnwrapsIt() throws Exception {
    SecretKey kek = generated("kek", Purpose.KEY_WRAP);
    SecretKey target = generated("data", Purpose.DEFAULT);
    Cipher w = Cipher.getInstance("AES/KW/NoPadding", fake.provider());
    w.init(Cipher.WRAP_MODE, kek);
    byte[] wrapped = w.wrap(target);
    assertEquals(40, wrapped.length, "a 256-bit key and the 8-byte integrity block");
    Key back = unwrap("AES/KW/NoPadding", kek, wrapped);
    assertArrayEquals(gcm(target), gcm(back));
    byte[] altered = wrapped.clone();
    altered[3] ^= 1;
    assertThrows(InvalidKeyException.class, () -> unwrap("AES/KW/NoPadding", kek, altered));
  }

  @Test
  void aKeyOfKnownValue_neverWraps_andAWrappingCipherNeverEncrypts() throws Exception {
    SecretKey known = imported("kek", new byte[16]);
    SecretKey target = generated("data", Purpose.DEFAULT);
    Cipher w = Cipher.getInstance("AES/KW/NoPadding", fake.provider());
    w.init(Cipher.WRAP_MODE, known);
    InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> w.wrap(target));
    assertTrue(e.getMessage().contains("CKR_KEY_FUNCTION_NOT_PERMITTED"), e.getMessage());
    Cipher enc = Cipher.getInstance("AES/KW/NoPadding", fake.provider());
    InvalidKeyException modes =
        assertThrows(InvalidKeyException.class, () -> enc.init(Cipher.ENCRYPT_MODE, target));
    assertTrue(modes.getMessage().contains("wraps and unwraps keys only"), modes.getMessage());
  }
}
