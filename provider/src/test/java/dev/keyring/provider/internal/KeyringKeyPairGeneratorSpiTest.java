package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.KeyringPrivateKey;
import dev.keyring.provider.api.KeyringProviderException;
import java.math.BigInteger;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidParameterException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KeyringKeyPairGeneratorSpiTest {
  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);

  private KeyPairGenerator generator(String algorithm) throws Exception {
    return KeyPairGenerator.getInstance(algorithm, fake.provider());
  }

  @Test
  void ec_onEachCurve_givesAJdkPublicKey_andAHandleOfTheSameKey() throws Exception {
    int[] fieldBits = {256, 384, 521};
    String[] curves = {"secp256r1", "secp384r1", "secp521r1"};
    for (int i = 0; i < curves.length; i++) {
      KeyPairGenerator g = generator("EC");
      g.initialize(new ECGenParameterSpec(curves[i]));
      KeyPair kp = g.generateKeyPair();
      ECPublicKey pub = assertInstanceOf(ECPublicKey.class, kp.getPublic());
      assertEquals(fieldBits[i], pub.getParams().getCurve().getField().getFieldSize());
      assertEquals(pub, ((KeyringPrivateKey) kp.getPrivate()).publicKey());
      assertEquals("EC", kp.getPrivate().getAlgorithm());
    }
    assertEquals(6, fake.cluster().objects(FakeClusterProvider.KEYRING).size());
  }

  @Test
  void ec_bySize521_isP521() throws Exception {
    KeyPairGenerator g = generator("EC");
    g.initialize(521);
    assertEquals(
        521,
        ((ECPublicKey) g.generateKeyPair().getPublic())
            .getParams()
            .getCurve()
            .getField()
            .getFieldSize());
  }

  @Test
  void rsa_byDefault_is2048Bits_withExponent65537_andItsHandleShowsTheModulus() throws Exception {
    KeyPair kp = generator("RSA").generateKeyPair();
    RSAPublicKey pub = (RSAPublicKey) kp.getPublic();
    assertEquals(2048, pub.getModulus().bitLength());
    assertEquals(BigInteger.valueOf(65537), pub.getPublicExponent());
    assertEquals(pub.getModulus(), ((RSAKey) kp.getPrivate()).getModulus());
  }

  @Test
  void rsa_withAnotherExponent_orSize_isRefused() throws Exception {
    KeyPairGenerator g = generator("RSA");
    assertThrows(
        InvalidAlgorithmParameterException.class,
        () -> g.initialize(new RSAKeyGenParameterSpec(2048, BigInteger.valueOf(3))));
    assertThrows(InvalidParameterException.class, () -> g.initialize(1024));
  }

  @Test
  void ed25519_givesAnEdDsaPublicKey() throws Exception {
    KeyPair kp = generator("Ed25519").generateKeyPair();
    assertTrue(kp.getPublic().getAlgorithm().startsWith("Ed"), kp.getPublic().getAlgorithm());
    assertEquals("Ed25519", kp.getPrivate().getAlgorithm());
  }

  @Test
  void labelAndId_fromTheKeyringSpec_goOnBothObjects() throws Exception {
    KeyPairGenerator g = generator("EC");
    g.initialize(
        KeyringKeyGenParameterSpec.builder()
            .label("named")
            .id(new byte[] {9, 9})
            .keyring(FakeClusterProvider.KEYRING)
            .build());
    g.generateKeyPair();
    var objects = fake.cluster().objects(FakeClusterProvider.KEYRING);
    assertEquals(2, objects.size());
    for (var o : objects) {
      assertEquals("named", o.label());
      assertEquals(
          2, o.attributes().bytes(AttributeType.CKA_ID).orElseThrow().length, o.toString());
    }
    assertTrue(
        objects.stream()
            .anyMatch(
                o ->
                    o.objectClass() == ObjectClass.PRIVATE_KEY
                        && o.attributes().flag(AttributeType.CKA_SIGN, false)));
  }

  @Test
  void generation_onAKeyringNotLoggedIn_isRefused_namingIt() throws Exception {
    KeyPairGenerator g = generator("EC");
    g.initialize(KeyringKeyGenParameterSpec.builder().keyring("elsewhere").build());
    IllegalStateException e = assertThrows(IllegalStateException.class, g::generateKeyPair);
    assertTrue(e.getMessage().contains("elsewhere"), e.getMessage());
  }

  @Test
  void generation_refusedByTheMember_isAProviderExceptionWithItsCode() throws Exception {
    fake.cluster().member(0).readOnly(true);
    fake.cluster().router().refreshView();
    KeyringProviderException e =
        assertThrows(KeyringProviderException.class, () -> generator("EC").generateKeyPair());
    assertTrue(e.getMessage().contains("CKR_TOKEN_WRITE_PROTECTED"), e.getMessage());
  }

  @Test
  void ec_forKeyAgreement_hasNoCkaSign_andOtherPurposes_areRefused() throws Exception {
    KeyPairGenerator g = generator("EC");
    g.initialize(
        KeyringKeyGenParameterSpec.builder()
            .label("agree")
            .curve("secp384r1")
            .purpose(KeyringKeyGenParameterSpec.Purpose.KEY_AGREEMENT)
            .build());
    g.generateKeyPair();
    var priv =
        fake.cluster().objects(FakeClusterProvider.KEYRING).stream()
            .filter(o -> o.objectClass() == ObjectClass.PRIVATE_KEY)
            .findFirst()
            .orElseThrow();
    assertEquals(false, priv.attributes().flag(AttributeType.CKA_SIGN, true));

    assertThrows(
        InvalidAlgorithmParameterException.class,
        () ->
            generator("EC")
                .initialize(
                    KeyringKeyGenParameterSpec.builder()
                        .purpose(KeyringKeyGenParameterSpec.Purpose.KEY_WRAP)
                        .build()));
    assertThrows(
        InvalidAlgorithmParameterException.class,
        () ->
            generator("RSA")
                .initialize(
                    KeyringKeyGenParameterSpec.builder()
                        .purpose(KeyringKeyGenParameterSpec.Purpose.KEY_AGREEMENT)
                        .build()));
  }
}
