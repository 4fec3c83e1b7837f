package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EcdsaP1363Test {
  @ParameterizedTest
  @CsvSource({"secp256r1, 32", "secp384r1, 48", "secp521r1, 66"})
  void derFromSunEc_convertsToSunEcsP1363OfTheSameSignature_andBack(String curve, int n)
      throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
    g.initialize(new ECGenParameterSpec(curve));
    KeyPair kp = g.generateKeyPair();
    byte[] msg = {1, 2, 3};
    for (int i = 0; i < 20; i++) { // some r or s with leading zero bytes among them
      Signature der = Signature.getInstance("SHA256withECDSA", "SunEC");
      der.initSign(kp.getPrivate());
      der.update(msg);
      byte[] d = der.sign();
      byte[] p = EcdsaP1363.fromDer(d, n);
      Signature v = Signature.getInstance("SHA256withECDSAinP1363Format", "SunEC");
      v.initVerify(kp.getPublic());
      v.update(msg);
      assertTrue(v.verify(p));
      assertArrayEquals(d, EcdsaP1363.toDer(p, n));
    }
  }

  @Test
  void smallValues_arePaddedAndEncodedMinimally() throws Exception {
    byte[] der = HexFormat.of().parseHex("3007020101020200ff");
    byte[] p = EcdsaP1363.fromDer(der, 32);
    assertEquals(64, p.length);
    assertEquals(BigInteger.ONE, new BigInteger(1, Arrays.copyOfRange(p, 0, 32)));
    assertEquals(BigInteger.valueOf(255), new BigInteger(1, Arrays.copyOfRange(p, 32, 64)));
    assertArrayEquals(der, EcdsaP1363.toDer(p, 32));
  }

  @Test
  void malformedInputs_areRefused() {
    assertThrows(SignatureException.class, () -> EcdsaP1363.toDer(new byte[63], 32));
    assertThrows(SignatureException.class, () -> EcdsaP1363.fromDer(new byte[0], 32));
    assertThrows(
        SignatureException.class,
        () -> EcdsaP1363.fromDer(HexFormat.of().parseHex("3003020101"), 32));
    assertThrows(
        SignatureException.class,
        () -> EcdsaP1363.fromDer(HexFormat.of().parseHex("30060201ff020101"), 32));
    // r longer than the order
    byte[] big = new byte[36];
    big[0] = 0x30;
    big[1] = 34;
    big[2] = 0x02;
    big[3] = 31;
    big[4] = 0x7f;
    big[33] = 0x02;
    big[34] = 1;
    big[35] = 1;
    assertThrows(SignatureException.class, () -> EcdsaP1363.fromDer(big, 16));
  }
}
