package dev.keyring.sim.cli;

import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trust for a member's self-signed admin certificate: by its SHA-256 fingerprint when the operator
 * pinned one, else on first use, keeping the fingerprint seen so it can be shown. The host name is
 * not checked: the fingerprint stands in for it (the appliance certificate names no host).
 */
final class FingerprintTrust extends X509ExtendedTrustManager {
  private final String expected;
  private volatile String seen;

  /**
   * @param expected lower-case hex from {@link #normalize}, or null to trust on first use
   */
  FingerprintTrust(String expected) {
    this.expected = expected;
  }

  /** Hex digits only, lower case; null unless {@code text} is 64 hex digits, colons allowed. */
  static String normalize(String text) {
    String t = text.replace(":", "").replace(" ", "").toLowerCase(Locale.ROOT);
    return t.matches("[0-9a-f]{64}") ? t : null;
  }

  /** {@code AB:CD:...}, as certificate tools print fingerprints. */
  static String display(String hex) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < hex.length(); i += 2) {
      if (i > 0) {
        sb.append(':');
      }
      sb.append(hex, i, i + 2);
    }
    return sb.toString().toUpperCase(Locale.ROOT);
  }

  /** The SHA-256 fingerprint of a certificate, lower-case hex. */
  static String fingerprint(X509Certificate cert) throws CertificateEncodingException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }

  /** The fingerprint the member showed, or null before any handshake. */
  String seen() {
    return seen;
  }

  boolean pinned() {
    return expected != null;
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the member presented no certificate");
    }
    String fp = fingerprint(chain[0]);
    seen = fp;
    if (expected != null && !expected.equals(fp)) {
      throw new CertificateException(
          "the member presented a certificate with SHA-256 fingerprint "
              + display(fp)
              + ", not the one given with --fingerprint: wrong member, or someone in between");
    }
    chain[0].checkValidity();
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("this trust manager checks servers only");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
