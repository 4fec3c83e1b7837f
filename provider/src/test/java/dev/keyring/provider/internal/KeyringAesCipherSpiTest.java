package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec.Purpose;
import dev.keyring.provider.api.KeyringSecretKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KeyringAesCipherSpiTest {
  private static final byte[] PLAIN =
      "attack at dawn, bring snacks".getBytes(StandardCharsets.UTF_8);
  private static final byte[] AAD = "header".getBytes(StandardCharsets.UTF_8);

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);

  private SecretKey aesKey(int bits) throws Exception {
    KeyGenerator g = KeyGenerator.getInstance("AES", fake.provider());
    g.init(bits);
    return g.generateKey();
  }

  private Cipher cipher(String transformation) throws Exception {
    return Cipher.getInstance(transformation, fake.provider());
  }

  @Test
  void gcm_withAnIvMadeHere_andAdditionalData_decryptsWhatItEncrypted() throws Exception {
    SecretKey key = aesKey(256);
    Cipher enc = cipher("AES/GCM/NoPadding");
    enc.init(Cipher.ENCRYPT_MODE, key);
    enc.updateAAD(AAD);
    byte[] ct = enc.doFinal(PLAIN);
    assertEquals(PLAIN.length + 16, ct.length);
    Cipher dec = cipher("AES/GCM/NoPadding");
    dec.init(Cipher.DECRYPT_MODE, key, enc.getParameters());
    dec.updateAAD(AAD);
    assertArrayEquals(PLAIN, dec.doFinal(ct));
  }

  @Test
  void gcm_takesAdditionalDataFromAByteBuffer() throws Exception {
    SecretKey key = aesKey(256);
    Cipher enc = cipher("AES/GCM/NoPadding");
    enc.init(Cipher.ENCRYPT_MODE, key);
    ByteBuffer direct = ByteBuffer.allocateDirect(AAD.length).put(AAD).flip();
    enc.updateAAD(direct);
    assertEquals(0, direct.remaining());
    byte[] ct = enc.doFinal(PLAIN);
    Cipher dec = cipher("AES/GCM/NoPadding");
    dec.init(Cipher.DECRYPT_MODE, key, enc.getParameters());
    dec.updateAAD(ByteBuffer.wrap(AAD));
    assertArrayEquals(PLAIN, dec.doFinal(ct));
  }

  @Test
  void gcm_withAnAlteredTag_failsWithAeadBadTag() throws Exception {
    SecretKey key = aesKey(128);
    GCMParameterSpec spec = new GCMParameterSpec(128, new byte[12]);
    Cipher enc = cipher("AES/GCM/NoPadding");
    enc.init(Cipher.ENCRYPT_MODE, key, spec);
    byte[] ct = enc.doFinal(PLAIN);
    ct[ct.length - 1] ^= 1;
    Cipher dec = cipher("AES/GCM/NoPadding");
    dec.init(Cipher.DECRYPT_MODE, key, spec);
    AEADBadTagException e = assertThrows(AEADBadTagException.class, () -> dec.doFinal(ct));
    assertEquals("decryption failed", e.getMessage());
  }

  @Test
  void gcm_afterEncrypting_mustBeInitializedAgain() throws Exception {
    Cipher enc = cipher("AES/GCM/NoPadding");
    enc.init(Cipher.ENCRYPT_MODE, aesKey(128));
    enc.doFinal(PLAIN);
    assertThrows(IllegalStateException.class, () -> enc.doFinal(PLAIN));
  }

  @Test
  void gcm_initializedToEncryptAgainWithTheSameKeyAndIv_isRefused() throws Exception {
    SecretKey key = aesKey(128);
    GCMParameterSpec spec = new GCMParameterSpec(128, new byte[12]);
    Cipher enc = cipher("AES/GCM/NoPadding");
    enc.init(Cipher.ENCRYPT_MODE, key, spec);
    enc.doFinal(PLAIN);
    assertThrows(
        InvalidAlgorithmParameterException.class, () -> enc.init(Cipher.ENCRYPT_MODE, key, spec));
    // a new IV, or the same IV with another key, is accepted
    enc.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, new byte[] {1, 2, 3, 4}));
    enc.init(Cipher.ENCRYPT_MODE, aesKey(128), spec);
    assertEquals(PLAIN.length + 16, enc.doFinal(PLAIN).length);
  }

  @Test
  void gcm_decryptingIntoAnOutputTooSmall_keepsTheInput_soTheCallerCanRetry() throws Exception {
    SecretKey key = aesKey(128);
    GCMParameterSpec spec = new GCMParameterSpec(128, new byte[12]);
    Cipher enc = cipher("AES/GCM/NoPadding");
    enc.init(Cipher.ENCRYPT_MODE, key, spec);
    enc.updateAAD(AAD);
    byte[] ct = enc.doFinal(PLAIN);
    Cipher dec = cipher("AES/GCM/NoPadding");
    dec.init(Cipher.DECRYPT_MODE, key, spec);
    dec.updateAAD(AAD);
    dec.update(ct, 0, 10);
    byte[] small = new byte[PLAIN.length - 1];
    assertThrows(ShortBufferException.class, () -> dec.doFinal(ct, 10, ct.length - 10, small, 0));
    byte[] out = new byte[PLAIN.length];
    assertEquals(PLAIN.length, dec.doFinal(ct, 10, ct.length - 10, out, 0));
    assertArrayEquals(PLAIN, out);
  }

  @Test
  void cbc_decryptingIntoAnOutputTooSmall_keepsTheInput_soTheCallerCanRetry() throws Exception {
    SecretKey key = aesKey(128);
    IvParameterSpec iv = new IvParameterSpec(new byte[16]);
    Cipher enc = cipher("AES/CBC/PKCS5Padding");
    enc.init(Cipher.ENCRYPT_MODE, key, iv);
    byte[] ct = enc.doFinal(PLAIN);
    Cipher dec = cipher("AES/CBC/PKCS5Padding");
    dec.init(Cipher.DECRYPT_MODE, key, iv);
    dec.update(ct, 0, 16);
    byte[] small = new byte[PLAIN.length - 1];
    assertThrows(ShortBufferException.class, () -> dec.doFinal(ct, 16, ct.length - 16, small, 0));
    byte[] out = new byte[PLAIN.length];
    assertEquals(PLAIN.length, dec.doFinal(ct, 16, ct.length - 16, out, 0));
    assertArrayEquals(PLAIN, out);
  }

  @Test
  void gcm_updateWithByteBuffers_needsNoRoomForOutputItDoesNotGive() throws Exception {
    SecretKey key = aesKey(128);
    Cipher enc = cipher("AES/GCM/NoPadding");
    enc.init(Cipher.ENCRYPT_MODE, key);
    ByteBuffer out = ByteBuffer.allocate(PLAIN.length + 16);
    // room for the input only, as the JDK's GCM takes: the output comes with doFinal
    enc.update(ByteBuffer.wrap(PLAIN), ByteBuffer.allocate(PLAIN.length));
    assertEquals(PLAIN.length + 16, enc.doFinal(ByteBuffer.allocate(0), out));
    Cipher dec = cipher("AES/GCM/NoPadding");
    dec.init(Cipher.DECRYPT_MODE, key, enc.getParameters());
    assertArrayEquals(PLAIN, dec.doFinal(out.array()));
  }

  @Test
  void cbc_decryptsWhatItEncrypted_withTheIvMadeHere() throws Exception {
    SecretKey key = aesKey(192);
    Cipher enc = cipher("AES/CBC/PKCS5Padding");
    enc.init(Cipher.ENCRYPT_MODE, key);
    byte[] ct = enc.doFinal(PLAIN);
    assertEquals(32, ct.length);
    Cipher dec = cipher("AES/CBC/PKCS5Padding");
    dec.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(enc.getIV()));
    assertArrayEquals(PLAIN, dec.doFinal(ct));
  }

  @Test
  void cbc_ofAPartialBlock_failsWithIllegalBlockSize_beforeAskingTheCluster() throws Exception {
    Cipher dec = cipher("AES/CBC/PKCS5Padding");
    dec.init(Cipher.DECRYPT_MODE, aesKey(128), new IvParameterSpec(new byte[16]));
    assertThrows(IllegalBlockSizeException.class, () -> dec.doFinal(new byte[15]));
    assertEquals(0, fake.cluster().member(0).calls("decrypt"));
  }

  private SecretKey keyWrappingKey() throws Exception {
    KeyGenerator g = KeyGenerator.getInstance("AES", fake.provider());
    g.init(KeyringKeyGenParameterSpec.builder().purpose(Purpose.KEY_WRAP).build());
    return g.generateKey();
  }

  @Test
  void kwp_wrapsAKeyringKey_andTheUnwrappedCopyDecryptsItsCiphertexts() throws Exception {
    SecretKey kek = keyWrappingKey();
    SecretKey key = aesKey(128);
    Cipher wrap = cipher("AES/KWP/NoPadding");
    wrap.init(Cipher.WRAP_MODE, kek);
    byte[] wrapped = wrap.wrap(key);
    assertEquals(24, wrapped.length);
    Cipher unwrap = cipher("AESWrapPad");
    unwrap.init(Cipher.UNWRAP_MODE, kek);
    Key copy = unwrap.unwrap(wrapped, "AES", Cipher.SECRET_KEY);
    assertTrue(copy instanceof KeyringSecretKey);
    assertNotEquals(
        ((KeyringSecretKey) key).objectHandle(), ((KeyringSecretKey) copy).objectHandle());

    GCMParameterSpec spec = new GCMParameterSpec(128, new byte[12]);
    Cipher enc = cipher("AES/GCM/NoPadding");
    enc.init(Cipher.ENCRYPT_MODE, key, spec);
    byte[] ct = enc.doFinal(PLAIN);
    Cipher dec = cipher("AES/GCM/NoPadding");
    dec.init(Cipher.DECRYPT_MODE, copy, spec);
    assertArrayEquals(PLAIN, dec.doFinal(ct));
  }

  @Test
  void kwp_underAnAesKeyForData_isRefused_andAKeyWrappingKeyEncryptsNoData() throws Exception {
    SecretKey data = aesKey(256);
    Cipher wrap = cipher("AES/KWP/NoPadding");
    wrap.init(Cipher.WRAP_MODE, data);
    InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> wrap.wrap(aesKey(128)));
    assertTrue(e.getMessage().contains("CKR_KEY_FUNCTION_NOT_PERMITTED"), e.getMessage());

    SecretKey kek = keyWrappingKey();
    Cipher gcm = cipher("AES/GCM/NoPadding");
    gcm.init(Cipher.ENCRYPT_MODE, kek, new GCMParameterSpec(128, new byte[12]));
    assertThrows(Exception.class, () -> gcm.doFinal(PLAIN));
    // a key-wrapping key never leaves, not even under another one
    Cipher again = cipher("AES/KWP/NoPadding");
    again.init(Cipher.WRAP_MODE, keyWrappingKey());
    InvalidKeyException out = assertThrows(InvalidKeyException.class, () -> again.wrap(kek));
    assertTrue(out.getMessage().contains("CKR_KEY_UNEXTRACTABLE"), out.getMessage());
  }

  @Test
  void kwp_encryptsNoData() throws Exception {
    Cipher kwp = cipher("AES/KWP/NoPadding");
    assertThrows(InvalidKeyException.class, () -> kwp.init(Cipher.ENCRYPT_MODE, aesKey(256)));
  }

  @Test
  void aes_withAnHmacKey_isRefused() throws Exception {
    SecretKey hmac = KeyGenerator.getInstance("HmacSHA256", fake.provider()).generateKey();
    Cipher c = cipher("AES/GCM/NoPadding");
    InvalidKeyException e =
        assertThrows(InvalidKeyException.class, () -> c.init(Cipher.ENCRYPT_MODE, hmac));
    assertTrue(e.getMessage().contains("needs an AES key"), e.getMessage());
  }
}
