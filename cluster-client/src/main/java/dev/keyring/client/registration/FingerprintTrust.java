package dev.keyring.client.registration;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;
import javax.net.ssl.X509TrustManager;

/**
 * Trust for the admin API during registration, which comes before the client holds the cluster CA:
 * the appliance's admin certificate is self-signed, so it is trusted by its SHA-256 fingerprint
 * when the operator gives one, or else on first use, and the fingerprint it showed is kept so the
 * operator can compare it with the one the appliance reports.
 */
final class FingerprintTrust implements X509TrustManager {
  private final String expected;
  private volatile String seen;

  /**
   * @param expected a SHA-256 fingerprint in hex (colons and case ignored), or null for first use
   */
  FingerprintTrust(String expected) {
    this.expected = expected == null ? null : normalize(expected);
  }

  /**
   * Hex digits only, lower case; null if {@code text} is not 64 hex digits with optional colons.
   */
  static String normalize(String text) {
    String t = text.replace(":", "").replace(" ", "").toLowerCase(Locale.ROOT);
    return t.matches("[0-9a-f]{64}") ? t : null;
  }

  /** {@code AB:CD:...}, the way certificate tools print fingerprints. */
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

  static String fingerprint(X509Certificate cert) throws CertificateEncodingException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }

  /** The fingerprint of the certificate the server showed (lower-case hex), or null before. */
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
      throw new CertificateException("the admin API presented no certificate");
    }
    X509Certificate leaf = chain[0];
    String fp = fingerprint(leaf);
    seen = fp;
    leaf.checkValidity();
    if (expected != null && !expected.equals(fp)) {
      throw new CertificateException(
          "the admin API presented a certificate with SHA-256 fingerprint "
              + display(fp)
              + ", not the "
              + display(expected)
              + " given with --admin-fingerprint: wrong appliance, or someone in between");
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("this trust manager checks servers only");
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
