package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.MemberState;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.SystemProperties;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.KeyringKeyGenParameterSpec;
import dev.keyring.store.StoreConfig;
import dev.keyring.testing.cluster.ClusterHarness;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member process whose store fills its disk, recovered without a restart: three members as their
 * own JVMs, member 2's H2 store on a small tmpfs of its own ({@code storeJdbcUrl} in its settings),
 * an application registered with member 2 signing, generating and deleting keys through the
 * provider throughout. A filler file takes the rest of the tmpfs, so member 2's store fails; while
 * it cannot write, member 2 is read-only in the cluster view ({@code GET /v1/cluster}), the other
 * two take the writes, and the reads that reach member 2 are sent elsewhere by the client: not one
 * signature fails. The filler is deleted: member 2 takes the log again, without a restart, and
 * every member ends with the same digest; no acknowledged write is lost, no acknowledged delete
 * undone. It prints the figures (signs during the outage, failures, the time to recover).
 *
 * <p>Mounting the tmpfs needs root on Linux. Without it the test is skipped, loudly (a {@code
 * WARNING:} line and the assumption's message); in CI ({@code CI=true}, where the tests run as
 * root) it fails instead. The full disk lasts 15 s, or {@code keyring.fulldisk.seconds}.
 */
@Timeout(600)
class FullDiskMemberTest {
  private static final boolean IN_CI = "true".equalsIgnoreCase(System.getenv("CI"));
  private static final String INITIAL = "keyring-initial-1";
  private static final String PASSWORD = "keyring-password-2";
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final int FULL = 2;

  @Test
  void aMembersStoreOnAFullDisk_isReadOnlyAndFailedOver_thenRecoversWithoutARestart(
      @TempDir Path dir) throws Exception {
    int seconds =
        (int) SystemProperties.wholeNumber("keyring.fulldisk.seconds", 15, 1, 3_600, "seconds");
    Path disk = dir.resolve("disk");
    Files.createDirectories(disk);
    String why = run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", disk.toString());
    if (why != null) {
      String message =
          "WARNING: FullDiskMemberTest SKIPPED: a tmpfs could not be mounted ("
              + why
              + "), so a member's recovery from a full disk is NOT tested. Run the tests as root"
              + " on Linux.";
      if (IN_CI) {
        fail(message);
      }
      System.err.println(message);
      Assumptions.abort(message);
    }
    try {
      scenario(dir, disk, seconds);
    } finally {
      run("umount", "-l", disk.toString());
    }
  }

