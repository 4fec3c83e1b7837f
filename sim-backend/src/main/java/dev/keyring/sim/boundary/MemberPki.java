package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * The public-key infrastructure of one member, kept inside the boundary: the appliance's own TLS
 * identity (admin API), the cluster CA, the member's certificate for the crypto API, client
 * certificates issued from CSRs, and revocation. Private keys are generated here, persisted only
 * sealed (appliance and member keys under the device key, the cluster CA key under the SMK, so that
 * every member holding the SMK can use it), and leave this package only inside the KeyManager of an
 * {@link SSLContext}. What callers get is certificates and contexts.
 *
 * <p>State lives in the member's {@code hsm_state}: {@value #APPLIANCE}, {@value #CLUSTER_CA},
 * {@value #MEMBER} (certificate in clear, key sealed) and {@value #REVOKED} (the revoked serial
 * numbers, lowercase hexadecimal, one per line, in ascending order).
 *
 * <p>Opened with {@link #open(Boundary, KeyringStore)} over the member's boundary, whose SMK vault
 * seals its keys; the appliance owns one. Thread-safe.
 */
public final class MemberPki {
  static final String APPLIANCE = "pki.appliance";
  static final String CLUSTER_CA = "pki.cluster-ca";
  static final String MEMBER = "pki.member";
  static final String REVOKED = "pki.revoked";

  /** The most a client certificate may be valid for. */
  public static final Duration MAX_CLIENT_VALIDITY = Duration.ofDays(3650);

  private static final Duration TEN_YEARS = Duration.ofDays(3650);
  private static final Duration MEMBER_VALIDITY = Duration.ofDays(730);
  private static final Duration RENEW_BEFORE = Duration.ofDays(30);
  private static final Duration BACKDATE = Duration.ofDays(1);
  private static final int MAX_CSR_LENGTH = 64 * 1024;
  private static final byte[] ROW_MAGIC = "KPKI".getBytes(StandardCharsets.US_ASCII);
  private static final byte ROW_VERSION = 1;

  /** Signature algorithms accepted on a CSR. */
  private static final Set<ASN1ObjectIdentifier> CSR_SIGNATURES =
      Set.of(
          PKCSObjectIdentifiers.sha256WithRSAEncryption,
          PKCSObjectIdentifiers.sha384WithRSAEncryption,
          PKCSObjectIdentifiers.sha512WithRSAEncryption,
          PKCSObjectIdentifiers.id_RSASSA_PSS,
          X9ObjectIdentifiers.ecdsa_with_SHA256,
          X9ObjectIdentifiers.ecdsa_with_SHA384,
          X9ObjectIdentifiers.ecdsa_with_SHA512);

  private static final Set<ASN1ObjectIdentifier> CURVES =
      Set.of(
          SECObjectIdentifiers.secp256r1,
          SECObjectIdentifiers.secp384r1,
          SECObjectIdentifiers.secp521r1);

  /** Verifies CSR signatures; never registered, so it serves only this class. */
  private static final Provider BC = new BouncyCastleProvider();

  private final KeyringStore store;
  private final SmkVault vault;
  private final SecureRandom random;
  private volatile Set<BigInteger> revoked;

  /** Counts revocations made here, so crypto contexts drop their sessions after each. */
  private final AtomicLong revocations = new AtomicLong();

  /**
   * The PKI of the member whose boundary is {@code boundary} and whose store is {@code store}.
   * Reads the revocation list: CKR_DEVICE_ERROR when the stored one is damaged.
   */
  public static MemberPki open(Boundary boundary, KeyringStore store) {
    return new MemberPki(store, boundary.vault(), boundary.drbg().secureRandom());
  }

  MemberPki(KeyringStore store, SmkVault vault, SecureRandom random) {
    this.store = Objects.requireNonNull(store, "store");
    this.vault = Objects.requireNonNull(vault, "vault");
    this.random = Objects.requireNonNull(random, "random");
    this.revoked = loadRevoked();
  }

  // ---------------------------------------------------------------- appliance identity

  /**
   * The appliance's TLS certificate for the admin API: self-signed, EC P-256, CN {@code
   * LNH-<serial>}, SAN IP 127.0.0.1 and DNS localhost, valid 10 years (from a day ago). Created on
   * first use and kept across restarts; a different serial (a new HSM on this store) gets a new
   * one.
   */
  public synchronized X509Certificate applianceCertificate(String applianceSerial) {
    return applianceIdentity(applianceSerial).certificate;
  }

  /** A TLS server context with the appliance identity, for the admin API (no client auth). */
  public SSLContext adminServerContext(String applianceSerial) {
    Identity id;
    synchronized (this) {
      id = applianceIdentity(applianceSerial);
    }
    PrivateKey key = openKey(APPLIANCE, id, false);
    return PkiTls.serverContext(
        key, new X509Certificate[] {id.certificate}, PkiTls.trustNothing(), random, () -> 0);
  }

  private Identity applianceIdentity(String applianceSerial) {
    requireText(applianceSerial, "the appliance serial number");
    String cn = "LNH-" + applianceSerial;
    Optional<Identity> existing = read(APPLIANCE);
    if (existing.isPresent() && existing.get().owner.equals(cn)) {
      return existing.get();
    }
    KeyPair kp = generateEc("secp256r1");
    Instant now = Instant.now();
    X500Name name = cn(cn);
    X509Certificate cert =
        sign(
            builder(name, name, now, now.plus(TEN_YEARS), kp.getPublic())
                .ext(Extension.basicConstraints, true, new BasicConstraints(false))
                .ext(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .ext(
                    Extension.extendedKeyUsage,
                    false,
                    new ExtendedKeyUsage(
                        new KeyPurposeId[] {
                          KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                        }))
                .ext(Extension.subjectAlternativeName, false, loopbackNames())
                .ext(
                    Extension.subjectKeyIdentifier,
                    false,
                    extUtils().createSubjectKeyIdentifier(kp.getPublic())),
            kp.getPrivate(),
            "SHA256withECDSA");
    Identity id = new Identity(cn, cert, null);
    id = id.withSealed(sealKey(APPLIANCE, id, kp.getPrivate(), false));
    write(APPLIANCE, id);
    return id;
  }

  // ---------------------------------------------------------------- cluster CA

  /**
   * Creates the cluster CA (EC P-384, self-signed, CA, keyCertSign and cRLSign, 10 years) when the
   * cluster is created; its key is sealed under the SMK, which must be loaded. Calling it again for
   * the same cluster returns the CA it already has; for another cluster it replaces it.
   */
  public synchronized X509Certificate createClusterCa(UUID clusterId, String clusterLabel) {
    Objects.requireNonNull(clusterId, "clusterId");
    requireText(clusterLabel, "the cluster label");
    requireSmk();
    Optional<Identity> existing = read(CLUSTER_CA);
    if (existing.isPresent() && existing.get().owner.equals(clusterId.toString())) {
      return existing.get().certificate;
    }
    KeyPair kp = generateEc("secp384r1");
    Instant now = Instant.now();
    X500Name name =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, "Keyring")
            .addRDN(BCStyle.OU, clusterId.toString())
            .addRDN(BCStyle.CN, clusterLabel + " cluster CA")
            .build();
    X509Certificate cert =
        sign(
            builder(name, name, now, now.plus(TEN_YEARS), kp.getPublic())
                .ext(Extension.basicConstraints, true, new BasicConstraints(0))
                .ext(
                    Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .ext(
                    Extension.subjectKeyIdentifier,
                    false,
                    extUtils().createSubjectKeyIdentifier(kp.getPublic())),
            kp.getPrivate(),
            "SHA384withECDSA");
    Identity id = new Identity(clusterId.toString(), cert, null);
    id = id.withSealed(sealKey(CLUSTER_CA, id, kp.getPrivate(), true));
    write(CLUSTER_CA, id);
    return cert;
  }

  /** Whether this member holds a cluster CA. */
  public boolean hasClusterCa() {
    return read(CLUSTER_CA).isPresent();
  }

  /** The cluster CA certificate; CKR_FUNCTION_FAILED when there is none. */
  public X509Certificate clusterCaCertificate() {
    return requireCa().certificate;
  }

  /**
   * The cluster CA in the form a joining member installs with {@link #installClusterCa(byte[])}:
   * the certificate and the key sealed under the SMK. Useless without the SMK.
   */
  public byte[] exportClusterCa() {
    return encode(requireCa());
  }

  /**
   * Installs the cluster CA of the cluster this member joins (from {@link #exportClusterCa()} on a
   * member of it). The SMK must be loaded and the CA key must open under it and match the
   * certificate; otherwise nothing changes.
   */
  public synchronized X509Certificate installClusterCa(byte[] exported) {
    requireSmk();
    Identity id;
    try {
      id = decode(CLUSTER_CA, exported);
    } catch (HsmException e) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "the exported cluster CA is not valid: " + e.detail());
    }
    PrivateKey key = openKey(CLUSTER_CA, id, true);
    requireKeyMatches(key, id.certificate, "the exported cluster CA");
    write(CLUSTER_CA, id);
    return id.certificate;
  }

  // ---------------------------------------------------------------- member certificate

  /**
   * This member's certificate for the crypto API, issued by the cluster CA: EC P-256, CN {@code
   * memberName}, SAN IP 127.0.0.1 and DNS localhost, serverAuth. Issued on first use and again when
   * the CA or the name changed or it expires within 30 days.
   */
  public synchronized X509Certificate memberCertificate(String memberName) {
    return memberIdentity(memberName).certificate;
  }

  /**
   * A TLS server context for the crypto API: the member certificate (with the CA certificate in its
   * chain), and a trust manager that accepts only client certificates issued by the cluster CA,
   * with the clientAuth extended key usage, not revoked (checked at every full handshake). The
   * caller requires client authentication ({@code needClientAuth}).
   *
   * <p>A revocation also makes the context drop every TLS session established before it (new
   * session cache and ticket keys for the engines and connections made afterwards), so a revoked
   * client cannot come back by resuming a session. A connection already open stays open: check
   * {@link #isRevoked(BigInteger)} per request (or close it) where revocation must take effect at
   * once.
   */
  public SSLContext cryptoServerContext(String memberName) {
    Identity member;
    X509Certificate ca;
    synchronized (this) {
      member = memberIdentity(memberName);
      ca = requireCa().certificate;
    }
    PrivateKey key = openKey(MEMBER, member, false);
    return PkiTls.serverContext(
        key,
        new X509Certificate[] {member.certificate, ca},
        new PkiTls.ClusterClientTrustManager(ca, this::isRevoked),
        random,
        revocations::get);
  }

  /**
   * A TLS client context for calls to other members of the cluster: this member's certificate
   * (serverAuth and clientAuth) with the CA in its chain, trusting only servers whose certificate
   * the cluster CA issued.
   */
  public SSLContext peerClientContext(String memberName) {
    Identity member;
    X509Certificate ca;
    synchronized (this) {
      member = memberIdentity(memberName);
      ca = requireCa().certificate;
    }
    PrivateKey key = openKey(MEMBER, member, false);
    char[] password = new char[32];
    for (int i = 0; i < password.length; i++) {
      password[i] = (char) ('!' + random.nextInt(94));
    }
    try {
      java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12", "SUN");
      ks.load(null, null);
      ks.setKeyEntry("identity", key, password, new X509Certificate[] {member.certificate, ca});
      javax.net.ssl.KeyManagerFactory kmf =
          javax.net.ssl.KeyManagerFactory.getInstance("PKIX", "SunJSSE");
      kmf.init(ks, password);
      java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12", "SUN");
      trust.load(null, null);
      trust.setCertificateEntry("cluster-ca", ca);
      javax.net.ssl.TrustManagerFactory tmf =
          javax.net.ssl.TrustManagerFactory.getInstance("PKIX", "SunJSSE");
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS", "SunJSSE");
      ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), random);
      return ctx;
    } catch (java.security.GeneralSecurityException | java.io.IOException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "building the member-to-member TLS context failed: " + e);
    } finally {
      java.util.Arrays.fill(password, '\0');
    }
  }

  /** SHA-256 of this member's certificate (hex), as other members know it by. */
  public String memberCertificateFingerprint(String memberName) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(memberCertificate(memberName).getEncoded()));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean hasClientAuth(X509Certificate cert) {
    try {
      java.util.List<String> eku = cert.getExtendedKeyUsage();
      return eku != null && eku.contains(KeyPurposeId.id_kp_clientAuth.getId());
    } catch (java.security.cert.CertificateParsingException e) {
      return false;
    }
  }

  private Identity memberIdentity(String memberName) {
    requireText(memberName, "the member name");
    Identity ca = requireCa();
    Optional<Identity> existing = read(MEMBER);
    if (existing.isPresent()
        && existing.get().owner.equals(memberName)
        && issuedBy(existing.get().certificate, ca.certificate)
        && hasClientAuth(existing.get().certificate)
        && existing
            .get()
            .certificate
            .getNotAfter()
            .toInstant()
            .isAfter(Instant.now().plus(RENEW_BEFORE))) {
      return existing.get();
    }
    PrivateKey caKey = openKey(CLUSTER_CA, ca, true);
    KeyPair kp = generateEc("secp256r1");
    Instant now = Instant.now();
    X509Certificate cert =
        sign(
            builder(
                    subjectOf(ca.certificate),
                    cn(memberName),
                    now,
                    min(now.plus(MEMBER_VALIDITY), ca.certificate.getNotAfter().toInstant()),
                    kp.getPublic())
                .ext(Extension.basicConstraints, true, new BasicConstraints(false))
                .ext(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .ext(
                    Extension.extendedKeyUsage,
                    false,
                    new ExtendedKeyUsage(
                        new KeyPurposeId[] {
                          KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                        }))
                .ext(Extension.subjectAlternativeName, false, loopbackNames())
                .ext(
                    Extension.subjectKeyIdentifier,
                    false,
                    extUtils().createSubjectKeyIdentifier(kp.getPublic()))
                .ext(Extension.authorityKeyIdentifier, false, authorityKeyId(ca.certificate)),
            caKey,
            "SHA384withECDSA");
    Identity id = new Identity(memberName, cert, null);
    id = id.withSealed(sealKey(MEMBER, id, kp.getPrivate(), false));
    write(MEMBER, id);
    return id;
  }

  // ---------------------------------------------------------------- client certificates

  /**
   * Issues a client certificate (clientAuth) from a PKCS#10 CSR, signed by the cluster CA, with a
   * random 128-bit serial number, valid from a day ago for {@code validity} (at most {@link
   * #MAX_CLIENT_VALIDITY}, and never past the CA's own end). The CSR's signature must verify, its
   * subject must hold exactly one CN equal to {@code expectedCn}, and its key must be RSA of 2,048
   * bits or more or EC on P-256, P-384 or P-521. Every refusal is CKR_ARGUMENTS_BAD.
   */
  public X509Certificate issueClientCertificate(
      byte[] pkcs10Der, String expectedCn, Duration validity) {
    requireText(expectedCn, "the expected CN");
    if (validity == null || validity.isNegative() || validity.isZero()) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "the validity must be positive, got " + validity);
    }
    if (validity.compareTo(MAX_CLIENT_VALIDITY) > 0) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "the validity must be at most "
              + MAX_CLIENT_VALIDITY.toDays()
              + " days, got "
              + validity);
    }
    PKCS10CertificationRequest csr = parseCsr(pkcs10Der);
    SubjectPublicKeyInfo spki = csr.getSubjectPublicKeyInfo();
    checkClientKey(spki);
    checkCsrSignature(csr);
    String cn = singleCn(csr.getSubject());
    if (!cn.equals(expectedCn)) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "the CSR's subject CN '" + cn + "' is not the expected '" + expectedCn + "'");
    }
    Identity ca;
    synchronized (this) {
      ca = requireCa();
    }
    PrivateKey caKey = openKey(CLUSTER_CA, ca, true);
    Instant now = Instant.now();
    Instant end = min(now.plus(validity), ca.certificate.getNotAfter().toInstant());
    try {
      X509v3CertificateBuilder b =
          new X509v3CertificateBuilder(
              subjectOf(ca.certificate),
              newSerial(),
              Date.from(now.minus(BACKDATE)),
              Date.from(end),
              csr.getSubject(),
              spki);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, extUtils().createSubjectKeyIdentifier(spki));
      b.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyId(ca.certificate));
      return sign(b, caKey, "SHA384withECDSA");
    } catch (CertIOException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "building the client certificate failed: " + e.getMessage());
    }
  }

  private static PKCS10CertificationRequest parseCsr(byte[] der) {
    if (der == null || der.length == 0) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "the CSR is not valid PKCS#10: it is empty");
    }
    if (der.length > MAX_CSR_LENGTH) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "the CSR is not valid PKCS#10: " + der.length + " bytes is too long");
    }
    try {
      PKCS10CertificationRequest csr = new PKCS10CertificationRequest(der);
      // touch the parts issuance needs, so a structurally odd request fails here
      csr.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm();
      csr.getSubject();
      return csr;
    } catch (IOException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "the CSR is not valid PKCS#10: "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }
  }

  private static void checkClientKey(SubjectPublicKeyInfo spki) {
    AlgorithmIdentifier alg = spki.getAlgorithm();
    ASN1ObjectIdentifier oid = alg.getAlgorithm();
    if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
      BigInteger n;
      BigInteger e;
      try {
        RSAPublicKey k = RSAPublicKey.getInstance(spki.parsePublicKey());
        n = k.getModulus();
        e = k.getPublicExponent();
      } catch (IOException | RuntimeException ex) {
        throw new HsmException(
            ResultCode.CKR_ARGUMENTS_BAD, "the CSR's RSA public key cannot be read");
      }
      if (n.bitLength() < 2048) {
        throw new HsmException(
            ResultCode.CKR_ARGUMENTS_BAD,
            "the CSR's key is too weak: RSA keys need at least 2048 bits, this one has "
                + n.bitLength());
      }
      if (n.bitLength() > 16384 || e.compareTo(BigInteger.valueOf(3)) < 0 || !e.testBit(0)) {
        throw new HsmException(
            ResultCode.CKR_ARGUMENTS_BAD,
            "the CSR's RSA key is not acceptable (modulus of "
                + n.bitLength()
                + " bits, exponent "
                + e
                + ")");
      }
      return;
    }
    if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      ASN1Encodable params = alg.getParameters();
      if (!(params instanceof ASN1ObjectIdentifier) || !CURVES.contains(params)) {
        throw new HsmException(
            ResultCode.CKR_ARGUMENTS_BAD,
            "the CSR's EC key is on a curve that is not accepted ("
                + (params instanceof ASN1ObjectIdentifier ? params : "explicit parameters")
                + "): use P-256, P-384 or P-521");
      }
      return;
    }
    throw new HsmException(
        ResultCode.CKR_ARGUMENTS_BAD,
        "the CSR's key algorithm "
            + oid.getId()
            + " is not accepted: use RSA (2048 bits or more) or EC on P-256, P-384 or P-521");
  }

  private static void checkCsrSignature(PKCS10CertificationRequest csr) {
    ASN1ObjectIdentifier sigAlg = csr.getSignatureAlgorithm().getAlgorithm();
    if (!CSR_SIGNATURES.contains(sigAlg)) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "the CSR's signature algorithm "
              + sigAlg.getId()
              + " is not accepted: use SHA-256 or stronger with RSA, RSA-PSS or ECDSA");
    }
    boolean valid;
    try {
      valid =
          csr.isSignatureValid(
              new JcaContentVerifierProviderBuilder()
                  .setProvider(BC)
                  .build(csr.getSubjectPublicKeyInfo()));
    } catch (Exception e) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "the CSR's signature cannot be checked: "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }
    if (!valid) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "the CSR's signature does not verify with its public key: it was altered or not signed"
              + " by the key it carries");
    }
  }

  private static String singleCn(X500Name subject) {
    RDN[] cns = subject.getRDNs(BCStyle.CN);
    if (cns.length != 1 || cns[0].isMultiValued()) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "the CSR's subject must hold exactly one CN, got '" + subject + "'");
    }
    AttributeTypeAndValue tv = cns[0].getFirst();
    if (!(tv.getValue() instanceof ASN1String)) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "the CSR's subject CN is not a string");
    }
    return ((ASN1String) tv.getValue()).getString();
  }

  // ---------------------------------------------------------------- revocation

  /**
   * Forgets everything this member holds for its cluster (factory reset of the cluster service):
   * the cluster CA, the member certificate and the revocation list. The appliance identity stays.
   */
  public synchronized void forgetCluster() {
    store.write(
        tx -> {
          tx.deleteHsmState(CLUSTER_CA);
          tx.deleteHsmState(MEMBER);
          tx.deleteHsmState(REVOKED);
          return null;
        });
    revoked = loadRevoked();
  }

  /**
   * Revokes a certificate serial number; persisted, and refused at the next handshake of the crypto
   * API. Returns false when it was already revoked.
   */
  public synchronized boolean revoke(BigInteger serial) {
    if (serial == null || serial.signum() <= 0) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "a certificate serial number is positive, got " + serial);
    }
    if (revoked.contains(serial)) {
      return false;
    }
    TreeSet<BigInteger> next = new TreeSet<>(revoked);
    next.add(serial);
    byte[] encoded =
        next.stream()
            .map(s -> s.toString(16) + "\n")
            .collect(Collectors.joining())
            .getBytes(StandardCharsets.US_ASCII);
    store.write(
        tx -> {
          tx.putHsmState(REVOKED, encoded);
          return null;
        });
    revoked = Collections.unmodifiableSet(next);
    revocations.incrementAndGet();
    return true;
  }

  public boolean isRevoked(BigInteger serial) {
    return serial != null && revoked.contains(serial);
  }

  /** The revoked serial numbers, ascending. */
  public List<BigInteger> revokedSerials() {
    return List.copyOf(revoked);
  }

  private Set<BigInteger> loadRevoked() {
    Optional<byte[]> raw = store.hsmState(REVOKED);
    TreeSet<BigInteger> set = new TreeSet<>();
    if (raw.isPresent()) {
      for (String line : new String(raw.get(), StandardCharsets.US_ASCII).split("\n")) {
        if (line.isEmpty()) {
          continue;
        }
        try {
          set.add(new BigInteger(line, 16));
        } catch (NumberFormatException e) {
          throw new HsmException(
              ResultCode.CKR_DEVICE_ERROR,
              "the stored list of revoked certificates (" + REVOKED + ") is damaged");
        }
      }
    }
    return Collections.unmodifiableSet(set);
  }

  // ---------------------------------------------------------------- storage

  /** A certificate with its key sealed; {@code owner} names what it was made for. */
  static final class Identity {
    final String owner;
    final X509Certificate certificate;
    final byte[] sealedKey;

    Identity(String owner, X509Certificate certificate, byte[] sealedKey) {
      this.owner = owner;
      this.certificate = certificate;
      this.sealedKey = sealedKey;
    }

    Identity withSealed(byte[] sealed) {
      return new Identity(owner, certificate, sealed);
    }

    @Override
    public String toString() {
      return "Identity[" + owner + ", " + certificate.getSubjectX500Principal() + "]";
    }
  }

  Optional<Identity> read(String name) {
    Optional<byte[]> raw = store.hsmState(name);
    if (raw.isEmpty() || raw.get().length == 0) {
      return Optional.empty();
    }
    return Optional.of(decode(name, raw.get()));
  }

  private void write(String name, Identity id) {
    byte[] encoded = encode(id);
    store.write(
        tx -> {
          tx.putHsmState(name, encoded);
          return null;
        });
  }

  static byte[] encode(Identity id) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.write(ROW_MAGIC);
      out.writeByte(ROW_VERSION);
      out.writeUTF(id.owner);
      byte[] cert = id.certificate.getEncoded();
      out.writeInt(cert.length);
      out.write(cert);
      out.writeInt(id.sealedKey.length);
      out.write(id.sealedKey);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException | CertificateException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "encoding a certificate failed");
    }
  }

  static Identity decode(String name, byte[] raw) {
    try {
      if (raw == null) {
        throw new IOException("null");
      }
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw));
      byte[] magic = in.readNBytes(4);
      if (!Arrays.equals(magic, ROW_MAGIC) || in.readByte() != ROW_VERSION) {
        throw new IOException("unknown format");
      }
      String owner = in.readUTF();
      byte[] cert = readBlock(in);
      byte[] sealed = readBlock(in);
      if (in.available() != 0) {
        throw new IOException("trailing bytes");
      }
      X509Certificate c =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(new ByteArrayInputStream(cert));
      return new Identity(owner, c, sealed);
    } catch (IOException | CertificateException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "the stored " + name + " is damaged and cannot be read");
    }
  }

  private static byte[] readBlock(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 1 << 20) {
      throw new IOException("bad length");
    }
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new IOException("truncated");
    }
    return b;
  }

  /** Binds a sealed key to its row name, its owner and its certificate's public key. */
  static String sealLabel(String name, Identity id) {
    return name + "|" + id.owner + "|" + spkiHash(id.certificate.getPublicKey());
  }

  private byte[] sealKey(String name, Identity id, PrivateKey key, boolean underSmk) {
    SecretBytes pkcs8 = SecretBytes.adopt(key.getEncoded());
    try {
      return underSmk
          ? vault.sealWithSmk(sealLabel(name, id), pkcs8)
          : vault.sealWithDeviceKey(sealLabel(name, id), pkcs8);
    } finally {
      pkcs8.destroy();
    }
  }

  /** Opens a stored key; it exists only inside this package. */
  PrivateKey openKey(String name, Identity id, boolean underSmk) {
    if (underSmk) {
      requireSmk();
    }
    SecretBytes pkcs8 =
        underSmk
            ? vault.openWithSmk(sealLabel(name, id), id.sealedKey)
            : vault.openWithDeviceKey(sealLabel(name, id), id.sealedKey);
    byte[] raw = pkcs8.reveal(SecretKeyAccess.INSTANCE);
    try {
      return KeyFactory.getInstance("EC", sunEc()).generatePrivate(new PKCS8EncodedKeySpec(raw));
    } catch (GeneralSecurityException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "the sealed key of " + name + " is not an EC private key");
    } finally {
      Arrays.fill(raw, (byte) 0);
      pkcs8.destroy();
    }
  }

  private static void requireKeyMatches(PrivateKey key, X509Certificate cert, String what) {
    try {
      byte[] probe = "keyring pki key match".getBytes(StandardCharsets.US_ASCII);
      String alg = "SHA256withECDSA";
      Signature s = Signature.getInstance(alg, sunEc());
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg, sunEc());
      v.initVerify(cert.getPublicKey());
      v.update(probe);
      if (v.verify(sig)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // falls through
    }
    throw new HsmException(
        ResultCode.CKR_ARGUMENTS_BAD, what + ": its key does not match its certificate");
  }

  private Identity requireCa() {
    return read(CLUSTER_CA)
        .orElseThrow(
            () ->
                new HsmException(
                    ResultCode.CKR_FUNCTION_FAILED,
                    "this member has no cluster CA: create or join a cluster first"));
  }

  private void requireSmk() {
    if (!vault.loaded()) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "this HSM's partition holds no SMK yet: create or join a cluster first");
    }
  }

  // ---------------------------------------------------------------- certificate building

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
    return sign(b.b, key, alg);
  }

  private X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key, String alg) {
    try {
      ContentSigner signer =
          new JcaContentSignerBuilder(alg).setProvider(sunEc()).setSecureRandom(random).build(key);
      byte[] der = b.build(signer).getEncoded();
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

  private KeyPair generateEc(String curve) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC", sunEc());
      g.initialize(new ECGenParameterSpec(curve), random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "EC key generation failed");
    }
  }

  private static Provider sunEc() {
    Provider p = Security.getProvider("SunEC");
    if (p == null) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "the JDK's SunEC provider is missing");
    }
    return p;
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

  private static boolean issuedBy(X509Certificate cert, X509Certificate ca) {
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

  private static String spkiHash(PublicKey key) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "SHA-256 is not available");
    }
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private static void requireText(String s, String what) {
    if (s == null || s.isBlank()) {
      throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, what + " is required");
    }
  }

  @Override
  public String toString() {
    return "MemberPki[revoked=" + revoked.size() + "]";
  }
}
