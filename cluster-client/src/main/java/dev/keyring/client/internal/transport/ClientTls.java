package dev.keyring.client.internal.transport;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import dev.keyring.client.config.ClusterEntry;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS side of one cluster entry: the client's identity (certificate and key from PEM files) and
 * a trust manager that trusts only the certificates in the cluster CA file, never the JDK's default
 * authorities. One instance serves the transports to every member of the cluster, so they share one
 * TLS session cache (resumption saves half a handshake).
 */
final class ClientTls {
  private static final SecureRandom RANDOM = new SecureRandom();

  final SSLSocketFactory socketFactory;
  final X509TrustManager trustManager;
  final X509Certificate clientCertificate;

  private ClientTls(
      SSLSocketFactory socketFactory,
      X509TrustManager trustManager,
      X509Certificate clientCertificate) {
    this.socketFactory = socketFactory;
    this.trustManager = trustManager;
    this.clientCertificate = clientCertificate;
  }

  /**
   * The host name check for a member whose certificate should carry {@code memberName} (the
   * configured {@code LNHServerCN} for the registered member, the name in the cluster view for the
   * others).
   */
  static HostnameVerifier verifierFor(String memberName) {
    return new ServerNameVerifier(memberName);
  }

  static ClientTls load(ClusterEntry entry) throws TransportException {
    String idx = entry.indexSuffix();
    List<X509Certificate> clientChain =
        PemFiles.readCertificates(entry.clientCert(), "LNHServerClientCert" + idx);
    PrivateKey key = PemFiles.readPrivateKey(entry.clientKey(), "LNHServerClientKey" + idx);
    List<X509Certificate> cas = PemFiles.readCertificates(entry.caFile(), "LNHServerCAFile" + idx);
    X509Certificate leaf = clientChain.get(0);
    requireKeyMatches(key, leaf.getPublicKey(), entry);
    try {
      char[] storePassword = new char[0];
      KeyStore identity = KeyStore.getInstance("PKCS12");
      identity.load(null, null);
      identity.setKeyEntry(
          "client", key, storePassword, clientChain.toArray(new X509Certificate[0]));
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(identity, storePassword);

      KeyStore anchors = KeyStore.getInstance("PKCS12");
      anchors.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        anchors.setCertificateEntry("cluster-ca-" + i, cas.get(i));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(anchors);
      X509TrustManager tm = null;
      for (TrustManager t : tmf.getTrustManagers()) {
        if (t instanceof X509TrustManager) {
          tm = (X509TrustManager) t;
        }
      }
      if (tm == null) {
        throw new GeneralSecurityException("the JDK offers no X.509 trust manager");
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), new TrustManager[] {tm}, RANDOM);
      return new ClientTls(ctx.getSocketFactory(), tm, leaf);
    } catch (GeneralSecurityException | IOException e) {
      throw new TransportException(
          Kind.CONFIGURATION,
          "cluster "
              + idx
              + ": the TLS context cannot be built from "
              + entry.clientCert()
              + ", "
              + entry.clientKey()
              + " and "
              + entry.caFile()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** Signs a random challenge with the key and verifies it with the certificate's public key. */
  private static void requireKeyMatches(PrivateKey key, PublicKey pub, ClusterEntry entry)
      throws TransportException {
    String alg;
    switch (key.getAlgorithm()) {
      case "RSA":
        alg = "SHA256withRSA";
        break;
      case "EC":
        alg = "SHA256withECDSA";
        break;
      default:
        alg = "Ed25519";
    }
    boolean ok;
    try {
      byte[] challenge = new byte[32];
      RANDOM.nextBytes(challenge);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(challenge);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(challenge);
      ok = v.verify(sig);
    } catch (GeneralSecurityException | RuntimeException e) {
      ok = false;
    }
    if (!ok) {
      throw new TransportException(
          Kind.CONFIGURATION,
          "cluster "
              + entry.indexSuffix()
              + ": the private key in "
              + entry.clientKey()
              + " does not belong to the certificate in "
              + entry.clientCert()
              + "; register the client again or fix LNHServerClientKey"
              + entry.indexSuffix());
    }
  }
}