  private static void scenario(Path dir, Path disk, int seconds) throws Exception {
    Path store = disk.resolve("store");
    Files.createDirectories(store);
    Map<String, String> onTmpfs =
        Map.of(
            "storeJdbcUrl",
            "jdbc:h2:file:"
                + store.resolve(StoreConfig.H2_FILE_NAME)
                + StoreConfig.H2_FILE_SETTINGS,
            "storeUser",
            "sa",
            "storePassword",
            "");
    try (ClusterHarness h = ClusterHarness.create(dir, 3)) {
      h.startMember(0);
      h.provisionPartition(0);
      h.createCluster();
      for (int i = 1; i < 3; i++) {
        h.startMember(i, i == FULL ? onTmpfs : Map.of());
        h.provisionPartition(i);
        h.join(i, 0);
      }
      h.createKeyrings(0, "app", INITIAL, 1, 1);
      ClusterHarness.await(
          "member " + FULL + " read-write", SETTLE, () -> "Read-Write".equals(mode(h, FULL)));
      Path conf =
          h.registerClient(FULL, "disk-client", dir.resolve("client").resolve("Chrystoki.conf"));
      TransportOptions watching =
          TransportOptions.builder().viewRefresh(Duration.ofMillis(200)).build();
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0, watching)) {
        try (KeyringChannel s = client.openSession("app1")) {
          KeyringSetup.initialize(s, INITIAL, PASSWORD);
        }
        h.awaitConverged(SETTLE);
        KeyringProvider provider = new KeyringProvider(conf);
        try {
          run(h, client, provider, disk, seconds);
        } finally {
          provider.close();
        }
      }
    }
  }

  private static void run(
      ClusterHarness h, KeyringClient client, KeyringProvider provider, Path disk, int seconds)
      throws Exception {
    keyStore(provider).size(); // logs in
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC", provider);
    g.initialize(
        KeyringKeyGenParameterSpec.builder()
            .label("signing")
            .keyring("app1")
            .curve("P-256")
            .build());
    KeyPair signing = g.generateKeyPair();
    h.awaitConverged(SETTLE);
    FaultHistory history = new FaultHistory();
    String server = "127.0.0.1:" + h.clientLink(FULL).port();
    long pid = h.member(FULL).pid();
    ProviderLoad load =
        new ProviderLoad(
            provider,
            signing,
            "app1",
            "disk",
            4,
            3,
            Integer.MAX_VALUE,
            new ProviderLoad.Churn(history, () -> keyStore(provider), 6));
    OutageWatch outage = new OutageWatch(history::acknowledged);
    try {
      long target = history.acknowledged() + 10;
      ClusterHarness.await(
          "writes before the disk fills", SETTLE, () -> history.acknowledged() >= target);
      long servedBefore = h.state(FULL).cryptoRequests();

      Path filler = disk.resolve("filler");
      long fillStart = System.nanoTime();
      long filled = fill(filler);
      long signsBefore = load.signs.get();
      long signFailuresBefore = load.signFailures.get();
      long acknowledgedBefore = history.acknowledged();
      // the cluster view (refreshed every 200 ms), sampled every 100 ms while the disk is full
      int failedBefore = count(h, "the keyring store failed");
      int answersBefore = count(h, "the keyring store answers again");
      long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
      int samples = 0;
      int readOnlySamples = 0;
      long firstReadOnly = -1;
      while (System.nanoTime() < end) {
        samples++;
        if (readOnly(client, server)) {
          readOnlySamples++;
          if (firstReadOnly < 0) {
            firstReadOnly = (System.nanoTime() - fillStart) / 1_000_000;
          }
        }
        Thread.sleep(100);
      }
      String modeWhileFull = mode(h, FULL);
      boolean stillReadOnly = readOnly(client, server);
      int storeFailures = count(h, "the keyring store failed") - failedBefore;
      int storeAnswers = count(h, "the keyring store answers again") - answersBefore;
      long signsDuring = load.signs.get() - signsBefore;
      long signFailuresDuring = load.signFailures.get() - signFailuresBefore;
      long acknowledgedDuring = history.acknowledged() - acknowledgedBefore;

      Files.delete(filler);
      long freed = System.nanoTime();
      ClusterHarness.await(
          "member " + FULL + " read-write again in the cluster view",
          SETTLE,
          () -> !readOnly(client, server) && "Read-Write".equals(mode(h, FULL)));
      long recovered = (System.nanoTime() - freed) / 1_000_000;
      long writes = history.acknowledged() + 10;
      ClusterHarness.await(
          "writes after the recovery", SETTLE, () -> history.acknowledged() >= writes);
      load.close();
      outage.stop();
      ClusterHarness.State converged = h.awaitConverged(SETTLE);
      long recoveredAndConverged = (System.nanoTime() - freed) / 1_000_000;
      Set<String> present = new TreeSet<>(Collections.list(keyStore(provider).aliases()));
      FaultCheck c = FaultCheck.against(history, present);
      // reopened for good: its admin API reads the store 20 times in a row without a failure
      int stateFailures = 0;
      for (int i = 0; i < 20; i++) {
        if (mode(h, FULL).startsWith("unavailable")) {
          stateFailures++;
        }
        Thread.sleep(100);
      }
      long served = h.state(FULL).cryptoRequests() - servedBefore;
      System.out.printf(
          "full disk, member %d's store on a 64 MiB tmpfs (filler %d MiB): read-only in the"
              + " cluster view first %d ms after the filler was written, in %d of %d samples"
              + " (100 ms apart); the store failed %d times and answered again %d times; admin"
              + " mode at the end %s, read-only at the end of %d s: %s; during the full disk:"
              + " signs %d, failed %d, writes"
              + " acknowledged by the others %d; read-write again %d ms after space was freed,"
              + " converged %d ms after, same process (pid %d): %s, store reads failed after that"
              + " %d of 20; in all: writes acknowledged %d"
              + " (key generations %d, deletes %d), refused %d, uncertain %d, lost %d, deletes"
              + " undone %d; signs %d, failed %d; requests member %d served %d; longest time"
              + " without an acknowledged write %d ms; %d members converged at %s%n",
          FULL,
          filled >> 20,
          firstReadOnly,
          readOnlySamples,
          samples,
          storeFailures,
          storeAnswers,
          modeWhileFull,
          seconds,
          stillReadOnly,
          signsDuring,
          signFailuresDuring,
          acknowledgedDuring,
          recovered,
          recoveredAndConverged,
          pid,
          h.member(FULL).isAlive() && h.member(FULL).pid() == pid,
          stateFailures,
          history.count(FaultHistory.Outcome.OK),
          history.acknowledgedCreates().size(),
          history.acknowledgedDeletes().size(),
          history.count(FaultHistory.Outcome.REFUSED),
          history.count(FaultHistory.Outcome.UNCERTAIN),
          c.lost().size(),
          c.undone().size(),
          load.signs.get(),
          load.signFailures.get(),
          FULL,
          served,
          outage.longestMillis(),
          h.liveStates().size(),
          converged.position());
      if (load.signFailures.get() + load.keygenFailures.get() + load.deleteFailures.get() > 0) {
        System.out.println("  failures: " + load.failureSummary());
      }
      assertEquals(Set.of(), c.lost(), "acknowledged key generations lost");
      assertEquals(Set.of(), c.undone(), "acknowledged deletes undone");
      assertEquals(Set.of(), c.refusedButApplied(), "refused key generations applied");
      assertEquals(0, load.signFailures.get(), () -> "failed signs: " + load.failureSummary());
      assertEquals(0, stateFailures, "member " + FULL + "'s store failed after it recovered");
      assertTrue(
          readOnlySamples > 0,
          "member " + FULL + " was read-only in the view while its disk was full");
      assertTrue(acknowledgedDuring > 0, "the other two took writes during the full disk");
      assertEquals(pid, h.member(FULL).pid(), "no restart");
      assertTrue(h.member(FULL).isAlive(), "no restart");
      assertEquals(3, h.liveStates().size());
    } finally {
      load.close();
      outage.stop();
    }
  }

  /** How many lines of member {@link #FULL}'s output contain {@code text}. */
  private static int count(ClusterHarness h, String text) {
    return (int) h.member(FULL).output().lines().filter(l -> l.contains(text)).count();
  }

  /** Whether the client's cluster view says the member at {@code server} is read-only. */
  private static boolean readOnly(KeyringClient client, String server) {
    for (MemberState m : client.memberStates()) {
      if (server.equals(m.server())) {
        return m.readOnly();
      }
    }
    throw new IllegalStateException(server + " not in the view: " + client.memberStates());
  }

  /** The member's mode as its admin API reports it, or the failure to report it. */
  private static String mode(ClusterHarness h, int i) {
    try {
      return h.state(i).mode();
    } catch (RuntimeException | AssertionError e) {
      // the admin API answers 503 CKR_DEVICE_ERROR while the store cannot be read
      String m = String.valueOf(e.getMessage());
      return "unavailable (" + (m.length() > 80 ? m.substring(0, 80) + "…" : m) + ")";
    }
  }

  private static KeyStore keyStore(KeyringProvider provider) throws Exception {
    KeyStore ks = KeyStore.getInstance("Keyring", provider);
    ks.load(
        new ByteArrayInputStream("slot=app1\n".getBytes(StandardCharsets.UTF_8)),
        PASSWORD.toCharArray());
    return ks;
  }

  /** Writes {@code filler} until the disk is full; returns its size. */
  private static long fill(Path filler) {
    byte[] block = new byte[64 * 1024];
    long written = 0;
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(block);
        written += block.length;
      }
    } catch (IOException full) {
      return written; // no space left: what the test wants
    }
  }

  /** Runs a command; null when it succeeded, else its output. */
  private static String run(String... cmd) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      return e.getMessage();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    return p.waitFor() == 0 ? null : "exit " + p.exitValue() + ": " + out;
  }
}
