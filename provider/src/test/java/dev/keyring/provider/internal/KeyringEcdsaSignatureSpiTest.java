package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.FakeClusterProvider;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ECDSA in P1363 format and with SHA-224/SHA-1, cross-checked against SunEC both ways: signatures
 * made on the keyring verify with SunEC's names, SunEC's verify on the keyring.
 */
class KeyringEcdsaSignatureSpiTest {
  private static final byte[] MESSAGE = "a message to sign".getBytes(StandardCharsets.UTF_8);

  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);

  private KeyPair onKeyring(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", fake.provider());
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  private static KeyPair inSoftware(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  private static byte[] sign(String algorithm, Object provider, KeyPair kp, byte[] data)
      throws Exception {
    Signature s =
        provider instanceof String
            ? Signature.getInstance(algorithm, (String) provider)
            : Signature.getInstance(algorithm, (java.security.Provider) provider);
    s.initSign(kp.getPrivate());
    s.update(data);
    return s.sign();
  }

  private static boolean verify(
      String algorithm, Object provider, KeyPair kp, byte[] data, byte[] sig) throws Exception {
    Signature s =
        provider instanceof String
            ? Signature.getInstance(algorithm, (String) provider)
            : Signature.getInstance(algorithm, (java.security.Provider) provider);
    s.initVerify(kp.getPublic());
    s.update(data);
    return s.verify(sig);
  }

  @ParameterizedTest
  @CsvSource({
    "secp256r1, SHA256withECDSAinP1363Format, 64",
    "secp256r1, SHA224withECDSAinP1363Format, 64",
    "secp384r1, SHA384withECDSAinP1363Format, 96",
    "secp521r1, SHA512withECDSAinP1363Format, 132",
    "secp256r1, SHA224withECDSA, -1"
  })
  void madeOnTheKeyring_verifiesWithSunEc_andSunEcsVerifiesOnTheKeyring(
      String curve, String algorithm, int length) throws Exception {
    KeyPair kp = onKeyring(curve);
    byte[] ours = sign(algorithm, fake.provider(), kp, MESSAGE);
    if (length > 0) {
      assertEquals(length, ours.length, "r || s, each the length of the order");
    }
    assertTrue(verify(algorithm, "SunEC", kp, MESSAGE, ours));
    assertTrue(verify(algorithm, fake.provider(), kp, MESSAGE, ours));
    KeyPair soft = inSoftware(curve);
    byte[] theirs = sign(algorithm, "SunEC", soft, MESSAGE);
    assertTrue(verify(algorithm, fake.provider(), soft, MESSAGE, theirs));
    byte[] other = "another message".getBytes(StandardCharsets.UTF_8);
    assertFalse(verify(algorithm, fake.provider(), soft, other, theirs));
  }

  @Test
  void noneWithEcdsaInP1363Format_signsTheDigestGiven() throws Exception {
    KeyPair kp = onKeyring("secp256r1");
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(MESSAGE);
    byte[] sig = sign("NONEwithECDSAinP1363Format", fake.provider(), kp, digest);
    assertEquals(64, sig.length);
    assertTrue(verify("SHA256withECDSAinP1363Format", "SunEC", kp, MESSAGE, sig));
  }

  @Test
  void p1363Signature_ofTheWrongLength_isRefused_andOneBitOffDoesNotVerify() throws Exception {
    KeyPair kp = onKeyring("secp256r1");
    byte[] sig = sign("SHA256withECDSAinP1363Format", fake.provider(), kp, MESSAGE);
    Signature v = Signature.getInstance("SHA256withECDSAinP1363Format", fake.provider());
    v.initVerify(kp.getPublic());
    v.update(MESSAGE);
    SignatureException e =
        assertThrows(SignatureException.class, () -> v.verify(Arrays.copyOf(sig, 63)));
    assertTrue(e.getMessage().contains("64 bytes"), e.getMessage());
    sig[10] ^= 1;
    assertFalse(verify("SHA256withECDSAinP1363Format", fake.provider(), kp, MESSAGE, sig));
  }

  @Test
  void sha1WithEcdsa_signingIsRefused_butAnOldSignatureVerifies() throws Exception {
    for (String algorithm : new String[] {"SHA1withECDSA", "SHA1withECDSAinP1363Format"}) {
      Signature s = Signature.getInstance(algorithm, fake.provider());
      KeyPair kp = onKeyring("secp256r1");
      InvalidKeyException e =
          assertThrows(InvalidKeyException.class, () -> s.initSign(kp.getPrivate()));
      assertTrue(e.getMessage().contains("SHA256withECDSA"), e.getMessage());
      KeyPair soft = inSoftware("secp256r1");
      byte[] old = sign(algorithm, "SunEC", soft, MESSAGE);
      assertTrue(verify(algorithm, fake.provider(), soft, MESSAGE, old), algorithm);
    }
  }
}
