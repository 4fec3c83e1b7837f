package dev.keyring.client.registration;

import dev.keyring.client.internal.transport.PemFiles;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** A new client key pair (EC P-256) and the PKCS#10 request the cluster CA signs. */
final class ClientIdentity {
  final KeyPair keyPair;
  final String csrPem;

  private ClientIdentity(KeyPair keyPair, String csrPem) {
    this.keyPair = keyPair;
    this.csrPem = csrPem;
  }

  static ClientIdentity create(String commonName) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair kp = g.generateKeyPair();
      X500Name subject =
          new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate());
      PKCS10CertificationRequest csr =
          new JcaPKCS10CertificationRequestBuilder(subject, kp.getPublic()).build(signer);
      return new ClientIdentity(kp, PemFiles.toPem("CERTIFICATE REQUEST", csr.getEncoded()));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("the JDK cannot make an EC P-256 key and CSR", e);
    }
  }

  /** The private key as PKCS#8 PEM ({@code PRIVATE KEY}). */
  String privateKeyPem() {
    return PemFiles.toPem("PRIVATE KEY", keyPair.getPrivate().getEncoded());
  }
}
