package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.KeyringObject;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec.Purpose;
import dev.keyring.provider.api.KeyringSecretKey;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidParameterException;
import java.util.List;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KeyringKeyGeneratorSpiTest {
  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);

  private KeyGenerator generator(String algorithm) throws Exception {
    return KeyGenerator.getInstance(algorithm, fake.provider());
  }

  /** The one object on the keyring: the key just generated. */
  private KeyringObject onlyObject() {
    List<KeyringObject> all = fake.cluster().objects(FakeClusterProvider.KEYRING);
    assertEquals(1, all.size());
    return all.get(0);
  }

  @Test
  void aes_byDefault_is256Bits_andAKeyringAesKey() throws Exception {
    SecretKey k = generator("AES").generateKey();
    assertEquals("AES", k.getAlgorithm());
    assertEquals(256, ((KeyringSecretKey) k).bits());
    assertNull(k.getEncoded());
    assertEquals(KeyType.AES, onlyObject().attributes().keyType().orElseThrow());
  }

  @Test
  void aes_ofAnotherSize_isRefused() throws Exception {
    assertThrows(InvalidParameterException.class, () -> generator("AES").init(100));
  }

  @Test
  void hmac_keepsItsAlgorithmName_andTheHashLengthByDefault() throws Exception {
    SecretKey k = generator("HmacSHA384").generateKey();
    assertEquals("HmacSHA384", k.getAlgorithm());
    assertEquals(384, ((KeyringSecretKey) k).bits());
    assertEquals(KeyType.GENERIC_SECRET, onlyObject().attributes().keyType().orElseThrow());
  }

  @Test
  void keyringSpec_setsTheLabel_andTheSize() throws Exception {
    KeyGenerator g = generator("HmacSHA256");
    g.init(KeyringKeyGenParameterSpec.builder().label("mac-key").keySize(512).build());
    assertEquals(512, ((KeyringSecretKey) g.generateKey()).bits());
    assertEquals("mac-key", onlyObject().label());
    assertThrows(
        InvalidAlgorithmParameterException.class,
        () -> g.init(KeyringKeyGenParameterSpec.builder().curve("secp256r1").build()));
  }

  @Test
  void aes_byDefault_encryptsAndUnwraps_andForKeyWrap_wrapsAndUnwrapsOnly() throws Exception {
    generator("AES").generateKey();
    Attributes data = onlyObject().attributes();
    assertTrue(data.flag(AttributeType.CKA_DECRYPT, false));
    assertTrue(data.flag(AttributeType.CKA_UNWRAP, false));
    assertFalse(data.flag(AttributeType.CKA_WRAP, false));

    KeyGenerator g = generator("AES");
    g.init(KeyringKeyGenParameterSpec.builder().label("kek").purpose(Purpose.KEY_WRAP).build());
    g.generateKey();
    Attributes kek =
        fake.cluster().objects(FakeClusterProvider.KEYRING).stream()
            .filter(o -> o.label().equals("kek"))
            .findFirst()
            .orElseThrow()
            .attributes();
    assertTrue(kek.flag(AttributeType.CKA_WRAP, false));
    assertTrue(kek.flag(AttributeType.CKA_UNWRAP, false));
    assertFalse(kek.flag(AttributeType.CKA_DECRYPT, true));
  }

  @Test
  void purpose_thatDoesNotFitTheAlgorithm_isRefused() throws Exception {
    KeyGenerator hmac = generator("HmacSHA256");
    assertThrows(
        InvalidAlgorithmParameterException.class,
        () -> hmac.init(KeyringKeyGenParameterSpec.builder().purpose(Purpose.KEY_WRAP).build()));
    KeyGenerator aes = generator("AES");
    assertThrows(
        InvalidAlgorithmParameterException.class,
        () ->
            aes.init(KeyringKeyGenParameterSpec.builder().purpose(Purpose.KEY_AGREEMENT).build()));
  }

  @Test
  void spec_withALabelOrIdOverTheKeyringLimits_isRefusedWhenBuilt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                KeyringKeyGenParameterSpec.builder()
                    .label("x".repeat(KeyringLimits.MAX_LABEL_BYTES + 1))
                    .build());
    assertTrue(e.getMessage().contains("label"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            KeyringKeyGenParameterSpec.builder()
                .id(new byte[KeyringLimits.MAX_ID_BYTES + 1])
                .build());
    KeyringKeyGenParameterSpec.builder()
        .label("x".repeat(KeyringLimits.MAX_LABEL_BYTES))
        .id(new byte[KeyringLimits.MAX_ID_BYTES])
        .build();
  }
}
