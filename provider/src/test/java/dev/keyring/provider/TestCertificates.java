package dev.keyring.provider;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** X.509 certificates for KeyStore tests, signed in software by the JDK (never by a keyring). */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(1);
  private static final long DAY = 86_400_000L;

  private TestCertificates() {}

  /** A software P-256 key pair, for issuers and imported keys. */
  public static KeyPair softwareEcKey() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  /** A self-signed certificate of a software key pair. */
  public static X509Certificate selfSigned(String name, KeyPair pair)
      throws GeneralSecurityException {
    return issue(name, pair.getPublic(), name, pair.getPrivate());
  }

  /**
   * A self-signed certificate of a software key pair whose key usage is key agreement only (no
   * digital signature): a KeyStore import makes its key a key-agreement key.
   */
  public static X509Certificate selfSignedForKeyAgreement(String name, KeyPair pair)
      throws GeneralSecurityException {
    return issue(name, pair.getPublic(), name, pair.getPrivate(), KeyUsage.keyAgreement);
  }

  /** A certificate of {@code subject} named {@code name}, signed by {@code issuerKey}. */
  public static X509Certificate issue(
      String name, PublicKey subject, String issuer, PrivateKey issuerKey)
      throws GeneralSecurityException {
    return issue(name, subject, issuer, issuerKey, 0);
  }

  private static X509Certificate issue(
      String name, PublicKey subject, String issuer, PrivateKey issuerKey, int keyUsage)
      throws GeneralSecurityException {
    long now = System.currentTimeMillis();
    JcaX509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            new X500Name("CN=" + issuer),
            BigInteger.valueOf(SERIAL.getAndIncrement()),
            new Date(now - DAY),
            new Date(now + DAY),
            new X500Name("CN=" + name),
            subject);
    try {
      if (keyUsage != 0) {
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    } catch (OperatorCreationException | CertIOException e) {
      throw new GeneralSecurityException("cannot sign the test certificate", e);
    }
  }
}
