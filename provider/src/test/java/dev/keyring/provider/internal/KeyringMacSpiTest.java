package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.api.ProviderOperation;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyStore;
import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KeyringMacSpiTest {
  private static final byte[] MESSAGE = "authenticate me".getBytes(StandardCharsets.UTF_8);
  private static final byte[] VALUE = new byte[32];

  static {
    for (int i = 0; i < VALUE.length; i++) {
      VALUE[i] = (byte) (i * 7 + 1);
    }
  }

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);

  private byte[] jdkMac(String algorithm) throws Exception {
    Mac jdk = Mac.getInstance(algorithm, "SunJCE");
    jdk.init(new SecretKeySpec(VALUE, algorithm));
    return jdk.doFinal(MESSAGE);
  }

  @Test
  void hmac_withAnImportedKey_equalsTheJdksHmacOfTheSameValue() throws Exception {
    KeyStore ks = fake.keyStore();
    ks.setKeyEntry(
        "hmac",
        new SecretKeySpec(VALUE, "HmacSHA256"),
        FakeClusterProvider.PASSWORD.toCharArray(),
        null);
    Key onKeyring = ks.getKey("hmac", null);
    for (String algorithm : new String[] {"HmacSHA256", "HmacSHA384", "HmacSHA512"}) {
      Mac mac = Mac.getInstance(algorithm, fake.provider());
      mac.init(onKeyring);
      mac.update(MESSAGE, 0, 5);
      mac.update(MESSAGE, 5, MESSAGE.length - 5);
      assertArrayEquals(jdkMac(algorithm), mac.doFinal(), algorithm);
    }
    assertEquals(3, fake.provider().operationCount(ProviderOperation.MAC));
  }

  @Test
  void hmac_withAGeneratedKey_isTheSameForTheSameMessage_andItsLengthIsTheHashs() throws Exception {
    SecretKey key = KeyGenerator.getInstance("HmacSHA384", fake.provider()).generateKey();
    Mac mac = Mac.getInstance("HmacSHA384", fake.provider());
    mac.init(key);
    byte[] first = mac.doFinal(MESSAGE);
    assertEquals(48, first.length);
    assertArrayEquals(first, mac.doFinal(MESSAGE));
  }

  @Test
  void hmac_withASoftwareKey_isComputedByTheJdk_withoutTheCluster() throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256", fake.provider());
    mac.init(new SecretKeySpec(VALUE, "HmacSHA256"));
    assertArrayEquals(jdkMac("HmacSHA256"), mac.doFinal(MESSAGE));
    assertEquals(0, fake.provider().operationCount(ProviderOperation.MAC));
  }

  @Test
  void hmac_withAnAesKey_isRefused() throws Exception {
    SecretKey aes = KeyGenerator.getInstance("AES", fake.provider()).generateKey();
    Mac mac = Mac.getInstance("HmacSHA256", fake.provider());
    assertThrows(InvalidKeyException.class, () -> mac.init(aes));
  }
}
