package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.HexFormat;
import javax.crypto.Cipher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CKM_RSA_PKCS signing: PKCS#1 v1.5 type 1 padding over the bytes given (a DigestInfo the caller
 * built), checked against the JDK's SHA256withRSA and its RSA cipher opening the signature with the
 * public key; at most the modulus length less 11 bytes.
 */
class RawRsaSignTest {
  private static final byte[] MESSAGE = "signed as a DigestInfo".getBytes(StandardCharsets.UTF_8);

  @TempDir static Path dir;
  private static TestKeyring kr;
  private static KeyPairObjects rsa;

  @BeforeAll
  static void setUp() {
    kr = new TestKeyring(dir);
    rsa =
        kr.boundary.generateKeyPair(
            kr.keyringId,
            KeyGenParams.rsa(2048),
            Attributes.builder().label("raw").build(),
            Attributes.builder().label("raw").build());
  }

  @AfterAll
  static void tearDown() {
    if (kr != null) {
      kr.close();
    }
  }

  private static byte[] sha256DigestInfo() throws Exception {
    byte[] prefix = HexFormat.of().parseHex("3031300d060960864801650304020105000420");
    byte[] h = MessageDigest.getInstance("SHA-256").digest(MESSAGE);
    byte[] out = new byte[prefix.length + h.length];
    System.arraycopy(prefix, 0, out, 0, prefix.length);
    System.arraycopy(h, 0, out, prefix.length, h.length);
    return out;
  }

  private static byte[] sign(byte[] data) {
    return kr.boundary.sign(
        kr.keyringId,
        rsa.privateKey().handle(),
        Mechanism.CKM_RSA_PKCS,
        MechanismParams.NONE,
        data);
  }

  @Test
  void signsADigestInfo_asTheJdksSha256WithRsa_andVerifiesIt() throws Exception {
    byte[] digestInfo = sha256DigestInfo();
    byte[] sig = sign(digestInfo);
    PublicKey pub = PublicKeyAttributes.toPublicKey(rsa.publicKey().attributes());
    Signature v = Signature.getInstance("SHA256withRSA");
    v.initVerify(pub);
    v.update(MESSAGE);
    assertTrue(v.verify(sig));
    Cipher open = Cipher.getInstance("RSA/ECB/PKCS1Padding");
    open.init(Cipher.DECRYPT_MODE, pub);
    assertArrayEquals(digestInfo, open.doFinal(sig));
    kr.boundary.verify(
        kr.keyringId,
        rsa.publicKey().handle(),
        Mechanism.CKM_RSA_PKCS,
        MechanismParams.NONE,
        digestInfo,
        sig);
    byte[] other = digestInfo.clone();
    other[other.length - 1] ^= 1;
    HsmException e =
        assertThrows(
            HsmException.class,
            () ->
                kr.boundary.verify(
                    kr.keyringId,
                    rsa.publicKey().handle(),
                    Mechanism.CKM_RSA_PKCS,
                    MechanismParams.NONE,
                    other,
                    sig));
    assertEquals(ResultCode.CKR_SIGNATURE_INVALID, e.code());
  }

  @Test
  void moreThanTheModulusLessElevenBytes_isRefusedAsDataLenRange() {
    assertEquals(256, sign(new byte[245]).length);
    HsmException e = assertThrows(HsmException.class, () -> sign(new byte[246]));
    assertEquals(ResultCode.CKR_DATA_LEN_RANGE, e.code());
    assertTrue(e.getMessage().contains("at most 245 bytes"), e.getMessage());
  }
}
