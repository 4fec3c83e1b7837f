package dev.keyring.samples.pki;

import java.io.IOException;
import java.io.OutputStream;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.jcajce.io.OutputStreamFactory;
import org.bouncycastle.operator.ContentVerifier;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.RuntimeOperatorException;

/**
 * A BouncyCastle {@link ContentVerifierProvider} that checks signatures with the JDK's own
 * providers ({@code SunRsaSign}, {@code SunEC}), looking the Signature up by the algorithm's OID.
 *
 * <p>Why not {@code JcaContentVerifierProviderBuilder().setProvider("SunRsaSign")}: for an
 * RSASSA-PSS signature BouncyCastle asks for {@code SHA256WITHRSAANDMGF1} and then {@code
 * SHA256WITHRSASSA-PSS}, names SunRsaSign does not have (it has {@code RSASSA-PSS} with
 * parameters); and without {@code setProvider}, once the Keyring provider is registered, the only
 * provider with those names is Keyring, which takes keyring keys only, so the lookup fails with "No
 * installed provider supports this key". The OID ({@code 1.2.840.113549.1.1.10}) plus the encoded
 * parameters is what the JDK understands.
 */
public final class JdkContentVerifierProvider implements ContentVerifierProvider {
  private final PublicKey key;

  private JdkContentVerifierProvider(PublicKey key) {
    this.key = key;
  }

  /** A verifier provider for the public key of {@code spki} (an RSA or EC key). */
  public static JdkContentVerifierProvider of(SubjectPublicKeyInfo spki)
      throws GeneralSecurityException {
    return new JdkContentVerifierProvider(publicKey(spki));
  }

  /** The JDK public key of {@code spki}: {@code SunRsaSign} for RSA, {@code SunEC} for EC. */
  public static PublicKey publicKey(SubjectPublicKeyInfo spki) throws GeneralSecurityException {
    String oid = spki.getAlgorithm().getAlgorithm().getId();
    KeyFactory kf;
    if (oid.equals(PKCSObjectIdentifiers.rsaEncryption.getId())) {
      kf = KeyFactory.getInstance("RSA", "SunRsaSign");
    } else if (oid.equals(X9ObjectIdentifiers.id_ecPublicKey.getId())) {
      kf = KeyFactory.getInstance("EC", "SunEC");
    } else {
      throw new GeneralSecurityException("neither an RSA nor an EC public key: " + oid);
    }
    try {
      return kf.generatePublic(new X509EncodedKeySpec(spki.getEncoded()));
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot encode the public key", e);
    }
  }

  @Override
  public boolean hasAssociatedCertificate() {
    return false;
  }

  @Override
  public X509CertificateHolder getAssociatedCertificate() {
    return null;
  }

  @Override
  public ContentVerifier get(AlgorithmIdentifier algorithm) throws OperatorCreationException {
    String oid = algorithm.getAlgorithm().getId();
    String jdkProvider = key.getAlgorithm().equals("EC") ? "SunEC" : "SunRsaSign";
    Signature s;
    try {
      s = Signature.getInstance(oid, jdkProvider);
      ASN1Encodable params = algorithm.getParameters();
      if (params != null && !DERNull.INSTANCE.equals(params)) {
        AlgorithmParameters ap = AlgorithmParameters.getInstance(oid, jdkProvider);
        ap.init(params.toASN1Primitive().getEncoded());
        s.setParameter(ap.getParameterSpec(PSSParameterSpec.class));
      }
      s.initVerify(key);
    } catch (GeneralSecurityException | IOException e) {
      throw new OperatorCreationException(
          "the JDK (" + jdkProvider + ") cannot verify " + oid + ": " + e.getMessage(), e);
    }
    OutputStream out = OutputStreamFactory.createStream(s);
    return new ContentVerifier() {
      @Override
      public AlgorithmIdentifier getAlgorithmIdentifier() {
        return algorithm;
      }

      @Override
      public OutputStream getOutputStream() {
        return out;
      }

      @Override
      public boolean verify(byte[] signature) {
        try {
          return s.verify(signature);
        } catch (SignatureException e) {
          throw new RuntimeOperatorException("signature check failed: " + e.getMessage(), e);
        }
      }
    };
  }
}
