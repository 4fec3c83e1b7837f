package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.io.IOException;
import java.math.BigInteger;
import java.security.Provider;
import java.time.Duration;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * What a certificate signing request must be for the cluster CA to issue a client certificate from
 * it: valid PKCS#10 of at most 64 KiB, signed with SHA-256 or stronger (RSA, RSA-PSS, ECDSA) by the
 * key it carries, that key RSA of 2,048 bits or more or EC on P-256, P-384 or P-521, its subject
 * exactly one CN equal to the expected one; and a positive validity of at most {@link
 * #MAX_VALIDITY}. Every refusal is CKR_ARGUMENTS_BAD.
 */
final class CsrPolicy {
  /** The most a client certificate may be valid for. */
  static final Duration MAX_VALIDITY = Duration.ofDays(3650);

  private static final int MAX_CSR_LENGTH = 64 * 1024;

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

  private CsrPolicy() {}

  /** The CSR in {@code pkcs10Der}, once every rule above holds for it and for {@code validity}. */
  static PKCS10CertificationRequest accept(byte[] pkcs10Der, String expectedCn, Duration validity) {
    if (validity == null || validity.isNegative() || validity.isZero()) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "the validity must be positive, got " + validity);
    }
    if (validity.compareTo(MAX_VALIDITY) > 0) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "the validity must be at most " + MAX_VALIDITY.toDays() + " days, got " + validity);
    }
    PKCS10CertificationRequest csr = parse(pkcs10Der);
    checkKey(csr.getSubjectPublicKeyInfo());
    checkSignature(csr);
    String cn = singleCn(csr.getSubject());
    if (!cn.equals(expectedCn)) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "the CSR's subject CN '" + cn + "' is not the expected '" + expectedCn + "'");
    }
    return csr;
  }

  private static PKCS10CertificationRequest parse(byte[] der) {
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
          ResultCode.CKR_ARGUMENTS_BAD, "the CSR is not valid PKCS#10: " + messageOf(e));
    }
  }

  private static void checkKey(SubjectPublicKeyInfo spki) {
    AlgorithmIdentifier alg = spki.getAlgorithm();
    ASN1ObjectIdentifier oid = alg.getAlgorithm();
    if (oid.equals(PKCSObjectIdentifiers.rsaEncryption)) {
      checkRsaKey(spki);
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

  private static void checkRsaKey(SubjectPublicKeyInfo spki) {
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
  }

  private static void checkSignature(PKCS10CertificationRequest csr) {
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
          ResultCode.CKR_ARGUMENTS_BAD, "the CSR's signature cannot be checked: " + messageOf(e));
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

  private static String messageOf(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
