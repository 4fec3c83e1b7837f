package dev.keyring.protocol.cli;

import java.io.PrintWriter;
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
 * Trust for an appliance's self-signed admin certificate, before a client holds any CA: by its
 * SHA-256 fingerprint when the operator pinned one, else on first use, keeping the fingerprint seen
 * so it can be shown and compared with the one the appliance reports. The host name is not checked:
 * the fingerprint stands in for it (the appliance certificate names no host). Checks servers only.
 */
public final class FingerprintTrust extends X509ExtendedTrustManager {
  private final String expected;
  private final String peer;
  private final String pinOption;
  private volatile String seen;

  /**
   * @param expected the pinned SHA-256 fingerprint in hex (colons, spaces and case ignored), or
   *     null to trust on first use
   * @param peer what presents the certificate, for messages ("the member")
   * @param pinOption the option that pins the fingerprint, for messages ("--fingerprint")
   * @throws IllegalArgumentException when {@code expected} is not a SHA-256 fingerprint
   */
  public FingerprintTrust(String expected, String peer, String pinOption) {
    if (expected != null && normalize(expected) == null) {
      throw new IllegalArgumentException(
          pinOption + " must be 64 hex digits (colons allowed), got '" + expected + "'");
    }
    this.expected = expected == null ? null : normalize(expected);
    this.peer = peer;
    this.pinOption = pinOption;
  }

  /** Hex digits only, lower case; null unless {@code text} is 64 hex digits, colons allowed. */
  public static String normalize(String text) {
    String t = text.replace(":", "").replace(" ", "").toLowerCase(Locale.ROOT);
    return t.matches("[0-9a-f]{64}") ? t : null;
  }

  /** {@code AB:CD:...}, as certificate tools print fingerprints. */
  public static String display(String hex) {
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
  public static String fingerprint(X509Certificate cert) throws CertificateEncodingException {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }

  /** The fingerprint of the certificate the server showed (lower-case hex), or null before. */
  public String seen() {
    return seen;
  }

  /** Whether a fingerprint was pinned (else the first certificate seen is trusted). */
  public boolean pinned() {
    return expected != null;
  }

  /**
   * When the certificate was trusted on first use, prints its fingerprint and how to pin it, for
   * the operator to compare with the one the appliance shows.
   *
   * @param err where to print
   * @param presenter what presented the certificate, capitalized ("The member at https://...")
   * @return whether anything was printed (nothing when pinned, or before any handshake)
   */
  public boolean reportFirstUse(PrintWriter err, String presenter) {
    String fp = seen;
    if (expected != null || fp == null) {
      return false;
    }
    err.println(presenter + " presented a certificate with SHA-256 fingerprint");
    err.println("  " + display(fp));
    err.println(
        "It was trusted on first use: compare it with the fingerprint the appliance shows for its"
            + " certificate, and pass "
            + pinOption
            + " to pin it next time.");
    err.flush();
    return true;
  }

  /**
   * Accepts the leaf certificate when its fingerprint is the pinned one (any, when none is pinned)
   * and it is within its validity period; remembers its fingerprint either way.
   */
  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException(peer + " presented no certificate");
    }
    X509Certificate leaf = chain[0];
    String fp = fingerprint(leaf);
    seen = fp;
    if (expected != null && !expected.equals(fp)) {
      throw new CertificateException(
          peer
              + " presented a certificate with SHA-256 fingerprint "
              + display(fp)
              + ", not the "
              + display(expected)
              + " given with "
              + pinOption
              + ": wrong host, or someone in between");
    }
    leaf.checkValidity();
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

  /** Always refuses: this trust manager checks servers only. */
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

  @Override
  public String toString() {
    return "FingerprintTrust[" + (expected == null ? "first use" : display(expected)) + "]";
  }
}
