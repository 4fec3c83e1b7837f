package dev.keyring.benchmarks;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.Slot;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.protocol.KeyringSerial;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.samples.LocalCluster;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

/**
 * Signing P-256 (SHA256withECDSA, 256-byte message) through the Keyring provider on an HA group of
 * two members against one member directly, in one run: two embedded one-member clusters (A and B,
 * the same cloning domain), keyring {@code a1} on A and {@code b1} on B, one client file
 * registering both with group {@code pay} over {@code a1} and {@code b1}.
 *
 * <ul>
 *   <li>{@code group-2-members}: KeyStore {@code slot=pay}; the key pair is generated through the
 *       group (made on one member, cloned to the other before it returns); signatures alternate
 *       between the members.
 *   <li>{@code one-member-direct}: KeyStore {@code slot=a1} on cluster 00; the key pair on {@code
 *       a1} only.
 * </ul>
 *
 * <p>Both clusters, the client and the provider share the JVM and its cores, so the group rows
 * cannot show the throughput that more HSMs add (each member would need cores of its own); what
 * they show is the virtual slot's cost per operation. Compare rows of one run only.
 *
 * <p>Run with {@code benchmarks/run.sh HaGroupSign}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 4, time = 3)
public class HaGroupSignBenchmark {
  static final String GROUP = "group-2-members";
  static final String DIRECT = "one-member-direct";
  private static final String PASSWORD = "bench-password-1";

  /** Two clusters, a provider on the group or on one member, and a key pair. */
  @State(Scope.Benchmark)
  public static class Rig {
    /** Where the provider signs. */
    @Param({GROUP, DIRECT})
    public String target;

    final byte[] message = new byte[256];
    private Path dir;
    private LocalCluster a;
    private LocalCluster b;
    KeyringProvider provider;
    KeyPair keys;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
      new SecureRandom().nextBytes(message);
      dir = Files.createTempDirectory("keyring-bench-ha-");
      a = LocalCluster.start(dir.resolve("a"));
      b = LocalCluster.start(dir.resolve("b"));
      a.createKeyring("a1", PASSWORD);
      b.createKeyring("b1", PASSWORD);
      ClientConfig cfg = ClientConfig.read(a.clientConfig());
      ClusterEntry other = ClientConfig.read(b.clientConfig()).clusters().get(0);
      cfg =
          cfg.withCluster(
              new ClusterEntry(
                  1,
                  other.host(),
                  other.port(),
                  other.clientCert(),
                  other.clientKey(),
                  other.caFile(),
                  other.serverCn()));
      String sa = serial(cfg, 0, "a1");
      String sb = serial(cfg, 1, "b1");
      cfg =
          cfg.withHaGroup(
              new HaGroupEntry(0, "pay", KeyringSerial.groupNumber(sa), List.of(sa, sb)));
      Path conf = dir.resolve("Chrystoki.conf");
      cfg.write(conf);
      provider = new KeyringProvider(conf);
      String slot = target.equals(GROUP) ? "slot=pay\n" : "slot=a1\ncluster=00\n";
      KeyStore.getInstance("Keyring", provider)
          .load(
              new ByteArrayInputStream(slot.getBytes(StandardCharsets.UTF_8)),
              PASSWORD.toCharArray());
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
      g.initialize(KeyringKeyGenParameterSpec.builder().label("bench").curve("P-256").build());
      keys = g.generateKeyPair();
      // one signature that verifies, so a broken rig fails here
      Signature s = Signature.getInstance("SHA256withECDSA", provider);
      s.initSign(keys.getPrivate());
      s.update(message);
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(keys.getPublic());
      v.update(message);
      if (!v.verify(s.sign())) {
        throw new IllegalStateException("the signature through " + target + " does not verify");
      }
    }

    private static String serial(ClientConfig cfg, int cluster, String label) throws Exception {
      try (KeyringClient c = KeyringClient.open(cfg, cluster)) {
        for (Slot s : c.slots()) {
          if (s.label().equals(label)) {
            return s.serialNumber();
          }
        }
      }
      throw new IllegalStateException("no keyring " + label + " on cluster " + cluster);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      try {
        if (provider != null) {
          provider.close();
        }
      } finally {
        try {
          if (b != null) {
            b.close();
          }
        } finally {
          if (a != null) {
            a.close();
          }
          TempTrees.delete(dir);
        }
      }
    }
  }

  /** A signature engine per JMH thread. */
  @State(Scope.Thread)
  public static class Signer {
    Signature signature;

    @Setup(Level.Trial)
    public void init(Rig rig) throws Exception {
      signature = Signature.getInstance("SHA256withECDSA", rig.provider);
      signature.initSign(rig.keys.getPrivate());
    }
  }

  private static byte[] sign(Rig rig, Signer s) throws Exception {
    s.signature.update(rig.message);
    return s.signature.sign();
  }

  @Benchmark
  @Threads(1)
  public byte[] signT1(Rig rig, Signer s) throws Exception {
    return sign(rig, s);
  }

  @Benchmark
  @Threads(4)
  public byte[] signT4(Rig rig, Signer s) throws Exception {
    return sign(rig, s);
  }
}
