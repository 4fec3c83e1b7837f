package dev.keyring.protocol.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Locale;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FingerprintTrustTest {
  private static X509Certificate member;
  private static X509Certificate other;
  private static X509Certificate expired;

  @BeforeAll
  static void certificates() throws Exception {
    Instant now = Instant.now();
    member = selfSigned("CN=member-a", now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(1)));
    other = selfSigned("CN=member-b", now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(1)));
    expired = selfSigned("CN=old", now.minus(Duration.ofDays(3)), now.minus(Duration.ofDays(2)));
  }

  private static X509Certificate selfSigned(String dn, Instant from, Instant to) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    KeyPair kp = g.generateKeyPair();
    X500Principal name = new X500Principal(dn);
    return new JcaX509CertificateConverter()
        .getCertificate(
            new JcaX509v3CertificateBuilder(
                    name, BigInteger.ONE, Date.from(from), Date.from(to), name, kp.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
  }

  private static FingerprintTrust pinnedTo(String fingerprint) {
    return new FingerprintTrust(fingerprint, "the member", "--fingerprint");
  }

  @Test
  void firstUse_trustsAnyValidCertificate_andKeepsItsFingerprint() throws Exception {
    FingerprintTrust trust = pinnedTo(null);
    assertFalse(trust.pinned());
    assertNull(trust.seen());
    trust.checkServerTrusted(new X509Certificate[] {member}, "EC");
    assertEquals(FingerprintTrust.fingerprint(member), trust.seen());
  }

  @Test
  void pinned_acceptsTheCertificateWithThatFingerprint_writtenWithColonsInAnyCase()
      throws Exception {
    String colons = FingerprintTrust.display(FingerprintTrust.fingerprint(member));
    FingerprintTrust trust = pinnedTo(colons.toLowerCase(Locale.ROOT));
    assertTrue(trust.pinned());
    trust.checkServerTrusted(new X509Certificate[] {member}, "EC");
    assertEquals(FingerprintTrust.fingerprint(member), trust.seen());
  }

  @Test
  void pinned_refusesAnotherCertificate_namingBothFingerprintsAndTheOption() throws Exception {
    String pin = FingerprintTrust.fingerprint(member);
    FingerprintTrust trust = pinnedTo(pin);
    CertificateException e =
        assertThrows(
            CertificateException.class,
            () -> trust.checkServerTrusted(new X509Certificate[] {other}, "EC"));
    String seen = FingerprintTrust.fingerprint(other);
    assertTrue(e.getMessage().startsWith("the member presented a certificate"), e.getMessage());
    assertTrue(e.getMessage().contains(FingerprintTrust.display(seen)), e.getMessage());
    assertTrue(e.getMessage().contains(FingerprintTrust.display(pin)), e.getMessage());
    assertTrue(e.getMessage().contains("--fingerprint"), e.getMessage());
    assertEquals(seen, trust.seen(), "the refused fingerprint is kept, to be shown");
  }

  @Test
  void anExpiredCertificateIsRefused_evenOnFirstUse() {
    assertThrows(
        CertificateExpiredException.class,
        () -> pinnedTo(null).checkServerTrusted(new X509Certificate[] {expired}, "EC"));
  }

  @Test
  void noCertificate_andClientCertificates_areRefused() {
    FingerprintTrust trust = pinnedTo(null);
    CertificateException none =
        assertThrows(
            CertificateException.class,
            () -> trust.checkServerTrusted(new X509Certificate[0], "EC"));
    assertEquals("the member presented no certificate", none.getMessage());
    assertThrows(
        CertificateException.class,
        () -> trust.checkClientTrusted(new X509Certificate[] {member}, "EC"));
    assertEquals(0, trust.getAcceptedIssuers().length);
  }

  @Test
  void aMalformedPinIsRefused_naming_theOption() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> pinnedTo("AB:CD"));
    assertTrue(e.getMessage().startsWith("--fingerprint must be 64 hex digits"), e.getMessage());
  }

  @Test
  void normalize_keepsOnly64HexDigits_andDisplay_pairsThemWithColons() {
    String hex = "0123456789abcdef".repeat(4);
    assertEquals(hex, FingerprintTrust.normalize(FingerprintTrust.display(hex)));
    assertEquals(hex, FingerprintTrust.normalize(hex.toUpperCase(Locale.ROOT)));
    assertNull(FingerprintTrust.normalize(hex.substring(2)));
    assertNull(FingerprintTrust.normalize("zz" + hex.substring(2)));
    assertEquals("01:23:45:67", FingerprintTrust.display("01234567"));
  }

  @Test
  void reportFirstUse_printsTheFingerprintAndTheOption_onlyWhenTrustedOnFirstUse()
      throws Exception {
    FingerprintTrust firstUse = pinnedTo(null);
    StringWriter before = new StringWriter();
    assertFalse(firstUse.reportFirstUse(new PrintWriter(before), "The member at x"));
    assertEquals("", before.toString(), "nothing to report before a handshake");

    firstUse.checkServerTrusted(new X509Certificate[] {member}, "EC");
    StringWriter after = new StringWriter();
    assertTrue(firstUse.reportFirstUse(new PrintWriter(after), "The member at x"));
    String text = after.toString();
    assertTrue(text.startsWith("The member at x presented a certificate"), text);
    assertTrue(
        text.contains("  " + FingerprintTrust.display(FingerprintTrust.fingerprint(member))), text);
    assertTrue(text.contains("trusted on first use"), text);
    assertTrue(text.contains("--fingerprint"), text);

    FingerprintTrust pinned = pinnedTo(FingerprintTrust.fingerprint(member));
    pinned.checkServerTrusted(new X509Certificate[] {member}, "EC");
    StringWriter none = new StringWriter();
    assertFalse(pinned.reportFirstUse(new PrintWriter(none), "The member at x"));
    assertEquals("", none.toString());
  }
}
