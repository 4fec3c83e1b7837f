package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Makes the member PKI's key pairs (EC, SunEC) and certificates, one method per profile: the
 * appliance's self-signed TLS certificate, the cluster CA, a member certificate and a client
 * certificate. Every certificate has a random 128-bit serial number and is valid from a day ago.
 */
final class CertificateIssuer {
  private static final Duration TEN_YEARS = Duration.ofDays(3650);
  private static final Duration MEMBER_VALIDITY = Duration.ofDays(730);
  private static final Duration BACKDATE = Duration.ofDays(1);

  private final SecureRandom random;

  CertificateIssuer(SecureRandom random) {
    this.random = random;
  }

  /**
   * The appliance's TLS certificate: self-signed, CN {@code cn}, SAN IP 127.0.0.1 and DNS
   * localhost, serverAuth and clientAuth, valid 10 years.
   */
  X509Certificate appliance(String cn, KeyPair kp) {
    Instant now = Instant.now();
    X500Name name = cn(cn);
    return sign(
        tlsEndEntity(builder(name, name, now, now.plus(TEN_YEARS), kp.getPublic()), kp.getPublic()),
        kp.getPrivate(),
        "SHA256withECDSA");
  }

  /** The cluster CA: self-signed, CA (path length 0), keyCertSign and cRLSign, 10 years. */
  X509Certificate clusterCa(UUID clusterId, String clusterLabel, KeyPair kp) {
    Instant now = Instant.now();
    X500Name name =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, "Keyring")
            .addRDN(BCStyle.OU, clusterId.toString())
            .addRDN(BCStyle.CN, clusterLabel + " cluster CA")
            .build();
    return sign(
        builder(name, name, now, now.plus(TEN_YEARS), kp.getPublic())
            .ext(Extension.basicConstraints, true, new BasicConstraints(0))
            .ext(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
            .ext(
                Extension.subjectKeyIdentifier,
                false,
                extUtils().createSubjectKeyIdentifier(kp.getPublic())),
        kp.getPrivate(),
        "SHA384withECDSA");
  }

  /**
   * A member certificate issued by the cluster CA: CN {@code memberName}, SAN IP 127.0.0.1 and DNS
   * localhost, serverAuth and clientAuth, valid two years and never past the CA's end.
   */
  X509Certificate member(
      X509Certificate ca, PrivateKey caKey, String memberName, PublicKey memberKey) {
    Instant now = Instant.now();
    CertBuilder b =
        builder(
            subjectOf(ca),
            cn(memberName),
            now,
            min(now.plus(MEMBER_VALIDITY), ca.getNotAfter().toInstant()),
            memberKey);
    return sign(
        tlsEndEntity(b, memberKey).ext(Extension.authorityKeyIdentifier, false, authorityKeyId(ca)),
        caKey,
        "SHA384withECDSA");
  }

  /**
   * A client certificate (clientAuth) for the subject and key of an accepted CSR, issued by the
   * cluster CA, valid for {@code validity} and never past the CA's end.
   */
  X509Certificate client(
      X509Certificate ca, PrivateKey caKey, PKCS10CertificationRequest csr, Duration validity) {
    Instant now = Instant.now();
    Instant end = min(now.plus(validity), ca.getNotAfter().toInstant());
    SubjectPublicKeyInfo spki = csr.getSubjectPublicKeyInfo();
    return sign(
        new CertBuilder(
                new X509v3CertificateBuilder(
                    subjectOf(ca),
                    newSerial(),
                    Date.from(now.minus(BACKDATE)),
                    Date.from(end),
                    csr.getSubject(),
                    spki))
            .ext(Extension.basicConstraints, true, new BasicConstraints(false))
            .ext(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
            .ext(
                Extension.extendedKeyUsage,
                false,
                new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth))
            .ext(Extension.subjectKeyIdentifier, false, extUtils().createSubjectKeyIdentifier(spki))
            .ext(Extension.authorityKeyIdentifier, false, authorityKeyId(ca)),
        caKey,
        "SHA384withECDSA");
  }

