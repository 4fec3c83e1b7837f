package dev.keyring.samples.httpclient;

import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.SampleCommandLine;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The JDK's {@link HttpClient} with a TLS client identity on a keyring: the {@code Keyring}
 * KeyStore goes into a {@link KeyManagerFactory} like any key store, and the {@link SSLContext} it
 * makes goes into the client. The private key stays on the keyring; JSSE asks the provider for the
 * handshake's CertificateVerify signature.
 *
 * <pre>{@code
 * KeyStore keyring = KeyStore.getInstance("Keyring");
 * keyring.load(slotProperties, krcoPassword);
 * KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
 * kmf.init(keyring, krcoPassword);
 * SSLContext tls = SSLContext.getInstance("TLS");
 * tls.init(kmf.getKeyManagers(), trustManagers, null);
 * HttpClient client = HttpClient.newBuilder().sslContext(tls).build();
 * }</pre>
 *
 * <p>The key manager offers the keyring's key whose type and issuer fit the server's certificate
 * request; a keyring that holds several client keys for one server needs a key manager that picks
 * by alias (docs/key-manager.md).
 *
 * <p>Usage: {@code MutualTlsClientSample <Chrystoki.conf> <slot file> <alias> <server CA PEM>
 * <https URL>} with the KRCO password in {@code KEYRING_KRCO_PASSWORD}: fetches the URL and prints
 * the page; if the alias has no key, an EC P-256 key pair is generated on the keyring with a
 * self-signed client certificate ({@code CN=<alias>}).
 */
public final class MutualTlsClientSample {
  private static final Duration VALIDITY = Duration.ofDays(30);

  private MutualTlsClientSample() {}

  /**
   * Makes sure {@code alias} on the keyring of {@code keyring} has a key and a certificate: if not,
   * generates a key pair of {@code algorithm} ({@code EC}: P-256, {@code RSA}: 2048 bits) on the
   * keyring and stores a self-signed client certificate ({@code CN=<alias>}, extended key usage
   * clientAuth) signed on the keyring. Returns the certificate.
   */
  public static X509Certificate ensureClientKey(
      KeyStore keyring, char[] password, String alias, String algorithm) throws Exception {
    if (keyring.isKeyEntry(alias) && keyring.getCertificate(alias) != null) {
      return (X509Certificate) keyring.getCertificate(alias);
    }
    Provider provider = keyring.getProvider();
    KeyPairGenerator g;
    switch (algorithm) {
      case "EC" -> {
        g = KeyPairGenerator.getInstance("EC", provider);
        g.initialize(new ECGenParameterSpec("secp256r1"));
      }
      case "RSA" -> {
        g = KeyPairGenerator.getInstance("RSA", provider);
        g.initialize(2048);
      }
      default ->
          throw new IllegalArgumentException(
              "client key algorithm must be EC or RSA, got " + algorithm);
    }
    KeyPair kp = g.generateKeyPair();
    X509Certificate cert = selfSignedClientCertificate(kp, alias, provider);
    keyring.setKeyEntry(alias, kp.getPrivate(), password, new Certificate[] {cert});
    return cert;
  }

  /** A self-signed client certificate {@code CN=<name>} signed through {@code signer}. */
  static X509Certificate selfSignedClientCertificate(KeyPair keyPair, String name, Provider signer)
      throws Exception {
    Instant now = Instant.now();
    X500Name subject = new X500Name("CN=" + name);
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            subject,
            new BigInteger(64, new SecureRandom()).setBit(63),
            Date.from(now.minusSeconds(300)),
            Date.from(now.plus(VALIDITY)),
            subject,
            keyPair.getPublic());
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(
        Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
    String algorithm =
        keyPair.getPublic().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
    return new JcaX509CertificateConverter()
        .getCertificate(
            b.build(
                new JcaContentSignerBuilder(algorithm)
                    .setProvider(signer)
                    .build(keyPair.getPrivate())));
  }

  /**
   * A TLS context whose client identity comes from the loaded {@code keyring} (its keys answer the
   * server's certificate request) and which trusts {@code trustedServer} only.
   */
  public static SSLContext clientContext(
      KeyStore keyring, char[] password, X509Certificate trustedServer) throws Exception {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(keyring, password);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("server", trustedServer);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return tls;
  }

  /** An HTTP/1.1 client whose TLS comes from {@code tls}. */
  public static HttpClient client(SSLContext tls) {
    return HttpClient.newBuilder()
        .sslContext(tls)
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(30))
        .build();
  }

  /** GETs {@code url} with {@code tls} and returns the response. */
  public static HttpResponse<String> get(SSLContext tls, URI url) throws Exception {
    return client(tls)
        .send(
            HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60)).build(),
            HttpResponse.BodyHandlers.ofString());
  }

  public static void main(String[] args) throws Exception {
    SampleCommandLine.requireArgs(
        args,
        5,
        5,
        "MutualTlsClientSample <Chrystoki.conf> <slot file> <alias> <server CA PEM> <https URL>");
    String password = SampleCommandLine.krcoPassword();
    Security.addProvider(new KeyringProvider().configure(args[0]));
    KeyStore keyring = KeyStore.getInstance("Keyring");
    try (InputStream in = Files.newInputStream(Path.of(args[1]))) {
      keyring.load(in, password.toCharArray());
    }
    ensureClientKey(keyring, password.toCharArray(), args[2], "EC");
    X509Certificate server;
    try (InputStream in = Files.newInputStream(Path.of(args[3]))) {
      server = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    HttpResponse<String> r =
        get(clientContext(keyring, password.toCharArray(), server), URI.create(args[4]));
    System.out.println(r.statusCode());
    System.out.print(r.body());
  }
}
