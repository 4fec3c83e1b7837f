package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyManagementException;
import java.security.SecureRandom;
import java.util.function.LongSupplier;
import javax.net.ssl.KeyManager;
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

/**
 * A context whose sockets and engines enable only {@link PkiTls#PROTOCOLS}, that cannot be
 * re-initialized, and that swaps in a fresh JSSE context when the generation changes.
 */
final class RestrictedContextSpi extends SSLContextSpi {
  private final KeyManager[] keyManagers;
  private final TrustManager[] trustManagers;
  private final SecureRandom random;
  private final LongSupplier generation;
  private volatile Current current;

  private record Current(long generation, SSLContext context) {}

  RestrictedContextSpi(
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
    p.setProtocols(PkiTls.PROTOCOLS.clone());
    return p;
  }

  @Override
  protected SSLParameters engineGetSupportedSSLParameters() {
    SSLParameters p = delegate().getSupportedSSLParameters();
    p.setProtocols(PkiTls.PROTOCOLS.clone());
    return p;
  }

  private static <T> T configure(T s) {
    if (s instanceof SSLSocket) {
      ((SSLSocket) s).setEnabledProtocols(PkiTls.PROTOCOLS.clone());
    } else if (s instanceof SSLServerSocket) {
      ((SSLServerSocket) s).setEnabledProtocols(PkiTls.PROTOCOLS.clone());
    } else if (s instanceof SSLEngine) {
      ((SSLEngine) s).setEnabledProtocols(PkiTls.PROTOCOLS.clone());
    }
    return s;
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
    private final RestrictedContextSpi spi;

    ServerSocketFactory(RestrictedContextSpi spi) {
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
    private final RestrictedContextSpi spi;
    private SSLParameters params;
    private boolean clientMode;
    private boolean sessionCreation = true;

    LayeringServerSocket(RestrictedContextSpi spi) throws IOException {
      super();
      this.spi = spi;
      this.params = spi.engineGetDefaultSSLParameters();
    }

    LayeringServerSocket(RestrictedContextSpi spi, int port, int backlog, InetAddress address)
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
}
