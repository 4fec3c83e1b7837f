package dev.keyring.client.testing;

import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.internal.transport.PemFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
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
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Keys, CSRs and certificates made in tests (a self-made CA that no cluster knows). */
public final class TestPki {
  private static final SecureRandom RANDOM = new SecureRandom();

  private TestPki() {}

  public static KeyPair ecKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeyPair rsaKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048, RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A DER PKCS#10 request for CN={@code cn}. */
  public static byte[] csr(KeyPair kp, String cn) {
    try {
      PKCS10CertificationRequest r =
          new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + cn), kp.getPublic())
              .build(new JcaContentSignerBuilder(sigAlg(kp.getPrivate())).build(kp.getPrivate()));
      return r.getEncoded();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A self-signed CA certificate. */
  public static X509Certificate selfSignedCa(KeyPair kp, String cn) {
    try {
      Instant now = Instant.now();
      X500Name name = new X500Name("CN=" + cn);
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              name,
              new BigInteger(64, RANDOM),
              Date.from(now.minus(Duration.ofDays(1))),
              Date.from(now.plus(Duration.ofDays(30))),
              name,
              kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      return sign(b, kp.getPrivate());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A certificate for {@code subject} signed by the CA, with clientAuth and serverAuth, and the
   * given DNS names and IP addresses as subjectAltNames.
   */
  public static X509Certificate issue(
      X509Certificate ca, PrivateKey caKey, KeyPair subject, String cn, String... altNames) {
    return issue(
        ca,
        caKey,
        subject,
        cn,
        new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth},
        altNames);
  }

  /**
   * A client certificate (extendedKeyUsage clientAuth only, as registration issues them) for {@code
   * cn}, with 127.0.0.1 and localhost as subjectAltNames.
   */
  public static X509Certificate issueForClients(
      X509Certificate ca, PrivateKey caKey, KeyPair subject, String cn) {
    return issue(
        ca,
        caKey,
        subject,
        cn,
        new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth},
        "127.0.0.1",
        "localhost");
  }

  private static X509Certificate issue(
      X509Certificate ca,
      PrivateKey caKey,
      KeyPair subject,
      String cn,
      KeyPurposeId[] purposes,
      String... altNames) {
    try {
      Instant now = Instant.now();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              ca,
              new BigInteger(64, RANDOM),
              Date.from(now.minus(Duration.ofDays(1))),
              Date.from(now.plus(Duration.ofDays(30))),
              new X500Name("CN=" + cn),
              subject.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
      if (altNames.length > 0) {
        GeneralName[] names = new GeneralName[altNames.length];
        for (int i = 0; i < altNames.length; i++) {
          String n = altNames[i];
          names[i] =
              n.matches("[0-9.]+") || n.contains(":")
                  ? new GeneralName(GeneralName.iPAddress, n)
                  : new GeneralName(GeneralName.dNSName, n);
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      }
      return sign(b, caKey);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws Exception {
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder(sigAlg(key)).build(key)));
  }

  private static String sigAlg(PrivateKey key) {
    return key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
  }

  /** Certificates as one PEM text. */
  public static String pem(X509Certificate... certs) {
    StringBuilder sb = new StringBuilder();
    try {
      for (X509Certificate c : certs) {
        sb.append(PemFiles.toPem("CERTIFICATE", c.getEncoded()));
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    return sb.toString();
  }

  /** A private key as PKCS#8 PEM ({@code PRIVATE KEY}). */
  public static String pkcs8Pem(PrivateKey key) {
    return PemFiles.toPem("PRIVATE KEY", key.getEncoded());
  }

  /**
   * A key pair in the traditional OpenSSL form: {@code EC PRIVATE KEY} or {@code RSA PRIVATE KEY}.
   */
  public static String traditionalPem(KeyPair kp) {
    if (kp.getPrivate() instanceof java.security.interfaces.ECPrivateKey) {
      // SEC1 as OpenSSL writes it: the curve inside the structure (the JDK's PKCS#8 keeps it
      // only in the algorithm identifier, so converting that would drop it)
      java.security.interfaces.ECPrivateKey k =
          (java.security.interfaces.ECPrivateKey) kp.getPrivate();
      try {
        byte[] der =
            new org.bouncycastle.asn1.sec.ECPrivateKey(
                    256, k.getS(), org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp256r1)
                .getEncoded();
        return PemFiles.toPem("EC PRIVATE KEY", der);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(kp);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  public static Path write(Path file, String text) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      return Files.writeString(file, text, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A cluster CA and a client identity it issued, as the entry of a client configuration file. */
  public record ClientIdentity(KeyPair caKeys, X509Certificate ca, ClusterEntry entry) {
    /**
     * The server-side TLS context of member {@code m1} at 127.0.0.1, its certificate issued by this
     * identity's CA: for test members the client reaches through {@link #entry()}.
     */
    public SSLContext memberTls() throws GeneralSecurityException, IOException {
      char[] pw = "test-store".toCharArray();
      KeyPair member = ecKeyPair();
      X509Certificate cert = issue(ca, caKeys.getPrivate(), member, "m1", "127.0.0.1");
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("m1", member.getPrivate(), pw, new Certificate[] {cert, ca});
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, pw);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(kmf.getKeyManagers(), null, null);
      return tls;
    }
  }

  /**
   * A new cluster CA and a client certificate {@code cn} it issued, written to {@code dir}; the
   * entry names member {@code m1} at 127.0.0.1:{@code port}.
   */
  public static ClientIdentity clientOfNewCa(Path dir, String cn, int port) {
    KeyPair caKeys = ecKeyPair();
    X509Certificate ca = selfSignedCa(caKeys, "Test cluster CA");
    KeyPair client = ecKeyPair();
    X509Certificate cert = issue(ca, caKeys.getPrivate(), client, cn);
    ClusterEntry entry =
        new ClusterEntry(
            0,
            "127.0.0.1",
            port,
            write(dir.resolve("client.pem"), pem(cert)),
            write(dir.resolve("clientKey.pem"), pkcs8Pem(client.getPrivate())),
            write(dir.resolve("ca.pem"), pem(ca)),
            "m1");
    return new ClientIdentity(caKeys, ca, entry);
  }
}
