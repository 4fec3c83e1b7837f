package dev.keyring.sim.server;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;

/** PEM in and out for the admin API: certificates out, certificate requests in. */
final class Pem {
  static final int MAX_CSR_CHARS = 64 * 1024;

  private Pem() {}

  static String certificate(X509Certificate cert) {
    try {
      String b64 =
          Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
              .encodeToString(cert.getEncoded());
      return "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n";
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("a certificate cannot be encoded", e);
    }
  }

  /** The DER bytes of one PEM certificate request; 400 when it is not one. */
  static byte[] csr(String pem) {
    if (pem.length() > MAX_CSR_CHARS) {
      throw ApiError.badRequest("'csr' is longer than " + MAX_CSR_CHARS + " characters");
    }
    String text = pem.strip();
    String body = null;
    for (String kind : new String[] {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"}) {
      String begin = "-----BEGIN " + kind + "-----";
      String end = "-----END " + kind + "-----";
      if (text.startsWith(begin)
          && text.endsWith(end)
          && text.length() >= begin.length() + end.length()) {
        body = text.substring(begin.length(), text.length() - end.length());
      }
    }
    if (body == null) {
      throw ApiError.badRequest(
          "'csr' must be one PEM certificate request (-----BEGIN CERTIFICATE REQUEST-----)");
    }
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '+'
              || c == '/'
              || c == '='
              || c == '\n'
              || c == '\r'
              || c == ' '
              || c == '\t';
      if (!ok) {
        throw ApiError.badRequest("'csr' is not valid Base64 inside its PEM armour");
      }
    }
    try {
      byte[] der = Base64.getMimeDecoder().decode(body);
      if (der.length == 0) {
        throw ApiError.badRequest("'csr' holds no data");
      }
      return der;
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("'csr' is not valid Base64 inside its PEM armour");
    }
  }
}
