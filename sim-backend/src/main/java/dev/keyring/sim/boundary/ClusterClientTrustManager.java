package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.io.IOException;
import java.math.BigInteger;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Predicate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The crypto API's trust manager: a client certificate must chain to the cluster CA (and to nothing
 * else), carry the clientAuth extended key usage, and not be revoked. Revocation is read at every
 * handshake, so a certificate revoked a moment ago is refused at the next one. It authenticates no
 * servers.
 */
final class ClusterClientTrustManager extends X509ExtendedTrustManager {
  private static final String CLIENT_AUTH_EKU = "1.3.6.1.5.5.7.3.2";

  private final X509Certificate ca;
  private final X509ExtendedTrustManager pkix;
  private final Predicate<BigInteger> revoked;

  ClusterClientTrustManager(X509Certificate ca, Predicate<BigInteger> revoked) {
    this.ca = ca;
    this.revoked = revoked;
    try {
      KeyStore anchors = KeyStore.getInstance("PKCS12", "SUN");
      anchors.load(null, null);
      anchors.setCertificateEntry("cluster-ca", ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX", "SunJSSE");
      tmf.init(anchors);
      this.pkix = (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
    } catch (GeneralSecurityException | IOException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "building the cluster CA trust manager failed: " + e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    checkClient(chain, () -> pkix.checkClientTrusted(chain, authType));
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkClient(chain, () -> pkix.checkClientTrusted(chain, authType, socket));
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkClient(chain, () -> pkix.checkClientTrusted(chain, authType, engine));
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw noServers();
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw noServers();
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    throw noServers();
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[] {ca};
  }

  /** What a PKIX check of the chain does; it throws when the chain does not validate. */
  private interface PkixCheck {
    void run() throws CertificateException;
  }

  /**
   * Certificate present, clientAuth, validated to the cluster CA by {@code pkixCheck}, not revoked.
   */
  private void checkClient(X509Certificate[] chain, PkixCheck pkixCheck)
      throws CertificateException {
    requireChain(chain);
    requireClientAuth(chain[0]);
    try {
      pkixCheck.run();
    } catch (CertificateException e) {
      throw untrusted(chain, e);
    }
    requireNotRevoked(chain[0]);
  }

  private static void requireChain(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0 || chain[0] == null) {
      throw new CertificateException("the client presented no certificate");
    }
  }

  private CertificateException untrusted(X509Certificate[] chain, CertificateException cause) {
    return new CertificateException(
        "the client certificate "
            + describe(chain[0])
            + " is not trusted: this member accepts only certificates issued by its cluster CA "
            + ca.getSubjectX500Principal()
            + " ("
            + cause.getMessage()
            + ")",
        cause);
  }

  private static void requireClientAuth(X509Certificate leaf) throws CertificateException {
    List<String> eku;
    try {
      eku = leaf.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      throw new CertificateException(
          "the client certificate " + describe(leaf) + " has an unreadable extended key usage", e);
    }
    if (eku == null || !eku.contains(CLIENT_AUTH_EKU)) {
      throw new CertificateException(
          "the client certificate "
              + describe(leaf)
              + " is not a client certificate: it lacks the clientAuth extended key usage");
    }
  }

  private void requireNotRevoked(X509Certificate leaf) throws CertificateException {
    if (revoked.test(leaf.getSerialNumber())) {
      throw new CertificateException(
          "the client certificate " + describe(leaf) + " was revoked by the cluster");
    }
  }

  private static CertificateException noServers() {
    return new CertificateException(
        "this trust manager authenticates clients of the crypto API only; it trusts no server");
  }

  static String describe(X509Certificate c) {
    return "'"
        + c.getSubjectX500Principal().getName()
        + "' (serial "
        + c.getSerialNumber().toString(16)
        + ")";
  }
}
