package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyManagementException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * JSSE plumbing of {@link MemberPki}: server SSLContexts whose private key stays inside their
 * KeyManager, limited to TLS 1.3 and 1.2, and the trust manager of the crypto API.
 */
final class PkiTls {
  /** The protocols every context enables, best first. */
  static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private static final String CLIENT_AUTH_EKU = "1.3.6.1.5.5.7.3.2";

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
    char[] password = new char[32];
    for (int i = 0; i < password.length; i++) {
      password[i] = (char) ('!' + random.nextInt(94));
    }
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12", "SUN");
      ks.load(null, null);
      ks.setKeyEntry("identity", key, password, chain);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX", "SunJSSE");
      kmf.init(ks, password);
      RestrictedSpi spi =
          new RestrictedSpi(
              kmf.getKeyManagers(), new TrustManager[] {trustManager}, random, generation);
      return new SSLContext(spi, spi.delegate().getProvider(), "TLS") {};
    } catch (GeneralSecurityException | IOException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "building the TLS context for " + chain[0].getSubjectX500Principal() + " failed: " + e);
    } finally {
      java.util.Arrays.fill(password, '\0');
    }
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

  private static <T> T configure(T s) {
    if (s instanceof SSLSocket) {
      ((SSLSocket) s).setEnabledProtocols(PROTOCOLS.clone());
    } else if (s instanceof SSLServerSocket) {
      ((SSLServerSocket) s).setEnabledProtocols(PROTOCOLS.clone());
    } else if (s instanceof SSLEngine) {
      ((SSLEngine) s).setEnabledProtocols(PROTOCOLS.clone());
    }
    return s;
  }

  /**
   * A context whose sockets and engines enable only {@link #PROTOCOLS}, that cannot be
   * re-initialized, and that swaps in a fresh JSSE context when the generation changes.
   */
  private static final class RestrictedSpi extends SSLContextSpi {
    private final KeyManager[] keyManagers;
    private final TrustManager[] trustManagers;
    private final SecureRandom random;
    private final LongSupplier generation;
    private volatile Current current;

    private record Current(long generation, SSLContext context) {}

    RestrictedSpi(
        KeyManager[] keyManagers,
        TrustManager[] trustManagers,
        SecureRandom random,
        LongSupplier generation)
        throws GeneralSecurityException {
      this.keyManagers = keyManagers;
      this.trustManagers = trustManagers;
      this.random = random;
      this.generation = generation;
      long g = generation.getAsLong();
      this.current = new Current(g, newContext());
    }

    private SSLContext newContext() throws GeneralSecurityException {
      SSLContext ctx = SSLContext.getInstance("TLS", "SunJSSE");
      ctx.init(keyManagers, trustManagers, random);
      return ctx;
    }

    SSLContext delegate() {
      Current c = current;
      long g = generation.getAsLong();
      if (c.generation == g) {
        return c.context;
      }
      synchronized (this) {
        c = current;
        if (c.generation != g) {
          try {
            SSLContext fresh = newContext();
            copySettings(c.context.getServerSessionContext(), fresh.getServerSessionContext());
            copySettings(c.context.getClientSessionContext(), fresh.getClientSessionContext());
            c = new Current(g, fresh);
            current = c;
          } catch (GeneralSecurityException e) {
            throw new HsmException(
                ResultCode.CKR_DEVICE_ERROR, "renewing a TLS context failed: " + e);
          }
        }
        return c.context;
      }
    }

    private static void copySettings(SSLSessionContext from, SSLSessionContext to) {
      to.setSessionCacheSize(from.getSessionCacheSize());
      to.setSessionTimeout(from.getSessionTimeout());
    }

    @Override
    protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr)
        throws KeyManagementException {
      throw new KeyManagementException(
          "this SSLContext was initialized by the HSM and cannot be re-initialized");
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      return new SocketFactory(delegate().getSocketFactory());
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      return new ServerSocketFactory(this);
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      return configure(delegate().createSSLEngine());
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      return configure(delegate().createSSLEngine(host, port));
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      return delegate().getServerSessionContext();
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      return delegate().getClientSessionContext();
    }

    @Override
    protected SSLParameters engineGetDefaultSSLParameters() {
      SSLParameters p = delegate().getDefaultSSLParameters();
      p.setProtocols(PROTOCOLS.clone());
      return p;
    }

    @Override
    protected SSLParameters engineGetSupportedSSLParameters() {
      SSLParameters p = delegate().getSupportedSSLParameters();
      p.setProtocols(PROTOCOLS.clone());
      return p;
    }
  }

  private static final class SocketFactory extends SSLSocketFactory {
    private final SSLSocketFactory d;

    SocketFactory(SSLSocketFactory d) {
      this.d = d;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return d.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return d.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket() throws IOException {
      return configure(d.createSocket());
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose)
        throws IOException {
      return configure(d.createSocket(s, host, port, autoClose));
    }

    @Override
    public Socket createSocket(Socket s, InputStream consumed, boolean autoClose)
        throws IOException {
      return configure(d.createSocket(s, consumed, autoClose));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return configure(d.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
        throws IOException {
      return configure(d.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return configure(d.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int lport)
        throws IOException {
      return configure(d.createSocket(address, port, localAddress, lport));
    }
  }

  /** Makes {@link LayeringServerSocket}s, so every accepted connection uses the current context. */
  private static final class ServerSocketFactory extends SSLServerSocketFactory {
    private final RestrictedSpi spi;

    ServerSocketFactory(RestrictedSpi spi) {
      this.spi = spi;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return spi.delegate().getServerSocketFactory().getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return spi.delegate().getServerSocketFactory().getSupportedCipherSuites();
    }

    @Override
    public ServerSocket createServerSocket() throws IOException {
      return new LayeringServerSocket(spi);
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
      return new LayeringServerSocket(spi, port, 50, null);
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog) throws IOException {
      return new LayeringServerSocket(spi, port, backlog, null);
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog, InetAddress ifAddress)
        throws IOException {
      return new LayeringServerSocket(spi, port, backlog, ifAddress);
    }
  }

  /**
   * A listening socket that accepts plain TCP connections and layers TLS over each one with the
   * context that is current at that moment (so a server socket opened before a revocation does not
   * resume sessions established before it). Its settings are kept as {@link SSLParameters}.
   */
  private static final class LayeringServerSocket extends SSLServerSocket {
    private final RestrictedSpi spi;
    private SSLParameters params;
    private boolean clientMode;
    private boolean sessionCreation = true;

    LayeringServerSocket(RestrictedSpi spi) throws IOException {
      super();
      this.spi = spi;
      this.params = spi.engineGetDefaultSSLParameters();
    }

    LayeringServerSocket(RestrictedSpi spi, int port, int backlog, InetAddress address)
        throws IOException {
      super(port, backlog, address);
      this.spi = spi;
      this.params = spi.engineGetDefaultSSLParameters();
    }

    @Override
    public Socket accept() throws IOException {
      Socket plain = super.accept();
      try {
        SSLSocket tls =
            (SSLSocket) spi.delegate().getSocketFactory().createSocket(plain, null, true);
        synchronized (this) {
          tls.setUseClientMode(clientMode);
          tls.setEnableSessionCreation(sessionCreation);
          tls.setSSLParameters(params);
        }
        return tls;
      } catch (IOException | RuntimeException e) {
        plain.close();
        throw e;
      }
    }

    @Override
    public synchronized SSLParameters getSSLParameters() {
      return copy(params);
    }

    @Override
    public synchronized void setSSLParameters(SSLParameters p) {
      SSLParameters next = copy(params);
      if (p.getCipherSuites() != null) {
        next.setCipherSuites(p.getCipherSuites());
      }
      if (p.getProtocols() != null) {
        next.setProtocols(p.getProtocols());
      }
      if (p.getNeedClientAuth()) {
        next.setNeedClientAuth(true);
      } else {
        next.setWantClientAuth(p.getWantClientAuth());
      }
      next.setAlgorithmConstraints(p.getAlgorithmConstraints());
      next.setEndpointIdentificationAlgorithm(p.getEndpointIdentificationAlgorithm());
      if (p.getSNIMatchers() != null) {
        next.setSNIMatchers(p.getSNIMatchers());
      }
      next.setUseCipherSuitesOrder(p.getUseCipherSuitesOrder());
      next.setApplicationProtocols(p.getApplicationProtocols());
      next.setMaximumPacketSize(p.getMaximumPacketSize());
      params = next;
    }

    @Override
    public synchronized String[] getEnabledCipherSuites() {
      return params.getCipherSuites().clone();
    }

    @Override
    public synchronized void setEnabledCipherSuites(String[] suites) {
      params.setCipherSuites(suites.clone());
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return spi.delegate().getSupportedSSLParameters().getCipherSuites();
    }

    @Override
    public String[] getSupportedProtocols() {
      return spi.delegate().getSupportedSSLParameters().getProtocols();
    }

    @Override
    public synchronized String[] getEnabledProtocols() {
      return params.getProtocols().clone();
    }

    @Override
    public synchronized void setEnabledProtocols(String[] protocols) {
      params.setProtocols(protocols.clone());
    }

    @Override
    public synchronized void setNeedClientAuth(boolean need) {
      params.setNeedClientAuth(need);
    }

    @Override
    public synchronized boolean getNeedClientAuth() {
      return params.getNeedClientAuth();
    }

    @Override
    public synchronized void setWantClientAuth(boolean want) {
      params.setWantClientAuth(want);
    }

    @Override
    public synchronized boolean getWantClientAuth() {
      return params.getWantClientAuth();
    }

    @Override
    public synchronized void setUseClientMode(boolean mode) {
      clientMode = mode;
    }

    @Override
    public synchronized boolean getUseClientMode() {
      return clientMode;
    }

    @Override
    public synchronized void setEnableSessionCreation(boolean flag) {
      sessionCreation = flag;
    }

    @Override
    public synchronized boolean getEnableSessionCreation() {
      return sessionCreation;
    }

    private static SSLParameters copy(SSLParameters p) {
      SSLParameters c = new SSLParameters(p.getCipherSuites(), p.getProtocols());
      if (p.getNeedClientAuth()) {
        c.setNeedClientAuth(true);
      } else {
        c.setWantClientAuth(p.getWantClientAuth());
      }
      c.setAlgorithmConstraints(p.getAlgorithmConstraints());
      c.setEndpointIdentificationAlgorithm(p.getEndpointIdentificationAlgorithm());
      c.setServerNames(p.getServerNames());
      if (p.getSNIMatchers() != null) {
        c.setSNIMatchers(p.getSNIMatchers());
      }
      c.setUseCipherSuitesOrder(p.getUseCipherSuitesOrder());
      c.setApplicationProtocols(p.getApplicationProtocols());
      c.setMaximumPacketSize(p.getMaximumPacketSize());
      return c;
    }
  }

  /**
   * The crypto API's trust manager: a client certificate must chain to the cluster CA (and to
   * nothing else), carry the clientAuth extended key usage, and not be revoked. Revocation is read
   * at every handshake, so a certificate revoked a moment ago is refused at the next one. It
   * authenticates no servers.
   */
  static final class ClusterClientTrustManager extends X509ExtendedTrustManager {
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
      requireChain(chain);
      requireClientAuth(chain[0]);
      try {
        pkix.checkClientTrusted(chain, authType);
      } catch (CertificateException e) {
        throw untrusted(chain, e);
      }
      requireNotRevoked(chain[0]);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      requireChain(chain);
      requireClientAuth(chain[0]);
      try {
        pkix.checkClientTrusted(chain, authType, socket);
      } catch (CertificateException e) {
        throw untrusted(chain, e);
      }
      requireNotRevoked(chain[0]);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      requireChain(chain);
      requireClientAuth(chain[0]);
      try {
        pkix.checkClientTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        throw untrusted(chain, e);
      }
      requireNotRevoked(chain[0]);
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
            "the client certificate " + describe(leaf) + " has an unreadable extended key usage",
            e);
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
}
