package dev.keyring.samples.kafka;

import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.ServerCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.config.SecurityConfig;
import org.apache.kafka.common.utils.Utils;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Kafka over TLS with its private keys on keyrings: a broker listener whose EC P-256 key and a
 * client whose RSA-2048 key never leave their keyrings, configured through Kafka properties files
 * only. The one piece of code on Kafka's class path is {@link KeyringSecurityProviderCreator}.
 *
 * <p>The broker side ({@code server.properties}, or a listener's {@code listener.name.<l>.}
 * prefix):
 *
 * <pre>
 * security.providers=dev.keyring.samples.kafka.KeyringSecurityProviderCreator
 * keyring.provider.config=/etc/keyring/Chrystoki.conf
 * ssl.keystore.type=Keyring
 * ssl.keystore.location=/etc/keyring/kafka-broker.keyring
 * ssl.keystore.password=&lt;KRCO password of keyring kafka-broker&gt;
 * ssl.key.password=&lt;the same password&gt;
 * ssl.truststore.type=PEM
 * ssl.truststore.location=/etc/kafka/ca.pem
 * ssl.client.auth=required
 * </pre>
 *
 * <p>The client side ({@code client.properties}, producer, consumer or admin client):
 *
 * <pre>
 * security.protocol=SSL
 * security.providers=dev.keyring.samples.kafka.KeyringSecurityProviderCreator
 * keyring.provider.config=/etc/keyring/Chrystoki.conf
 * ssl.keystore.type=Keyring
 * ssl.keystore.location=/etc/keyring/kafka-client.keyring
 * ssl.keystore.password=&lt;KRCO password of keyring kafka-client&gt;
 * ssl.key.password=&lt;the same password&gt;
 * ssl.truststore.type=PEM
 * ssl.truststore.location=/etc/kafka/ca.pem
 * </pre>
 *
 * <p>{@code ssl.keystore.location} names a small properties file, {@code slot=<keyring label or
 * UUID>} (optionally {@code cluster=<index>}): Kafka opens it and hands it to {@code KeyStore.load}
 * together with {@code ssl.keystore.password}, the keyring's KRCO password. Kafka insists on both.
 * The key store's aliases are the labels of the keyring's keys; the default key manager picks the
 * entry whose certificate fits the handshake. Kafka inserts the provider at position 1; the creator
 * installs the provider without its generators ({@link KeyringProvider#withoutGenerators}), so in a
 * handshake the keyring makes the signatures of keyring keys and nothing else: the handshake's key
 * agreement, key schedule, record encryption, session tickets and randoms stay with the JDK.
 *
 * <p>What {@link #main} does: starts a one-member {@link LocalCluster}; makes keyrings {@code
 * kafka-broker} and {@code kafka-client}; generates an EC P-256 key on the first and an RSA-2048
 * key on the second with the provider; issues their certificates from a test CA held in software
 * (BouncyCastle); stores each chain beside its key with {@code KeyStore.setKeyEntry}; writes the
 * slot files, the CA's PEM file and the two properties files; then, as a broker and a client would,
 * reads the properties files, builds Kafka's own SSL channel builders and network selectors from
 * them, and has the client connect to the broker over loopback, complete a mutual TLS handshake and
 * exchange one size-prefixed message each way.
 *
 * <p>Usage: {@code KafkaSslSample [--data DIR]}; without {@code --data} a temporary directory is
 * used and removed at the end. From the source tree: {@code mvn -pl samples -am compile} and then
 * {@code mvn -pl samples exec:java -Dexec.mainClass=dev.keyring.samples.kafka.KafkaSslSample}.
 */
public final class KafkaSslSample {
  /** The keyring holding the broker's key. */
  public static final String BROKER_KEYRING = "kafka-broker";

  /** The keyring holding the client's key. */
  public static final String CLIENT_KEYRING = "kafka-client";

  /** The alias (object label) of the broker's key. */
  public static final String BROKER_ALIAS = "broker";

  /** The alias (object label) of the client's key. */
  public static final String CLIENT_ALIAS = "client";

  /** The client certificate's subject; the broker sees the principal {@code User:<this>}. */
  public static final String CLIENT_DN = "CN=kafka-client";

  private static final String BROKER_PASSWORD = "broker-keyring-pw1";
  private static final String CLIENT_PASSWORD = "client-keyring-pw1";
  private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

  private KafkaSslSample() {}

  /**
   * The files a broker and a client are configured with.
   *
   * @param brokerProperties the broker's SSL settings (a {@code server.properties} excerpt)
   * @param clientProperties the client's settings
   * @param caPem the test CA's certificate, the trust store of both sides
   * @param ca the test CA's certificate
   * @param caKeys the test CA's key pair, held in software, for issuing more certificates
   */
  public record Files(
      Path brokerProperties,
      Path clientProperties,
      Path caPem,
      X509Certificate ca,
      KeyPair caKeys) {
    @Override
    public String toString() {
      return "Files[broker="
          + brokerProperties
          + ", client="
          + clientProperties
          + ", ca="
          + caPem
          + "]";
    }
  }

  public static void main(String[] args) throws Exception {
    Path data = null;
    if (args.length == 2 && args[0].equals("--data")) {
      data = Path.of(args[1]);
    } else if (args.length != 0) {
      System.err.println("usage: KafkaSslSample [--data DIR]");
      System.exit(2);
    }
    boolean temporary = data == null;
    if (temporary) {
      data = java.nio.file.Files.createTempDirectory("keyring-kafka-");
    }
    try {
      run(data, System.out);
    } finally {
      if (temporary) {
        Utils.delete(data.toFile());
      }
    }
  }

  private static void run(Path data, PrintStream out) throws Exception {
    try (LocalCluster cluster = LocalCluster.start(data)) {
      out.println("cluster started; client configuration " + cluster.clientConfig());
      Files files = provision(cluster, data.resolve("kafka"), BROKER_PASSWORD, CLIENT_PASSWORD);
      out.println("broker properties: " + files.brokerProperties());
      out.println("client properties: " + files.clientProperties());
      try (KafkaLoopback loopback =
          KafkaLoopback.start(load(files.brokerProperties()), load(files.clientProperties()))) {
        KafkaLoopback.Exchange x =
            loopback.roundTrip("hello broker".getBytes(StandardCharsets.UTF_8));
        out.println("handshake: " + x.protocol() + " " + x.cipherSuite());
        out.println("the broker authenticated the client as " + x.clientPrincipal());
        out.println(
            "the client sent '"
                + new String(x.received(), StandardCharsets.UTF_8)
                + "', the broker answered '"
                + new String(x.reply(), StandardCharsets.UTF_8)
                + "'");
      } finally {
        java.security.Provider p = java.security.Security.getProvider(KeyringProvider.NAME);
        if (p instanceof KeyringProvider) {
          KeyringProvider keyring = (KeyringProvider) p;
          out.println("operations on the cluster: " + keyring.operationCounts());
          java.security.Security.removeProvider(KeyringProvider.NAME);
          keyring.close();
        }
      }
    }
  }

  /**
   * Sets up both sides on {@code cluster} with keyrings {@value #BROKER_KEYRING} and {@value
   * #CLIENT_KEYRING} (created here with the given KRCO passwords), and writes their files into
   * {@code dir}. The provider used here is closed before returning: the Kafka side installs its own
   * from the properties.
   */
  public static Files provision(
      LocalCluster cluster, Path dir, String brokerPassword, String clientPassword)
      throws Exception {
    java.nio.file.Files.createDirectories(dir);
    cluster.createKeyring(BROKER_KEYRING, brokerPassword);
    cluster.createKeyring(CLIENT_KEYRING, clientPassword);

    KeyPair caKeys = softwareEcKeyPair();
    X509Certificate ca = caCertificate(caKeys);
    Path caPem = dir.resolve("ca.pem");
    writePem(caPem, ca);

    KeyringProvider provider = new KeyringProvider(cluster.clientConfig());
    try {
      KeyStore broker = keyStore(provider, cluster, BROKER_KEYRING, brokerPassword);
      KeyPairGenerator ec = KeyPairGenerator.getInstance("EC", provider);
      ec.initialize(
          KeyringKeyGenParameterSpec.builder()
              .label(BROKER_ALIAS)
              .keyring(BROKER_KEYRING)
              .curve("secp256r1")
              .build());
      KeyPair brokerKeys = ec.generateKeyPair();
      X509Certificate brokerCert = issue(ca, caKeys.getPrivate(), "CN=localhost", brokerKeys, true);
      broker.setKeyEntry(
          BROKER_ALIAS,
          brokerKeys.getPrivate(),
          brokerPassword.toCharArray(),
          new Certificate[] {brokerCert, ca});

      KeyStore client = keyStore(provider, cluster, CLIENT_KEYRING, clientPassword);
      KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA", provider);
      rsa.initialize(
          KeyringKeyGenParameterSpec.builder()
              .label(CLIENT_ALIAS)
              .keyring(CLIENT_KEYRING)
              .keySize(2048)
              .build());
      KeyPair clientKeys = rsa.generateKeyPair();
      X509Certificate clientCert = issue(ca, caKeys.getPrivate(), CLIENT_DN, clientKeys, false);
      client.setKeyEntry(
          CLIENT_ALIAS,
          clientKeys.getPrivate(),
          clientPassword.toCharArray(),
          new Certificate[] {clientCert, ca});
    } finally {
      provider.close();
    }

    Properties b = new Properties();
    keyringSsl(b, cluster.clientConfig(), cluster.writeSlotFile(BROKER_KEYRING), brokerPassword);
    b.setProperty("ssl.truststore.type", "PEM");
    b.setProperty("ssl.truststore.location", caPem.toString());
    b.setProperty("ssl.client.auth", "required");
    Path brokerProperties = dir.resolve("broker.properties");
    store(b, brokerProperties, "broker SSL listener, key on keyring " + BROKER_KEYRING);

    Properties c = new Properties();
    c.setProperty("security.protocol", "SSL");
    keyringSsl(c, cluster.clientConfig(), cluster.writeSlotFile(CLIENT_KEYRING), clientPassword);
    c.setProperty("ssl.truststore.type", "PEM");
    c.setProperty("ssl.truststore.location", caPem.toString());
    Path clientProperties = dir.resolve("client.properties");
    store(c, clientProperties, "Kafka client, key on keyring " + CLIENT_KEYRING);
    return new Files(brokerProperties, clientProperties, caPem, ca, caKeys);
  }

  /** The lines that put a side's key store on a keyring. */
  public static void keyringSsl(Properties p, Path providerConfig, Path slotFile, String password) {
    p.setProperty(
        SecurityConfig.SECURITY_PROVIDERS_CONFIG, KeyringSecurityProviderCreator.class.getName());
    p.setProperty(KeyringSecurityProviderCreator.CONFIG, providerConfig.toString());
    p.setProperty("ssl.keystore.type", "Keyring");
    p.setProperty("ssl.keystore.location", slotFile.toString());
    p.setProperty("ssl.keystore.password", password);
    p.setProperty("ssl.key.password", password);
  }

  private static KeyStore keyStore(
      KeyringProvider provider, LocalCluster cluster, String keyring, String password)
      throws GeneralSecurityException, IOException {
    KeyStore ks = KeyStore.getInstance("Keyring", provider);
    try (InputStream in = cluster.slotProperties(keyring)) {
      ks.load(in, password.toCharArray());
    }
    return ks;
  }

  /** Reads a properties file. */
  public static Properties load(Path file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = java.nio.file.Files.newInputStream(file)) {
      p.load(in);
    }
    return p;
  }

  private static void store(Properties p, Path file, String comment) throws IOException {
    try (OutputStream out = java.nio.file.Files.newOutputStream(file)) {
      p.store(out, comment);
    }
  }

  // ---- the test CA, in software

  static KeyPair softwareEcKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static X509Certificate caCertificate(KeyPair caKeys) throws Exception {
    X500Name name = new X500Name("CN=Keyring samples test CA");
    JcaX509v3CertificateBuilder b = builder(name, name, caKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    return sign(b, caKeys.getPrivate());
  }

  /**
   * A certificate for {@code subject}'s public key, issued by the software CA. A server certificate
   * names {@code localhost} and {@code 127.0.0.1}; both kinds allow client and server
   * authentication.
   */
  public static X509Certificate issue(
      X509Certificate ca, PrivateKey caKey, String subject, KeyPair keys, boolean server)
      throws Exception {
    JcaX509v3CertificateBuilder b =
        builder(
            X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
            new X500Name(subject),
            keys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    int usage =
        keys.getPublic().getAlgorithm().equals("RSA")
            ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment
            : KeyUsage.digitalSignature;
    b.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
    b.addExtension(
        Extension.extendedKeyUsage,
        false,
        new ExtendedKeyUsage(
            new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    if (server) {
      b.addExtension(Extension.subjectAlternativeName, false, ServerCertificates.loopbackNames());
    }
    return sign(b, caKey);
  }

  private static JcaX509v3CertificateBuilder builder(
      X500Name issuer, X500Name subject, PublicKey key) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        BigInteger.valueOf(SERIALS.incrementAndGet()),
        Date.from(now.minusSeconds(300)),
        Date.from(now.plusSeconds(7L * 86400)),
        subject,
        key);
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey caKey)
      throws CertIOException, OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey)));
  }

  /** Writes certificates as PEM. */
  public static void writePem(Path file, X509Certificate... certs)
      throws IOException, GeneralSecurityException {
    Base64.Encoder enc = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    try (Writer w = java.nio.file.Files.newBufferedWriter(file, StandardCharsets.US_ASCII)) {
      for (X509Certificate c : certs) {
        w.write("-----BEGIN CERTIFICATE-----\n");
        w.write(enc.encodeToString(c.getEncoded()));
        w.write("\n-----END CERTIFICATE-----\n");
      }
    }
  }
}
