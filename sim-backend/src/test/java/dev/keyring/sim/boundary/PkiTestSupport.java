package dev.keyring.sim.boundary;

import dev.keyring.store.KeyringStore;
import dev.keyring.store.StoreConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Members with a PKI over temp directories, CSRs, client contexts and loopback handshakes. */
final class PkiTestSupport {
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private PkiTestSupport() {}

  /** One member: a store and a boundary over a directory, with an SMK and a cluster. */
  static final class Member implements AutoCloseable {
    final Path dir;
    final KeyringStore store;
    final Boundary boundary;
    final ProtectedSmk smk;
    final UUID clusterId;
    private MemberPki pki;

    private Member(Path dir, ProtectedSmk smk, UUID clusterId) {
      this.dir = dir;
      this.store = KeyringStore.open(StoreConfig.h2File(dir.resolve("store")));
      this.boundary =
          Boundary.open(
              BoundaryConfig.builder().deviceKeyFile(dir.resolve("hsm/device.key")).build(), store);
      if (smk == null) {
        this.smk = boundary.createSmk();
        this.clusterId = UUID.randomUUID();
        store.write(tx -> tx.createCluster(this.clusterId, "pki-cluster"));
      } else {
        boundary.loadSmk(smk);
        this.smk = smk;
        this.clusterId = clusterId;
      }
    }

    /** A new member with a new SMK and a new cluster in its store. */
    static Member create(Path dir) {
      return new Member(dir, null, null);
    }

    /** The same member again, after {@link #close()}. */
    Member reopen() {
      return new Member(dir, smk, clusterId);
    }

    /** The member's PKI, opened on first use (as the appliance does). */
    synchronized MemberPki pki() {
      if (pki == null) {
        pki = MemberPki.open(boundary, store);
      }
      return pki;
    }

    @Override
    public void close() {
      boundary.close();
      store.close();
    }
  }

