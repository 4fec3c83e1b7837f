package dev.keyring.benchmarks.wire;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away PKI for the wire benchmark, made in memory with BouncyCastle: a CA, a server
 * certificate for {@code localhost} / {@code 127.0.0.1} and a client certificate, all EC P-256 and
 * signed with SHA-256 ECDSA, as a member's mutual TLS uses them. The keys are made for the trial
 * and never leave the process.
 */
final class WireCertificates {
  private static final char[] STORE_PASSWORD = "wire-benchmark".toCharArray();
  private static final Duration VALIDITY = Duration.ofDays(1);

  final X509Certificate ca;
  final PrivateKey serverKey;
  final X509Certificate server;
  final PrivateKey clientKey;
  final X509Certificate client;

  private WireCertificates(
      X509Certificate ca,
      PrivateKey serverKey,
      X509Certificate server,
      PrivateKey clientKey,
      X509Certificate client) {
    this.ca = ca;
    this.serverKey = serverKey;
    this.server = server;
    this.clientKey = clientKey;
    this.client = client;
  }

  /** A new CA with a server and a client certificate issued by it. */
  static WireCertificates create() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair caKeys = generator.generateKeyPair();
    KeyPair serverKeys = generator.generateKeyPair();
    KeyPair clientKeys = generator.generateKeyPair();
    X500Name caName = new X500Name("CN=Keyring wire benchmark CA");
    try {
      X509Certificate ca = issue(caName, caKeys.getPublic(), caName, caKeys.getPrivate(), null);
      X509Certificate server =
          issue(
              new X500Name("CN=localhost"),
              serverKeys.getPublic(),
              caName,
              caKeys.getPrivate(),
              KeyPurposeId.id_kp_serverAuth);
      X509Certificate client =
          issue(
              new X500Name("CN=wire-benchmark-client"),
              clientKeys.getPublic(),
              caName,
              caKeys.getPrivate(),
              KeyPurposeId.id_kp_clientAuth);
      return new WireCertificates(
          ca, serverKeys.getPrivate(), server, clientKeys.getPrivate(), client);
    } catch (OperatorCreationException | java.io.IOException e) {
      throw new GeneralSecurityException("could not issue the benchmark certificates", e);
    }
  }

  /** A CA certificate when {@code purpose} is null, else a leaf for that purpose. */
  private static X509Certificate issue(
      X500Name subject,
      PublicKey subjectKey,
      X500Name issuer,
      PrivateKey issuerKey,
      KeyPurposeId purpose)
      throws OperatorCreationException, GeneralSecurityException, java.io.IOException {
    Instant now = Instant.now();
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuer,
            new BigInteger(64, new SecureRandom()).setBit(63),
            Date.from(now.minusSeconds(300)),
            Date.from(now.plus(VALIDITY)),
            subject,
            subjectKey);
    if (purpose == null) {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
      if (purpose == KeyPurposeId.id_kp_serverAuth) {
        b.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(
                new GeneralName[] {
                  new GeneralName(GeneralName.dNSName, "localhost"),
                  new GeneralName(GeneralName.iPAddress, "127.0.0.1")
                }));
      }
    }
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
  }

  /** The JDK's TLS 1.3 context of the server: its certificate, trusting the CA for clients. */
  SSLContext serverContext() throws GeneralSecurityException {
    return context(serverKey, server);
  }

  /** The JDK's TLS 1.3 context of the client: its certificate, trusting the CA for servers. */
  SSLContext clientContext() throws GeneralSecurityException {
    return context(clientKey, client);
  }

  private SSLContext context(PrivateKey key, X509Certificate certificate)
      throws GeneralSecurityException {
    try {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("key", key, STORE_PASSWORD, new Certificate[] {certificate, ca});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
      kmf.init(keys, STORE_PASSWORD);
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLSv1.3");
      context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
      return context;
    } catch (java.io.IOException e) {
      throw new GeneralSecurityException("could not build the benchmark's key store", e);
    }
  }
}
