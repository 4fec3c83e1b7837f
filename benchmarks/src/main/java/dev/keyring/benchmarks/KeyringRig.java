package dev.keyring.benchmarks;

import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.LocalCluster;
import dev.keyring.sim.server.Member;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Provider;
import java.util.concurrent.TimeUnit;

/**
 * The Keyring provider on an embedded one-member cluster in the benchmark's JVM: every operation is
 * a round trip over loopback mutual TLS to the member, whose boundary holds the key. Client, member
 * and crypto share the JVM and its cores.
 *
 * <p>Two rows: {@value #NAME}, the client's default wire (the binary crypto channel), and {@value
 * #HTTP_NAME}, the wire pinned to the REST/JSON crypto API over HTTPS. The rig sets the client's
 * wire property ({@code keyring.client.wire}) in the trial's JVM before the provider exists, and
 * after the keys are generated checks the member's request counters: a row whose requests went over
 * the other wire fails instead of being measured.
 */
final class KeyringRig extends ProviderRig {
  static final String NAME = "keyring";
  static final String HTTP_NAME = "keyring-http";
  private static final String KEYRING = "bench";
  private static final String PASSWORD = "bench-password-1";
  private static final String WIRE_PROPERTY = "keyring.client.wire";

  private final String name;
  private final String wire; // the metrics' wire label, and the property's value
  private Path dir;
  private LocalCluster cluster;
  private KeyringProvider provider;

  /** The row over the default wire, the crypto channel. */
  KeyringRig() {
    this(NAME, "channel");
  }

  private KeyringRig(String name, String wire) {
    this.name = name;
    this.wire = wire;
  }

  /** The row over the REST/JSON crypto API. */
  static KeyringRig http() {
    return new KeyringRig(HTTP_NAME, "http");
  }

  @Override
  String name() {
    return name;
  }

  @Override
  void setUp(ProviderOp op) throws Exception {
    System.setProperty(WIRE_PROPERTY, wire); // before any client options exist in this JVM
    dir = Files.createTempDirectory("keyring-bench-provider-");
    cluster = LocalCluster.start(dir);
    cluster.createKeyring(KEYRING, PASSWORD);
    provider = new KeyringProvider(cluster.clientConfig());
    KeyStore.getInstance("Keyring", provider)
        .load(cluster.slotProperties(KEYRING), PASSWORD.toCharArray());
    generateKeys(op, provider);
    requireWire();
  }

  /**
   * Fails unless the key generation went over this row's wire. The member counts a request once its
   * answer is written, so the count may trail the answer the client read: it is looked for during a
   * few seconds.
   */
  private void requireWire() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    String metrics;
    boolean ours;
    boolean other;
    do {
      metrics = cluster.cluster().member(0).metricsText();
      ours = false;
      other = false;
      for (String line : metrics.split("\n")) {
        if (line.startsWith("keyring_crypto_requests_total{operation=\"keypairs\"")
            || line.startsWith("keyring_crypto_requests_total{operation=\"keys\"")) {
          ours |= line.contains("wire=\"" + wire + "\"");
          other |= !line.contains("wire=\"" + wire + "\"");
        }
      }
      if (!ours) {
        Thread.sleep(20);
      }
    } while (!ours && System.nanoTime() < deadline);
    if (!ours || other) {
      throw new IllegalStateException(
          name
              + ": the provider's key generation did not go over the "
              + wire
              + " wire alone; the member counted:\n"
              + metrics);
    }
  }

  @Override
  Provider provider(ProviderOp op) {
    return provider;
  }

  @Override
  void tearDown() throws IOException {
    if (provider != null) {
      provider.close();
    }
    if (cluster != null) {
      Member m = cluster.cluster().member(0);
      int left = m.openSessions();
      long requests = m.channelRequests();
      if (requests > 0) { // how many a lone call's answer came straight from the reader
        long onReader = m.channelServedOnReader();
        System.out.printf(
            "# keyring: the member read %,d channel requests, %,d (%.1f %%) served on the reader%n",
            requests, onReader, 100.0 * onReader / requests);
      }
      cluster.close();
      if (left != 0) {
        System.out.println("# WARNING (keyring): the member had " + left + " open session(s)");
      }
    }
    TempTrees.delete(dir);
  }
}