  static KeyPair rsa(int bits) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(bits);
    return g.generateKeyPair();
  }

  static KeyPair ec(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  static String signatureAlgorithm(KeyPair kp) {
    return kp.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
  }

  /** A PKCS#10 CSR (DER) for {@code subject}, signed by the key pair. */
  static byte[] csr(KeyPair kp, String subject) throws Exception {
    return new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), kp.getPublic())
        .build(new JcaContentSignerBuilder(signatureAlgorithm(kp)).build(kp.getPrivate()))
        .getEncoded();
  }

  /** Validates {@code chain} (leaf first) to {@code anchor} with the JDK's PKIX validator. */
  static void validate(List<X509Certificate> chain, X509Certificate anchor) throws Exception {
    CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(chain);
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(path, params);
  }

  /** A self-made CA (not the cluster's) and a client certificate it issues. */
  static final class ForeignCa {
    final KeyPair caKeys;
    final X509Certificate ca;

    ForeignCa() throws Exception {
      caKeys = ec("secp256r1");
      X500Name name = new X500Name("CN=Some other CA");
      Instant now = Instant.now();
      ca =
          new JcaX509CertificateConverter()
              .getCertificate(
                  new JcaX509v3CertificateBuilder(
                          name,
                          BigInteger.valueOf(now.toEpochMilli()),
                          Date.from(now.minus(Duration.ofDays(1))),
                          Date.from(now.plus(Duration.ofDays(30))),
                          name,
                          caKeys.getPublic())
                      .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                      .addExtension(
                          Extension.keyUsage,
                          true,
                          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                      .build(
                          new JcaContentSignerBuilder("SHA256withECDSA")
                              .build(caKeys.getPrivate())));
    }

    X509Certificate issueClient(KeyPair kp, String cn) throws Exception {
      Instant now = Instant.now();
      return new JcaX509CertificateConverter()
          .getCertificate(
              new JcaX509v3CertificateBuilder(
                      new X500Name("CN=Some other CA"),
                      BigInteger.valueOf(now.toEpochMilli() + 1),
                      Date.from(now.minus(Duration.ofDays(1))),
                      Date.from(now.plus(Duration.ofDays(1))),
                      new X500Name("CN=" + cn),
                      kp.getPublic())
                  .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                  .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                  .addExtension(
                      Extension.extendedKeyUsage,
                      false,
                      new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth))
                  .build(
                      new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
    }
  }

  /**
   * A client context that trusts only {@code serverAnchor} and, when {@code key} is given, always
   * presents {@code chain} (whatever CAs the server names, so a server's trust manager sees it).
   */
  static SSLContext clientContext(
      PrivateKey key, X509Certificate[] chain, X509Certificate serverAnchor) throws Exception {
    KeyStore anchors = KeyStore.getInstance("PKCS12");
    anchors.load(null, null);
    anchors.setCertificateEntry("server", serverAnchor);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(anchors);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(
        key == null ? null : new KeyManager[] {new FixedKeyManager(key, chain)},
        tmf.getTrustManagers(),
        new SecureRandom());
    return ctx;
  }

  /** Presents one key and chain for every request. */
  static final class FixedKeyManager extends X509ExtendedKeyManager {
    private final PrivateKey key;
    private final X509Certificate[] chain;

    FixedKeyManager(PrivateKey key, X509Certificate[] chain) {
      this.key = key;
      this.chain = chain.clone();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {"client"};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return "client";
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine e) {
      return "client";
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return chain.clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return key;
    }
  }

  /** What happened on both ends of one loopback handshake and one echoed byte. */
  record Outcome(
      String protocol,
      Throwable clientError,
      Throwable serverError,
      X509Certificate clientSeenByServer,
      X509Certificate serverSeenByClient,
      int port,
      long sessionCreationTime) {
    boolean succeeded() {
      return clientError == null && serverError == null && protocol != null;
    }

    /** Every message in the server's exception chain, joined. */
    String serverMessages() {
      StringBuilder b = new StringBuilder();
      for (Throwable t = serverError; t != null; t = t.getCause()) {
        b.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append(" | ");
      }
      return b.toString();
    }
  }

  /**
   * Runs one handshake over loopback between a server socket of {@code server} and a client socket
   * of {@code client} restricted to {@code protocol}, with the client checking the server's name
   * {@code host} (HTTPS identification), then echoes one byte. Every blocking step is bounded.
   */
  static Outcome handshake(
      SSLContext server, SSLContext client, String protocol, boolean needClientAuth, String host)
      throws Exception {
    return handshake(server, client, protocol, needClientAuth, host, 0);
  }

  /**
   * As above, with the server listening on {@code port} (0: any free port), so that a client can
   * try to resume a session it has with an earlier server socket on that port.
   */
  static Outcome handshake(
      SSLContext server,
      SSLContext client,
      String protocol,
      boolean needClientAuth,
      String host,
      int port)
      throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try (SSLServerSocket ss =
        (SSLServerSocket) server.getServerSocketFactory().createServerSocket()) {
      ss.setReuseAddress(true);
      ss.bind(new InetSocketAddress(loopback, port), 1);
      ss.setNeedClientAuth(needClientAuth);
      ss.setSoTimeout((int) TIMEOUT.toMillis());
      Future<X509Certificate> serverSide =
          executor.submit(
              () -> {
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                  s.setSoTimeout((int) TIMEOUT.toMillis());
                  s.startHandshake();
                  InputStream in = s.getInputStream();
                  int b = in.read();
                  OutputStream out = s.getOutputStream();
                  out.write(b);
                  out.flush();
                  return needClientAuth
                      ? (X509Certificate) s.getSession().getPeerCertificates()[0]
                      : null;
                }
              });
      String negotiated = null;
      Throwable clientError = null;
      X509Certificate serverCert = null;
      long created = -1;
      Socket plain = new Socket();
      try {
        plain.connect(new InetSocketAddress(loopback, ss.getLocalPort()), (int) TIMEOUT.toMillis());
        plain.setSoTimeout((int) TIMEOUT.toMillis());
        try (SSLSocket c =
            (SSLSocket)
                client.getSocketFactory().createSocket(plain, host, ss.getLocalPort(), true)) {
          c.setSoTimeout((int) TIMEOUT.toMillis());
          c.setEnabledProtocols(new String[] {protocol});
          SSLParameters p = c.getSSLParameters();
          p.setEndpointIdentificationAlgorithm("HTTPS");
          c.setSSLParameters(p);
          c.startHandshake();
          c.getOutputStream().write(42);
          c.getOutputStream().flush();
          int echoed = c.getInputStream().read();
          if (echoed != 42) {
            throw new IOException("the server echoed " + echoed + " instead of 42");
          }
          negotiated = c.getSession().getProtocol();
          serverCert = (X509Certificate) c.getSession().getPeerCertificates()[0];
          created = c.getSession().getCreationTime();
        }
      } catch (IOException e) {
        clientError = e;
      } finally {
        plain.close();
      }
      Throwable serverError = null;
      X509Certificate clientCert = null;
      try {
        clientCert = serverSide.get(TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        serverError = e.getCause();
      }
      return new Outcome(
          clientError == null && serverError == null ? negotiated : null,
          clientError,
          serverError,
          clientCert,
          serverCert,
          ss.getLocalPort(),
          created);
    } finally {
      executor.shutdownNow();
      executor.awaitTermination(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
  }
}
