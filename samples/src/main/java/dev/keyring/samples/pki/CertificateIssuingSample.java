package dev.keyring.samples.pki;

import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.samples.LocalCluster;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jcajce.io.OutputStreamFactory;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.RuntimeOperatorException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * A small certificate authority whose keys never leave a keyring, built with BouncyCastle's PKIX
 * API ({@code bcpkix}): every private key (the RSA-2048 root CA, a P-256 subordinate CA, the
 * subjects' keys) is generated on the keyring; every CSR and certificate signature is made there.
 *
 * <pre>
 *   root-ca   RSA-2048  self-signed, SHA256withRSA
 *   ├── rsa-pkcs1  RSA-2048  CSR SHA256withRSA          certificate SHA256withRSA
 *   ├── rsa-pss    RSA-2048  CSR SHA256withRSAandMGF1   certificate SHA256withRSAandMGF1 (RSASSA-PSS)
 *   └── ec-ca      P-256     CSR SHA256withECDSA        certificate SHA256withRSA (a CA)
 *       └── ec-leaf  P-256   CSR SHA256withECDSA        certificate SHA256withECDSA
 * </pre>
 *
 * Every CSR is checked with {@link JdkContentVerifierProvider} (the JDK's providers) before it is
 * signed, every certificate with {@code cert.verify(issuerPublicKey)} (the JDK), and every chain is
 * stored on the keyring with {@code setKeyEntry} and read back with {@code getCertificateChain}.
 * One run makes {@value #SIGNATURES_PER_RUN} signatures on the keyring.
 *
 * <h2>How BouncyCastle finds the Keyring Signature</h2>
 *
 * <ul>
 *   <li>{@link Selection#DELAYED} (what {@link #main} does): the provider is registered ({@code
 *       Security.addProvider}) and {@code JcaContentSignerBuilder} gets no provider. The JDK picks
 *       the Signature by the key: only Keyring's services accept keyring keys ({@code
 *       SupportedKeyClasses}), and the digest BouncyCastle wants for RSASSA-PSS comes from the JDK.
 *       All three families work with plain {@code JcaContentSignerBuilder}.
 *   <li>{@link Selection#EXPLICIT}: {@code JcaContentSignerBuilder.setProvider(keyringProvider)}
 *       works for {@code SHA256withRSA} and {@code SHA256withECDSA}, and needs no registration. For
 *       {@code SHA256withRSAandMGF1} it fails: BouncyCastle's {@code OperatorHelper} checks whether
 *       the PSS parameters are the defaults by creating a {@code MessageDigest} ("SHA256") from the
 *       same provider, and Keyring offers no MessageDigest ({@code OperatorCreationException:
 *       cannot create signer: no such algorithm: SHA256 for provider Keyring}). This sample then
 *       wraps {@code Signature.getInstance("SHA256withRSAandMGF1", keyringProvider)} in a {@link
 *       ContentSigner} of its own (a dozen lines: {@link #keyringContentSigner}).
 * </ul>
 *
 * <p>Usage: {@code CertificateIssuingSample [DIR]} (a temporary directory by default).
 */
public final class CertificateIssuingSample {
  /** The keyring the sample works on. */
  public static final String KEYRING = "pki";

  /** Its KRCO password (also the KeyStore and key password). */
  public static final String PASSWORD = "pki-password-1";

  /** Keyring signatures in one {@link #run}: the root's self-signature, four CSRs, four issued. */
  public static final int SIGNATURES_PER_RUN = 9;

  /** PKCS#1 v1.5 RSA. */
  public static final String RSA_PKCS1 = "SHA256withRSA";

  /** RSASSA-PSS, SHA-256, MGF1-SHA-256, 32-byte salt: BouncyCastle's name for it. */
  public static final String RSA_PSS = "SHA256withRSAandMGF1";

  /** ECDSA with SHA-256. */
  public static final String ECDSA = "SHA256withECDSA";

  /** How {@code JcaContentSignerBuilder} is told to use the Keyring provider. */
  public enum Selection {
    /** The provider is registered; no {@code setProvider}: the JDK picks by the key. */
    DELAYED,
    /** {@code setProvider(keyringProvider)}; RSASSA-PSS through the sample's own ContentSigner. */
    EXPLICIT
  }

  /** A certificate authority: its keyring key and its chain (its own certificate first). */
  public record Authority(
      String alias, PrivateKey key, X509Certificate certificate, Certificate[] chain) {}

  /** One issued certificate: the request, the certificate, and the chain read back by alias. */
  public record Issued(
      String alias,
      String csrAlgorithm,
      String certificateAlgorithm,
      PKCS10CertificationRequest csr,
      X509Certificate certificate,
      Certificate[] storedChain) {}

  /** What one {@link #run} made. */
  public record Result(Authority root, Authority ecCa, List<Issued> issued) {}

  private static final SecureRandom RANDOM = new SecureRandom();

  private final KeyringProvider provider;
  private final KeyStore keyStore;
  private final char[] password;
  private final Selection selection;

  /**
   * @param keyStore a Keyring KeyStore loaded on {@code provider}: keys are generated on its
   *     keyring
   * @param password its KRCO password
   */
  public CertificateIssuingSample(
      KeyringProvider provider, KeyStore keyStore, char[] password, Selection selection) {
    this.provider = provider;
    this.keyStore = keyStore;
    this.password = password.clone();
    this.selection = selection;
  }

  public static void main(String[] args) throws Exception {
    Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("keyring-pki-sample");
    PrintStream out = System.out;
    try (LocalCluster cluster = LocalCluster.start(dir)) {
      cluster.createKeyring(KEYRING, PASSWORD);
      KeyringProvider provider = new KeyringProvider(cluster.clientConfig());
      Security.addProvider(provider);
      try {
        KeyStore ks = KeyStore.getInstance("Keyring", provider);
        ks.load(cluster.slotProperties(KEYRING), PASSWORD.toCharArray());
        Result r =
            new CertificateIssuingSample(provider, ks, PASSWORD.toCharArray(), Selection.DELAYED)
                .run("");
        out.println("root CA " + r.root().certificate().getSubjectX500Principal());
        for (Issued i : r.issued()) {
          out.printf(
              Locale.ROOT,
              "%-8s CSR %-21s certificate %-21s chain %s%n",
              i.alias(),
              i.csrAlgorithm(),
              i.certificateAlgorithm(),
              Arrays.stream(i.storedChain())
                  .map(c -> ((X509Certificate) c).getSubjectX500Principal().getName())
                  .toList());
        }
        out.println("keyring signatures: " + provider.operationCounts());
      } finally {
        Security.removeProvider(provider.getName());
        provider.close();
      }
    }
  }

  /**
   * Builds the hierarchy of the class comment; every alias starts with {@code prefix} so that one
   * keyring can hold several runs.
   */
  public Result run(String prefix) throws Exception {
    Authority root = createRootCa(prefix + "root-ca", "CN=Keyring Sample Root CA,O=Keyring");
    List<Issued> issued = new ArrayList<>();
    issued.add(
        issue(root, prefix + "rsa-pkcs1", "RSA", RSA_PKCS1, RSA_PKCS1, false, "rsa.example.test"));
    issued.add(issue(root, prefix + "rsa-pss", "RSA", RSA_PSS, RSA_PSS, false, "pss.example.test"));
    Issued ecCaIssued = issue(root, prefix + "ec-ca", "EC", ECDSA, RSA_PKCS1, true, null);
    issued.add(ecCaIssued);
    Authority ecCa =
        new Authority(
            ecCaIssued.alias(),
            (PrivateKey) keyStore.getKey(ecCaIssued.alias(), password),
            ecCaIssued.certificate(),
            ecCaIssued.storedChain());
    issued.add(issue(ecCa, prefix + "ec-leaf", "EC", ECDSA, ECDSA, false, "ec.example.test"));
    return new Result(root, ecCa, issued);
  }

  /**
   * An RSA-2048 key generated on the keyring with label {@code alias}, a self-signed CA certificate
   * signed by it, both stored under {@code alias}.
   */
  public Authority createRootCa(String alias, String dn) throws Exception {
    KeyPair kp = generateKeyPair(alias, "RSA");
    X500Name name = new X500Name(dn);
    Instant now = Instant.now();
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name,
            serial(),
            Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(Duration.ofDays(3650))),
            name,
            kp.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    b.addExtension(
        Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(b.build(signer(RSA_PKCS1, kp.getPrivate())));
    cert.verify(kp.getPublic());
    Certificate[] chain = store(alias, kp.getPrivate(), new Certificate[] {cert});
    return new Authority(alias, kp.getPrivate(), cert, chain);
  }

  /**
   * A key pair generated on the keyring with label {@code alias}: RSA-2048 or EC P-256. The private
   * key is a handle; the public key an ordinary JDK key.
   */
  public KeyPair generateKeyPair(String alias, String algorithm) throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm, provider);
    KeyringKeyGenParameterSpec.Builder spec = KeyringKeyGenParameterSpec.builder().label(alias);
    g.initialize(
        algorithm.equals("RSA") ? spec.keySize(2048).build() : spec.curve("secp256r1").build());
    return g.generateKeyPair();
  }

  /**
   * A PKCS#10 request for {@code dn} signed with the keyring key of {@code subject}; with a
   * subjectAltName extension request when {@code dnsName} is not null.
   */
  public PKCS10CertificationRequest createCsr(
      KeyPair subject, String dn, String dnsName, String signatureAlgorithm) throws Exception {
    JcaPKCS10CertificationRequestBuilder b =
        new JcaPKCS10CertificationRequestBuilder(new X500Name(dn), subject.getPublic());
    if (dnsName != null) {
      ExtensionsGenerator eg = new ExtensionsGenerator();
      eg.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
      b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, eg.generate());
    }
    return b.build(signer(signatureAlgorithm, subject.getPrivate()));
  }

  /** Checks the request's self-signature with the JDK's providers. */
  public static boolean verifyCsr(PKCS10CertificationRequest csr)
      throws GeneralSecurityException, PKCSException {
    return csr.isSignatureValid(JdkContentVerifierProvider.of(csr.getSubjectPublicKeyInfo()));
  }

  /**
   * Issues a certificate for {@code csr}, signed on the keyring with {@code issuer}'s key: the
   * request's signature is checked first, its subjectAltName is copied.
   */
  public X509Certificate certify(
      Authority issuer, PKCS10CertificationRequest csr, String signatureAlgorithm, boolean ca)
      throws Exception {
    if (!verifyCsr(csr)) {
      throw new SignatureException("the request of " + csr.getSubject() + " is not self-signed");
    }
    PublicKey subjectKey = JdkContentVerifierProvider.publicKey(csr.getSubjectPublicKeyInfo());
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuer.certificate(),
            serial(),
            Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(Duration.ofDays(ca ? 1825 : 365))),
            csr.getSubject(),
            subjectKey);
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    b.addExtension(
        Extension.keyUsage,
        true,
        new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
    b.addExtension(
        Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
    b.addExtension(
        Extension.authorityKeyIdentifier,
        false,
        ext.createAuthorityKeyIdentifier(issuer.certificate()));
    Extensions requested = csr.getRequestedExtensions();
    Extension san =
        requested == null ? null : requested.getExtension(Extension.subjectAlternativeName);
    if (san != null) {
      b.addExtension(san);
    }
    X509Certificate cert =
        new JcaX509CertificateConverter()
            .getCertificate(b.build(signer(signatureAlgorithm, issuer.key())));
    cert.verify(issuer.certificate().getPublicKey());
    return cert;
  }

  /**
   * Stores {@code chain} for the keyring key {@code key} under {@code alias} and returns the chain
   * the keyring gives back for that alias.
   */
  public Certificate[] store(String alias, PrivateKey key, Certificate[] chain)
      throws GeneralSecurityException {
    keyStore.setKeyEntry(alias, key, password, chain);
    return keyStore.getCertificateChain(alias);
  }

  private Issued issue(
      Authority issuer,
      String alias,
      String keyAlgorithm,
      String csrAlgorithm,
      String certAlgorithm,
      boolean ca,
      String dnsName)
      throws Exception {
    KeyPair kp = generateKeyPair(alias, keyAlgorithm);
    PKCS10CertificationRequest csr =
        createCsr(kp, "CN=" + alias + ",O=Keyring", dnsName, csrAlgorithm);
    X509Certificate cert = certify(issuer, csr, certAlgorithm, ca);
    Certificate[] chain = new Certificate[issuer.chain().length + 1];
    chain[0] = cert;
    System.arraycopy(issuer.chain(), 0, chain, 1, issuer.chain().length);
    return new Issued(
        alias, csrAlgorithm, certAlgorithm, csr, cert, store(alias, kp.getPrivate(), chain));
  }

  /** The ContentSigner for {@code algorithm} with the keyring key {@code key}. */
  ContentSigner signer(String algorithm, PrivateKey key) throws OperatorCreationException {
    if (selection == Selection.EXPLICIT) {
      if (algorithm.equals(RSA_PSS)) {
        return keyringContentSigner(algorithm, key);
      }
      return new JcaContentSignerBuilder(algorithm).setProvider(provider).build(key);
    }
    if (Security.getProvider(provider.getName()) != provider) {
      throw new IllegalStateException(
          "delayed selection needs this provider registered: Security.addProvider(provider)");
    }
    return new JcaContentSignerBuilder(algorithm).build(key);
  }

  /**
   * A ContentSigner around {@code Signature.getInstance(algorithm, provider)}: the explicit choice
   * of provider for the algorithms {@code JcaContentSignerBuilder.setProvider} cannot take (see the
   * class comment). The Keyring {@code SHA256withRSAandMGF1} presets the parameters BouncyCastle's
   * algorithm identifier names (SHA-256, MGF1 with SHA-256, 32-byte salt, trailer 1).
   */
  ContentSigner keyringContentSigner(String algorithm, PrivateKey key)
      throws OperatorCreationException {
    AlgorithmIdentifier id = new DefaultSignatureAlgorithmIdentifierFinder().find(algorithm);
    Signature s;
    try {
      s = Signature.getInstance(algorithm, provider);
      s.initSign(key);
    } catch (GeneralSecurityException e) {
      throw new OperatorCreationException("cannot create signer: " + e.getMessage(), e);
    }
    OutputStream out = OutputStreamFactory.createStream(s);
    return new ContentSigner() {
      @Override
      public AlgorithmIdentifier getAlgorithmIdentifier() {
        return id;
      }

      @Override
      public OutputStream getOutputStream() {
        return out;
      }

      @Override
      public byte[] getSignature() {
        try {
          return s.sign();
        } catch (SignatureException e) {
          throw new RuntimeOperatorException("keyring signing failed: " + e.getMessage(), e);
        }
      }
    };
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }
}
