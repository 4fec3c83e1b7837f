package dev.keyring.benchmarks;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.sim.boundary.Boundary;
import dev.keyring.sim.boundary.BoundaryConfig;
import dev.keyring.sim.boundary.KeyPairObjects;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.StoreConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
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
 * Signing a 256-byte message inside the simulated HSM boundary, side by side with the JDK signing
 * in process. One key pair per trial; every run compares all three implementations per key type:
 *
 * <ul>
 *   <li>{@code boundary-cache-hit}: {@link Boundary#sign} with the unwrapped key already in the
 *       boundary's key cache (the steady state of a busy keyring): cache look-up, attribute checks,
 *       {@code Signature.getInstance} + {@code initSign} + sign with the boundary's chosen engine
 *       (see the engine report printed at setup).
 *   <li>{@code boundary-cache-miss}: {@link Boundary#evictObject} before every sign, so each sign
 *       reads the object's record from the H2 store, unwraps its SKS blob (AES-GCM under the SMK),
 *       parses the PKCS#8 private key into an engine key object, and then signs. The difference to
 *       the cache-hit row is the cost of a cold key.
 *   <li>{@code jdk-in-process}: a JDK-generated key of the same type, signed with {@code
 *       SHA256withRSA} / {@code SHA256withECDSA} from the JDK's default providers; like the
 *       boundary it takes a fresh {@code Signature} and calls {@code initSign} per operation. No
 *       store or boundary is opened for this row.
 *   <li>{@code accp-in-process}: the same with Amazon Corretto Crypto Provider, the engine the
 *       boundary picks for these families: the gap to {@code boundary-cache-hit} is what the
 *       boundary itself costs (cache look-up, permission checks), not the engine.
 * </ul>
 *
 * <p>Run with {@code benchmarks/run.sh} (or {@code java -jar benchmarks/target/benchmarks.jar
 * BoundarySign}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// INFO logging off: the store's pool and the engine selection would interleave with JMH's output
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Threads(1)
public class BoundarySignBenchmark {

  /** What signs. */
  @Param({"boundary-cache-hit", "boundary-cache-miss", "accp-in-process", "jdk-in-process"})
  public String impl;

  /** The key type: {@code RSA-2048} (PKCS#1 v1.5, SHA-256) or {@code P-256} (ECDSA, SHA-256). */
  @Param({"RSA-2048", "P-256"})
  public String key;

  private final byte[] message = new byte[256];
  private Path dir;
  private KeyringStore store;
  private Boundary boundary;
  private UUID keyringId;
  private long handle;
  private Mechanism mechanism;
  private boolean evictBeforeSign;
  private PrivateKey jdkKey;
  private String jdkAlgorithm;
  private java.security.Provider provider;

  @Setup(Level.Trial)
  public void setUp() throws IOException, GeneralSecurityException {
    new SecureRandom().nextBytes(message);
    switch (impl) {
      case "boundary-cache-hit":
        openBoundary();
        break;
      case "boundary-cache-miss":
        openBoundary();
        evictBeforeSign = true;
        break;
      case "jdk-in-process":
        generateJdkKey(null);
        break;
      case "accp-in-process":
        generateJdkKey(com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider.INSTANCE);
        break;
      default:
        throw new IllegalArgumentException("unknown impl " + impl);
    }
  }

  private void openBoundary() throws IOException, GeneralSecurityException {
    dir = Files.createTempDirectory("keyring-bench-");
    store = KeyringStore.open(StoreConfig.h2File(dir.resolve("store")));
    boundary =
        Boundary.open(
            BoundaryConfig.builder().deviceKeyFile(dir.resolve("hsm/device.key")).build(), store);
    boundary.createSmk();
    UUID clusterId = UUID.randomUUID();
    KeyringRecord keyring =
        new KeyringRecord(
            UUID.randomUUID(), clusterId, "bench", "unused", false, true, false, 0, Instant.now());
    store.write(
        tx -> {
          tx.createCluster(clusterId, "bench");
          return tx.createKeyrings(clusterId, List.of(keyring));
        });
    keyringId = keyring.id();
    KeyGenParams params;
    switch (key) {
      case "RSA-2048":
        params = KeyGenParams.rsa(2048);
        mechanism = Mechanism.CKM_SHA256_RSA_PKCS;
        break;
      case "P-256":
        params = KeyGenParams.ec(Curve.P256);
        mechanism = Mechanism.CKM_ECDSA_SHA256;
        break;
      default:
        throw new IllegalArgumentException("unknown key " + key);
    }
    KeyPairObjects pair =
        boundary.generateKeyPair(
            keyringId,
            params,
            Attributes.builder().label("bench-pub").build(),
            Attributes.builder().label("bench").build());
    handle = pair.privateKey().handle();
    System.out.println();
    System.out.println("# Boundary engines (" + impl + ", " + key + "):");
    System.out.println(boundary.engines().describe());
    // one sign so a failure shows here, not as a benchmark error
    sign();
  }

  private void generateJdkKey(java.security.Provider provider) throws GeneralSecurityException {
    this.provider = provider;
    KeyPairGenerator g;
    switch (key) {
      case "RSA-2048":
        g = keyPairGenerator("RSA");
        g.initialize(2048);
        jdkAlgorithm = "SHA256withRSA";
        break;
      case "P-256":
        g = keyPairGenerator("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        jdkAlgorithm = "SHA256withECDSA";
        break;
      default:
        throw new IllegalArgumentException("unknown key " + key);
    }
    jdkKey = g.generateKeyPair().getPrivate();
    Signature s = signature();
    s.initSign(jdkKey);
    System.out.println();
    System.out.println(
        "# In process ("
            + key
            + "): "
            + jdkAlgorithm
            + " from "
            + s.getProvider().getName()
            + ", key from "
            + g.getProvider().getName());
  }

  @Benchmark
  public byte[] sign() throws GeneralSecurityException {
    if (boundary != null) {
      if (evictBeforeSign) {
        // cache miss: the sign below reads the record from H2, unwraps the SKS blob (AES-GCM
        // under the SMK), parses the PKCS#8 key and then signs
        boundary.evictObject(keyringId, handle);
      }
      return boundary.sign(keyringId, handle, mechanism, MechanismParams.NONE, message);
    }
    Signature s = signature();
    s.initSign(jdkKey);
    s.update(message);
    return s.sign();
  }

  private KeyPairGenerator keyPairGenerator(String alg) throws GeneralSecurityException {
    return provider == null
        ? KeyPairGenerator.getInstance(alg)
        : KeyPairGenerator.getInstance(alg, provider);
  }

  private Signature signature() throws GeneralSecurityException {
    return provider == null
        ? Signature.getInstance(jdkAlgorithm)
        : Signature.getInstance(jdkAlgorithm, provider);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    if (boundary != null) {
      System.out.println();
      System.out.println(
          "# Boundary key cache (" + impl + ", " + key + "): " + boundary.cacheStats());
      boundary.close();
    }
    if (store != null) {
      store.close();
    }
    TempTrees.delete(dir);
  }
}
