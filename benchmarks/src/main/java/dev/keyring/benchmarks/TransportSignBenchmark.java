package dev.keyring.benchmarks;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringKeyPair;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.Role;
import dev.keyring.sim.boundary.Boundary;
import dev.keyring.sim.embedded.EmbeddedCluster;
import dev.keyring.sim.server.Member;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Signing a 256-byte message through the cluster client, over loopback mutual TLS to a real member
 * (an {@link EmbeddedCluster} in the same JVM), side by side with the boundary signing in process
 * on the same member and key. Every run compares, per key type and thread count:
 *
 * <ul>
 *   <li>{@code http1.1}: {@link KeyringChannel#sign} with the client speaking HTTP/1.1; each JMH
 *       thread has its own crypto API session (logged in as KRCO), so concurrent threads use
 *       separate pooled connections.
 *   <li>{@code http2}: the same with HTTP/2 (ALPN); concurrent threads multiplex one connection
 *       (the connection count is printed at teardown).
 *   <li>{@code channel}: the same over the member's binary crypto channel ({@link
 *       TransportOptions.Wire#CHANNEL}): one persistent connection, concurrent threads pipelined on
 *       it.
 *   <li>{@code channel-queued}: the channel with the member's serving on the reader switched off
 *       (system property {@code keyring.member.channel.inline=false}): every request handed to the
 *       member's workers and every answer to its writer thread, what the channel did before a
 *       request that comes alone was served on the connection's reader.
 *   <li>{@code boundary-in-process}: {@link Boundary#sign} on the member's boundary, called
 *       directly with the same keyring, handle and mechanism, the key in the boundary's cache (a
 *       KRCO session stays logged in for the whole trial, as for the transport rows). The gap to
 *       the transport rows is what the client, JSON, HTTP, TLS, loopback and the member's HTTP
 *       server cost per sign.
 * </ul>
 *
 * <p>{@code ping*} is the floor of a round trip on the same client: {@link KeyringClient#ping()}
 * ({@code GET /v1/health}, no session, no crypto; a PING frame on the channel), at 1 and 8 threads
 * only (24 trials of the whole matrix would not fit in ten minutes). {@code pingLatency*} are the
 * same calls in JMH's sample mode: their p50 and p99 round trip with 1, 8 and 64 calls in flight
 * (on one connection for {@code http2} and {@code channel}; HTTP/1.1 opens a connection per
 * thread).
 *
 * <p>Warm-up: the transport path (OkHttp, TLS, Jackson, Jetty) is much more code for the JIT than
 * the in-process sign; on two busy cores its throughput still climbs after 2 × 3 s of warm-up. For
 * steady-state transport figures add warm-up, e.g. {@code benchmarks/run.sh TransportSign -wi 6}.
 *
 * <p>Client and member share the JVM and its CPUs: at more threads than cores the rows measure the
 * whole system (client + server + crypto) saturated, not the wire alone. One cluster, client and
 * key pair per trial, closed at teardown; a warning is printed if the member still has sessions
 * after the client closed.
 *
 * <p>Run with {@code benchmarks/run.sh TransportSign}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// INFO logging off: the member's Jetty and store would interleave with JMH's output
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 4, time = 3)
public class TransportSignBenchmark {
  static final String IN_PROCESS = "boundary-in-process";
  private static final String KEYRING = "bench";
  private static final String KEYRING_INITIAL = "bench-initial-1";
  private static final String KEYRING_PASSWORD = "bench-password-2";

  /** The channel, each request written alone: what the client's write coalescing saves. */
  static final String CHANNEL_UNCOALESCED = "channel-uncoalesced";

  /** The channel, every request through the member's workers and writer thread. */
  static final String CHANNEL_QUEUED = "channel-queued";

  /** The member's switch for serving a lone request on the connection's reader. */
  static final String INLINE_PROPERTY = "keyring.member.channel.inline";

  /** The client's switch for write coalescing on the channel (a measuring aid). */
  static final String COALESCE_PROPERTY = "keyring.client.channel.coalesce";

  /** A member with one keyring and a client of it; shared by all threads of a trial. */
  abstract static class Rig {
    EmbeddedCluster cluster;
    Member member;
    KeyringClient client;
    private Path clientDir;

    /** Starts the cluster, creates the keyring and opens a client speaking {@code transport}. */
    void start(String transport) throws Exception {
      clientDir = Files.createTempDirectory("keyring-bench-client-");
      // the trial's own JVM (one fork per trial): the switch holds for this member alone
      System.setProperty(INLINE_PROPERTY, String.valueOf(!transport.equals(CHANNEL_QUEUED)));
      cluster = EmbeddedCluster.builder().start();
      member = cluster.member(0);
      member
          .appliance()
          .keyrings()
          .createKeyrings(cluster.coPassword(), KEYRING, KEYRING_INITIAL, 1, null, null);
      TransportOptions.HttpVersion version =
          transport.equals("http2")
              ? TransportOptions.HttpVersion.HTTP_2
              : TransportOptions.HttpVersion.HTTP_1_1;
      TransportOptions.Wire wire =
          transport.startsWith("channel")
              ? TransportOptions.Wire.CHANNEL
              : TransportOptions.Wire.HTTP;
      // the trial's own JVM (one fork per trial): the switch holds for this client alone
      System.setProperty(COALESCE_PROPERTY, String.valueOf(!transport.equals(CHANNEL_UNCOALESCED)));
      client =
          KeyringClient.open(
              issueClient("bench-client"),
              TransportOptions.builder().httpVersion(version).wire(wire).build());
    }

    /** A client certificate from the cluster CA, written as PEM files, and its entry. */
    private ClusterEntry issueClient(String cn) throws Exception {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair kp = g.generateKeyPair();
      byte[] csr =
          new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + cn), kp.getPublic())
              .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()))
              .getEncoded();
      X509Certificate cert =
          member.appliance().pki().issueClientCertificate(csr, cn, Duration.ofDays(1));
      Path certFile = pem(clientDir.resolve(cn + ".pem"), "CERTIFICATE", cert.getEncoded());
      Path keyFile =
          pem(clientDir.resolve(cn + "Key.pem"), "PRIVATE KEY", kp.getPrivate().getEncoded());
      Path caFile =
          pem(
              clientDir.resolve("ca.pem"),
              "CERTIFICATE",
              cluster.clusterCaCertificate().getEncoded());
      return new ClusterEntry(
          0,
          "127.0.0.1",
          member.cryptoPort(),
          certFile,
          keyFile,
          caFile,
          member.appliance().defaultMemberName());
    }

    /** Closes the client, checks that the member has no session left, stops it, deletes files. */
    void stop(String what) {
      try {
        if (client != null) {
          System.out.println();
          System.out.println(
              "# Client ("
                  + what
                  + "): "
                  + client.connectionCount()
                  + " connection(s) before close");
          client.close();
        }
        if (member != null && member.openSessions() != 0) {
          System.out.println(
              "# WARNING ("
                  + what
                  + "): the member still has "
                  + member.openSessions()
                  + " open session(s) after the client closed");
        }
      } finally {
        if (cluster != null) {
          cluster.close();
        }
        if (clientDir != null) {
          TempTrees.delete(clientDir);
        }
      }
    }
  }

  /** The shared state of the sign benchmarks: one cluster, client and key pair per trial. */
  @State(Scope.Benchmark)
  public static class SignRig extends Rig {
    /** How the sign travels. */
    @Param({"http1.1", "http2", "channel", CHANNEL_QUEUED, IN_PROCESS})
    public String transport;

    /** The key type: {@code P-256} (ECDSA, SHA-256) or {@code RSA-2048} (PKCS#1 v1.5, SHA-256). */
    @Param({"P-256", "RSA-2048"})
    public String key;

    final byte[] message = new byte[256];
    Mechanism mechanism;
    long handle;
    UUID keyringId;
    Boundary boundary;
    boolean inProcess;
    private KeyringChannel admin;
    private String what;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) throws Exception {
      what = transport + ", " + key + ", " + params.getThreads() + " thread(s)";
      new SecureRandom().nextBytes(message);
      KeyGenParams gen;
      switch (key) {
        case "P-256":
          gen = KeyGenParams.ec(Curve.P256);
          mechanism = Mechanism.CKM_ECDSA_SHA256;
          break;
        case "RSA-2048":
          gen = KeyGenParams.rsa(2048);
          mechanism = Mechanism.CKM_SHA256_RSA_PKCS;
          break;
        default:
          throw new IllegalArgumentException("unknown key " + key);
      }
      switch (transport) {
        case "http1.1":
        case "http2":
        case "channel":
        case CHANNEL_QUEUED:
          break;
        case IN_PROCESS:
          inProcess = true;
          break;
        default:
          throw new IllegalArgumentException("unknown transport " + transport);
      }
      start(transport);
      boundary = member.appliance().boundary();
      // KRSO with the initial password, change it, initialize the KRCO, log in as KRCO; this
      // session stays logged in for the trial, so the key stays in the boundary's cache (closing
      // a keyring's last session drops its keys from the cache)
      admin = client.openSession(KEYRING);
      admin.login(Role.KRSO, KEYRING_INITIAL);
      admin.changePassword(KEYRING_INITIAL, KEYRING_PASSWORD);
      admin.initKrco(KEYRING_PASSWORD);
      admin.logout();
      admin.login(Role.KRCO, KEYRING_PASSWORD);
      KeyringKeyPair kp =
          admin.generateKeyPair(
              gen,
              Attributes.builder().label("bench-pub").build(),
              Attributes.builder().label("bench").build());
      handle = kp.privateKey().handle();
      keyringId = admin.keyringId();
      // one sign each way so a failure shows here, and the key is in the cache
      admin.sign(handle, mechanism, MechanismParams.NONE, message);
      boundary.sign(keyringId, handle, mechanism, MechanismParams.NONE, message);
      System.out.println();
      System.out.println("# Boundary engines (" + what + "):");
      System.out.println(boundary.engines().describe());
    }

    byte[] signInProcess() {
      return boundary.sign(keyringId, handle, mechanism, MechanismParams.NONE, message);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      if (boundary != null) {
        System.out.println();
        System.out.println("# Boundary key cache (" + what + "): " + boundary.cacheStats());
      }
      stop(what);
    }
  }

  /** One crypto API session per JMH thread, logged in as KRCO (none for the in-process rows). */
  @State(Scope.Thread)
  public static class ThreadSession {
    KeyringChannel session;

    @Setup(Level.Trial)
    public void open(SignRig rig) throws TransportException {
      if (!rig.inProcess) {
        session = rig.client.openSession(KEYRING);
        session.login(Role.KRCO, KEYRING_PASSWORD);
      }
    }

    @TearDown(Level.Trial)
    public void close(SignRig rig) throws TransportException {
      // the client may already be closed (it then closed this session too)
      if (session != null && session.isOpen() && !rig.client.isClosed()) {
        session.close();
      }
    }
  }

  /** The shared state of the ping benchmarks: a cluster and a client, no keyring login. */
  @State(Scope.Benchmark)
  public static class PingRig extends Rig {
    /**
     * The HTTP version of the client, or its binary channel; {@value #CHANNEL_UNCOALESCED}: the
     * channel with the client's write coalescing switched off (every request a write of its own);
     * {@value #CHANNEL_QUEUED}: the channel with every request through the member's workers.
     */
    @Param({"http1.1", "http2", "channel", CHANNEL_UNCOALESCED, CHANNEL_QUEUED})
    public String transport;

    private String what;

    @Setup(Level.Trial)
    public void setUp(BenchmarkParams params) throws Exception {
      what = "ping, " + transport + ", " + params.getThreads() + " thread(s)";
      start(transport);
      client.ping();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      stop(what);
    }
  }

  private static byte[] sign(SignRig rig, ThreadSession s) throws TransportException {
    return rig.inProcess
        ? rig.signInProcess()
        : s.session.sign(rig.handle, rig.mechanism, MechanismParams.NONE, rig.message);
  }

  @Benchmark
  @Threads(1)
  public byte[] signT1(SignRig rig, ThreadSession s) throws TransportException {
    return sign(rig, s);
  }

  @Benchmark
  @Threads(2)
  public byte[] signT2(SignRig rig, ThreadSession s) throws TransportException {
    return sign(rig, s);
  }

  @Benchmark
  @Threads(8)
  public byte[] signT8(SignRig rig, ThreadSession s) throws TransportException {
    return sign(rig, s);
  }

  @Benchmark
  @Threads(1)
  public Duration pingT1(PingRig rig) throws TransportException {
    return rig.client.ping();
  }

  @Benchmark
  @Threads(8)
  public Duration pingT8(PingRig rig) throws TransportException {
    return rig.client.ping();
  }

  @Benchmark
  @Threads(1)
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Duration pingLatencyT1(PingRig rig) throws TransportException {
    return rig.client.ping();
  }

  @Benchmark
  @Threads(8)
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Duration pingLatencyT8(PingRig rig) throws TransportException {
    return rig.client.ping();
  }

  @Benchmark
  @Threads(64)
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Duration pingLatencyT64(PingRig rig) throws TransportException {
    return rig.client.ping();
  }

  private static Path pem(Path file, String type, byte[] der) throws IOException {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return Files.writeString(
        file,
        "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n",
        StandardCharsets.US_ASCII);
  }
}
