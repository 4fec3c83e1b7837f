package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.function.LongSupplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * JSSE plumbing of {@link MemberPki}: server SSLContexts whose private key stays inside their
 * KeyManager, limited to TLS 1.3 and 1.2 (by {@link RestrictedContextSpi}), and the
 * member-to-member client context. The crypto API's trust manager is {@link
 * ClusterClientTrustManager}.
 */
final class PkiTls {
  /** The protocols every context enables, best first. */
  static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private PkiTls() {}

  /**
   * A TLS server context for {@code key} and {@code chain}. The key goes into an in-memory PKCS#12
   * store under a random password that is wiped once the KeyManager holds the key.
   *
   * <p>Whenever {@code generation} changes (a certificate was revoked), the context starts afresh
   * for the engines and sockets made after that: a new session cache and new session-ticket keys,
   * so no TLS session established earlier can be resumed and every client goes through a full
   * handshake, where its certificate is checked again. Session cache size and timeout carry over.
   */
  static SSLContext serverContext(
      PrivateKey key,
      X509Certificate[] chain,
      TrustManager trustManager,
      SecureRandom random,
      LongSupplier generation) {
    char[] password = randomPassword(random);
    try {
      RestrictedContextSpi spi =
          new RestrictedContextSpi(
              keyManagers(key, chain, password),
              new TrustManager[] {trustManager},
              random,
              generation);
      return new SSLContext(spi, spi.delegate().getProvider(), "TLS") {};
    } catch (GeneralSecurityException | IOException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "building the TLS context for " + chain[0].getSubjectX500Principal() + " failed: " + e);
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  /**
   * A TLS client context for calls to other members: {@code key} with {@code chain}, trusting only
   * servers whose certificate {@code ca} issued. The key goes into an in-memory PKCS#12 store under
   * a random password that is wiped once the KeyManager holds the key.
   */
  static SSLContext clientContext(
      PrivateKey key, X509Certificate[] chain, X509Certificate ca, SecureRandom random) {
    char[] password = randomPassword(random);
    try {
      KeyManager[] keyManagers = keyManagers(key, chain, password);
      KeyStore trust = KeyStore.getInstance("PKCS12", "SUN");
      trust.load(null, null);
      trust.setCertificateEntry("cluster-ca", ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX", "SunJSSE");
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS", "SunJSSE");
      ctx.init(keyManagers, tmf.getTrustManagers(), random);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "building the member-to-member TLS context failed: " + e);
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  /** Key managers holding {@code key} and {@code chain}, by way of an in-memory PKCS#12 store. */
  private static KeyManager[] keyManagers(PrivateKey key, X509Certificate[] chain, char[] password)
      throws GeneralSecurityException, IOException {
    KeyStore ks = KeyStore.getInstance("PKCS12", "SUN");
    ks.load(null, null);
    ks.setKeyEntry("identity", key, password, chain);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX", "SunJSSE");
    kmf.init(ks, password);
    return kmf.getKeyManagers();
  }

  private static char[] randomPassword(SecureRandom random) {
    char[] password = new char[32];
    for (int i = 0; i < password.length; i++) {
      password[i] = (char) ('!' + random.nextInt(94));
    }
    return password;
  }

  /** A trust manager that trusts no certificate (for ports that do not authenticate clients). */
  static X509TrustManager trustNothing() {
    try {
      KeyStore empty = KeyStore.getInstance("PKCS12", "SUN");
      empty.load(null, null);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX", "SunJSSE");
      tmf.init(empty);
      return (X509TrustManager) tmf.getTrustManagers()[0];
    } catch (GeneralSecurityException | IOException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "building a trust manager failed: " + e);
    }
  }
}
