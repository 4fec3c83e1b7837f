package dev.keyring.samples;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.Provider;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Self-signed TLS server certificates for {@code localhost} and {@code 127.0.0.1}, signed by the
 * key pair's own private key through a given provider: with a keyring key pair, the signature is
 * made on the keyring.
 */
public final class ServerCertificates {
  private static final Duration VALIDITY = Duration.ofDays(30);

  private ServerCertificates() {}

  /**
   * A certificate for {@code CN=localhost} with subject alternative names {@code DNS:localhost} and
   * {@code IP:127.0.0.1}, usable for TLS server authentication, self-signed with SHA-256 (RSA
   * PKCS#1 v1.5 or ECDSA, after the key's algorithm) through {@code signer}.
   */
  public static X509Certificate selfSignedForLocalhost(KeyPair keyPair, Provider signer)
      throws Exception {
    return selfSignedForLocalhost(keyPair, signer, "localhost");
  }

  /**
   * As {@link #selfSignedForLocalhost(KeyPair, Provider)}, with subject {@code CN=commonName} (the
   * alternative names stay {@code localhost} and {@code 127.0.0.1}): several certificates of one
   * server, told apart by their subject.
   */
  public static X509Certificate selfSignedForLocalhost(
      KeyPair keyPair, Provider signer, String commonName) throws Exception {
    Instant now = Instant.now();
    X500Name name = new X500Name("CN=" + commonName);
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name,
            new BigInteger(64, new java.security.SecureRandom()).setBit(63),
            Date.from(now.minusSeconds(300)),
            Date.from(now.plus(VALIDITY)),
            name,
            keyPair.getPublic());
    b.addExtension(Extension.subjectAlternativeName, false, loopbackNames());
    b.addExtension(
        Extension.keyUsage,
        true,
        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
    b.addExtension(
        Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
    String algorithm =
        keyPair.getPublic().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    JcaContentSignerBuilder signerBuilder =
        new JcaContentSignerBuilder(algorithm).setProvider(signer);
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(signerBuilder.build(keyPair.getPrivate())));
  }

  /** The certificate in PEM, as openssl and curl read it. */
  /** The names a loopback server's certificate carries: {@code localhost} and {@code 127.0.0.1}. */
  public static GeneralNames loopbackNames() {
    return new GeneralNames(
        new GeneralName[] {
          new GeneralName(GeneralName.dNSName, "localhost"),
          new GeneralName(GeneralName.iPAddress, "127.0.0.1")
        });
  }

  public static String toPem(X509Certificate certificate) throws CertificateEncodingException {
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(certificate.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }

  /**
   * A client TLS context that trusts {@code certificate} only (an in-memory PKCS#12 trust store),
   * for the JDK's {@code HttpClient} or {@code HttpsURLConnection}.
   */
  public static SSLContext trusting(X509Certificate certificate) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", certificate);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    return tls;
  }

  /** Writes the certificate in PEM to {@code file} and returns the file. */
  public static Path writePem(X509Certificate certificate, Path file) throws Exception {
    Files.writeString(file, toPem(certificate), StandardCharsets.US_ASCII);
    return file;
  }
}
