package dev.keyring.provider.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.provider.FakeClusterProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec.Purpose;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import javax.crypto.KeyAgreement;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The ECDH peer key must be on the keyring key's curve itself, not only on a curve of the same
 * size: a brainpoolP384r1 point (a valid point of its own curve) is refused against a P-384 key.
 */
class EcdhPeerCurveTest {
  @RegisterExtension final FakeClusterProvider fake = FakeClusterProvider.start(1);

  private KeyPair agreementKey(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", fake.provider());
    g.initialize(
        KeyringKeyGenParameterSpec.builder().curve(curve).purpose(Purpose.KEY_AGREEMENT).build());
    return g.generateKeyPair();
  }

  private static KeyPair software(String curve, java.security.Provider p) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", p);
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  @Test
  void brainpoolP384Peer_againstAP384Key_isRefusedAtDoPhase() throws Exception {
    KeyPair brainpool = software("brainpoolP384r1", new BouncyCastleProvider());
    ECPublicKey peer = (ECPublicKey) brainpool.getPublic();
    assertTrue(peer.getParams().getCurve().getField().getFieldSize() == 384);
    KeyAgreement ka = KeyAgreement.getInstance("ECDH", fake.provider());
    ka.init(agreementKey("secp384r1").getPrivate());
    InvalidKeyException e = assertThrows(InvalidKeyException.class, () -> ka.doPhase(peer, true));
    assertTrue(e.getMessage().contains("another curve"), e.getMessage());
  }

  @Test
  void p384PeerFromAnotherProvider_isTheSameCurve_andIsTaken() throws Exception {
    KeyAgreement ka = KeyAgreement.getInstance("ECDH", fake.provider());
    ka.init(agreementKey("secp384r1").getPrivate());
    // BouncyCastle's parameter objects for P-384 name the same curve as the JDK's
    ka.doPhase(software("secp384r1", new BouncyCastleProvider()).getPublic(), true);
    assertNotNull(ka.generateSecret("HmacSHA256"));
  }

  @Test
  void sameCurve_comparesEveryDomainParameter() throws Exception {
    java.security.Provider bc = new BouncyCastleProvider();
    ECPublicKey p384 = (ECPublicKey) software("secp384r1", bc).getPublic();
    ECPublicKey sun384 =
        (ECPublicKey)
            software("secp384r1", java.security.Security.getProvider("SunEC")).getPublic();
    ECPublicKey bp384 = (ECPublicKey) software("brainpoolP384r1", bc).getPublic();
    assertTrue(KeyringKeyAgreementSpi.sameCurve(p384.getParams(), sun384.getParams()));
    assertFalse(KeyringKeyAgreementSpi.sameCurve(p384.getParams(), bp384.getParams()));
  }
}