  /** A new EC key pair on {@code curve} (SunEC, this HSM's DRBG). */
  KeyPair generateEc(String curve) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC", sunEc());
      g.initialize(new ECGenParameterSpec(curve), random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "EC key generation failed");
    }
  }

  /** Whether {@code cert} names {@code ca} as issuer and carries a signature of its key. */
  static boolean issuedBy(X509Certificate cert, X509Certificate ca) {
    if (!cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
      return false;
    }
    try {
      cert.verify(ca.getPublicKey(), sunEc());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** Whether {@code cert} carries the clientAuth extended key usage. */
  static boolean hasClientAuth(X509Certificate cert) {
    try {
      List<String> eku = cert.getExtendedKeyUsage();
      return eku != null && eku.contains(KeyPurposeId.id_kp_clientAuth.getId());
    } catch (CertificateParsingException e) {
      return false;
    }
  }

  /** The JDK's SunEC provider, which makes and uses every PKI key. */
  static Provider sunEc() {
    Provider p = Security.getProvider("SunEC");
    if (p == null) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "the JDK's SunEC provider is missing");
    }
    return p;
  }

  /** An X509v3CertificateBuilder whose extension errors are HsmExceptions. */
  private static final class CertBuilder {
    final X509v3CertificateBuilder b;

    CertBuilder(X509v3CertificateBuilder b) {
      this.b = b;
    }

    CertBuilder ext(ASN1ObjectIdentifier oid, boolean critical, ASN1Encodable value) {
      try {
        b.addExtension(oid, critical, value);
      } catch (CertIOException e) {
        throw new HsmException(
            ResultCode.CKR_DEVICE_ERROR, "adding extension " + oid + " failed: " + e.getMessage());
      }
      return this;
    }
  }

  private CertBuilder builder(
      X500Name issuer, X500Name subject, Instant now, Instant notAfter, PublicKey key) {
    return new CertBuilder(
        new X509v3CertificateBuilder(
            issuer,
            newSerial(),
            Date.from(now.minus(BACKDATE)),
            Date.from(notAfter),
            subject,
            SubjectPublicKeyInfo.getInstance(key.getEncoded())));
  }

  private X509Certificate sign(CertBuilder b, PrivateKey key, String alg) {
    try {
      ContentSigner signer =
          new JcaContentSignerBuilder(alg).setProvider(sunEc()).setSecureRandom(random).build(key);
      byte[] der = b.b.build(signer).getEncoded();
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der));
    } catch (Exception e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "signing a certificate failed: "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }
  }

  private BigInteger newSerial() {
    byte[] b = new byte[16];
    BigInteger s;
    do {
      random.nextBytes(b);
      s = new BigInteger(1, b);
    } while (s.signum() == 0);
    return s;
  }

  /**
   * The extensions of a TLS end entity of this cluster: not a CA, digitalSignature, serverAuth and
   * clientAuth, SAN IP 127.0.0.1 and DNS localhost, and the subject key identifier of {@code key}.
   */
  private static CertBuilder tlsEndEntity(CertBuilder b, PublicKey key) {
    return b.ext(Extension.basicConstraints, true, new BasicConstraints(false))
        .ext(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
        .ext(
            Extension.extendedKeyUsage,
            false,
            new ExtendedKeyUsage(
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
        .ext(Extension.subjectAlternativeName, false, loopbackNames())
        .ext(Extension.subjectKeyIdentifier, false, extUtils().createSubjectKeyIdentifier(key));
  }

  private static JcaX509ExtensionUtils extUtils() {
    try {
      return new JcaX509ExtensionUtils();
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "SHA-1 is not available");
    }
  }

  private static ASN1Encodable authorityKeyId(X509Certificate ca) {
    try {
      return extUtils().createAuthorityKeyIdentifier(ca);
    } catch (CertificateException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "the CA certificate cannot be encoded");
    }
  }

  private static X500Name cn(String cn) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
  }

  private static X500Name subjectOf(X509Certificate c) {
    return X500Name.getInstance(c.getSubjectX500Principal().getEncoded());
  }

  private static GeneralNames loopbackNames() {
    return new GeneralNames(
        new GeneralName[] {
          new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
          new GeneralName(GeneralName.dNSName, "localhost")
        });
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
