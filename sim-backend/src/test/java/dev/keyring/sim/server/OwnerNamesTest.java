package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

class OwnerNamesTest {
  private static final BouncyCastleProvider BC = new BouncyCastleProvider();
  private static final BigInteger SERIAL = new BigInteger("7f3a0c11d2e4", 16);

  @Test
  void theNameIsTheSerialInHex_andIsMadeOncePerCertificateObject() throws Exception {
    X509Certificate cert = parse(certificate());
    OwnerNames.Known first = OwnerNames.of(cert);
    assertEquals("7f3a0c11d2e4", first.name());
    assertEquals(SERIAL, first.serial());
    assertSame(first, OwnerNames.of(cert), "the same certificate object finds its name kept");
  }

  @Test
  void aClientsSeveralConnections_eachKeepTheirName_whenTheyTakeTurns() throws Exception {
    byte[] der = certificate();
    // one certificate object per handshake: the same certificate, parsed again, is another object
    X509Certificate a = parse(der);
    X509Certificate b = parse(der);
    for (int tries = 0; slot(b) == slot(a) && tries < 1_000; tries++) {
      b = parse(der);
    }
    assertNotSame(a, b);
    assertNotEquals(slot(a), slot(b), "no second certificate object in another slot");
    OwnerNames.Known ka = OwnerNames.of(a);
    OwnerNames.Known kb = OwnerNames.of(b);
    assertEquals(ka.name(), kb.name());
    for (int i = 0; i < 3; i++) {
      assertSame(ka, OwnerNames.of(a), "a's name is still kept after b's request");
      assertSame(kb, OwnerNames.of(b), "b's name is still kept after a's request");
    }
  }

  @Test
  void aCertificateWhoseSlotHoldsAnother_replacesIt_andIsNamedRight() throws Exception {
    X509Certificate a = parse(certificate());
    byte[] other = certificate(BigInteger.valueOf(255));
    X509Certificate b = parse(other);
    for (int tries = 0; slot(b) != slot(a) && tries < 10_000; tries++) {
      b = parse(other);
    }
    assertEquals(slot(a), slot(b), "no certificate object in a's slot");
    assertEquals("7f3a0c11d2e4", OwnerNames.of(a).name());
    assertEquals("ff", OwnerNames.of(b).name());
    assertEquals("7f3a0c11d2e4", OwnerNames.of(a).name(), "made again, never another's name");
  }

  private static int slot(X509Certificate c) {
    return System.identityHashCode(c) & (OwnerNames.SLOTS - 1);
  }

  /**
   * A new certificate object for {@code der} at each call, as a handshake may make: Bouncy Castle's
   * factory keeps no cache (the JDK's returns the object it parsed before for the same bytes).
   */
  private static X509Certificate parse(byte[] der) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509", BC)
            .generateCertificate(new ByteArrayInputStream(der));
  }

  private static byte[] certificate() throws Exception {
    return certificate(SERIAL);
  }

  private static byte[] certificate(BigInteger serial) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    KeyPair kp = g.generateKeyPair();
    X500Name name = new X500Name("CN=owner-names-test");
    long now = System.currentTimeMillis();
    return new JcaX509v3CertificateBuilder(
            name, serial, new Date(now - 60_000), new Date(now + 3_600_000), name, kp.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()))
        .getEncoded();
  }
}
