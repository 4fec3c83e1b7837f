package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.KeyType;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import java.io.ByteArrayOutputStream;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.security.InvalidKeyException;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class KeyHandleTest {
  @Test
  void rsaHandle_showsTypeSizeAndLabel_only_andHasNoEncoding() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    RSAPublicKey pub = (RSAPublicKey) g.generateKeyPair().getPublic();
    PrivateKeyHandle.Rsa h = new PrivateKeyHandle.Rsa(null, 42, "web", pub);
    assertEquals("private key RSA 2048 bits, label 'web' (keyring handle)", h.toString());
    assertEquals("RSA", h.getAlgorithm());
    assertNull(h.getFormat());
    assertNull(h.getEncoded());
    assertEquals(pub.getModulus(), h.getModulus());
    assertFalse(java.security.interfaces.RSAPrivateKey.class.isAssignableFrom(h.getClass()));
    assertThrows(
        NotSerializableException.class,
        () -> new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(h));
  }

  @Test
  void secretHandle_withUnknownSize_omitsIt() {
    SecretKeyHandle h = new SecretKeyHandle(null, 7, KeyType.AES, "AES", -1, "k");
    assertEquals("secret key AES, label 'k' (keyring handle)", h.toString());
  }

  @Test
  void require_softwareKey_isRefusedWithAHint() {
    InvalidKeyException e =
        assertThrows(
            InvalidKeyException.class,
            () ->
                KeyHandles.require(
                    new SecretKeySpec(new byte[16], "AES"), SecretKeyHandle.class, "an AES key"));
    assertTrue(e.getMessage().contains("software"), e.getMessage());
  }

  @Test
  void keyGenSpec_rejectsControlCharactersAndNegativeSizes() {
    assertThrows(
        IllegalArgumentException.class,
        () -> KeyringKeyGenParameterSpec.builder().label("a\nb").build());
    assertThrows(
        IllegalArgumentException.class,
        () -> KeyringKeyGenParameterSpec.builder().keySize(-1).build());
    assertEquals(
        "web", KeyringKeyGenParameterSpec.builder().label("web").build().label().orElseThrow());
  }
}
