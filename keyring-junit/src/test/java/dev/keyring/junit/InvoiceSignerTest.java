package dev.keyring.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Signature;
import org.junit.jupiter.api.Test;

/** The README's "test with an HSM cluster in one line" example, as it is shown there. */
@KeyringCluster
class InvoiceSignerTest {
  @Test
  void signsOnTheKeyring(KeyStore keyring) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "Keyring");
    KeyPair pair = g.generateKeyPair(); // on the keyring; the private key never leaves it
    byte[] invoice = "invoice 42: 100 EUR".getBytes(StandardCharsets.UTF_8);
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(pair.getPrivate());
    s.update(invoice);
    byte[] signature = s.sign();

    Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
    v.initVerify(pair.getPublic());
    v.update(invoice);
    assertTrue(v.verify(signature));
    assertEquals("Keyring", keyring.getType());
  }
}
