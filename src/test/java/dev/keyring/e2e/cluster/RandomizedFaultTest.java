package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.SystemProperties;
import dev.keyring.testing.cluster.ClusterHarness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A randomized fault test in the style of Jepsen, at process level: members as their own JVMs with
 * a proxy on every link, client threads creating and deleting objects through {@link
 * KeyringClient}, and a seeded nemesis that picks from kill -9 and restart, SIGSTOP/SIGCONT, cuts
 * of member links and of client links, isolating a member, and the operator's promote and delete of
 * the primary where the documentation allows them. Every operation is recorded (start, end,
 * result); at the end all faults are healed and a checker proves: every acknowledged create present
 * on every live member, every acknowledged delete absent, no create reported as refused present,
 * digests equal.
 *
 * <p>Bounded by default (one seed, {@value #DEFAULT_SECONDS} s, 3 members); longer runs by system
 * properties: {@code keyring.faults.seeds} (comma-separated), {@code keyring.faults.seconds},
 * {@code keyring.faults.members} (3 to 5). The history of each run is written to {@code
 * target/fault-history-SEED.txt}.
 */
@Timeout(7_200)
class RandomizedFaultTest {
  private static final int DEFAULT_SECONDS = 40;
  private static final Duration SETTLE = Duration.ofSeconds(60);

  @Test
  void randomFaults_loseNoAcknowledgedWrite(@TempDir Path dir) throws Exception {
    String seeds = System.getProperty("keyring.faults.seeds", "20261204");
    int seconds =
        (int)
            SystemProperties.wholeNumber(
                "keyring.faults.seconds", DEFAULT_SECONDS, 1, 86_400, "seconds");
    int members = (int) SystemProperties.wholeNumber("keyring.faults.members", 3, 3, 5, "members");
    List<String> summary = new ArrayList<>();
    for (String s : seeds.split(",")) {
      long seed = Long.parseLong(s.trim());
      summary.add(run(dir.resolve("seed-" + seed), seed, seconds, members));
    }
    summary.forEach(System.out::println);
  }

  private static String run(Path dir, long seed, int seconds, int n) throws Exception {
    Files.createDirectories(dir);
    try (ClusterHarness h = ClusterHarness.startCluster(dir, n, n)) {
      FaultWorkload.provision(h, dir, n);
      Path conf = dir.resolve("client").resolve("Chrystoki.conf");
      FaultHistory history = new FaultHistory();
      Nemesis nemesis = new Nemesis(h, n, seed, history);
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0);
          FaultWorkload load = new FaultWorkload(client, n, history)) {
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (System.nanoTime() < end) {
          nemesis.step();
        }
        nemesis.healEverything();
        int before = history.acknowledgedCreates().size();
        ClusterHarness.await(
            "writes go on after every fault was healed",
            SETTLE,
            () -> history.acknowledgedCreates().size() >= before + 10);
        load.close();
        ClusterHarness.State converged = h.awaitConverged(SETTLE);
        FaultCheck c = check(client, n, history);
        Files.writeString(
            Path.of("target", "fault-history-" + seed + ".txt"),
            history.dump() + "\n" + nemesis.log() + "\n" + c,
            StandardCharsets.UTF_8);
        String line =
            String.format(
                "randomized faults, seed %d, %d members, %d s: %d operations (%d acknowledged, %d"
                    + " refused, %d uncertain), %d faults %s; lost %d, deletes undone %d,"
                    + " refused-but-applied %d; %d live members converged at %s",
                seed,
                n,
                seconds,
                history.size(),
                history.count(FaultHistory.Outcome.OK),
                history.count(FaultHistory.Outcome.REFUSED),
                history.count(FaultHistory.Outcome.UNCERTAIN),
                nemesis.faults(),
                nemesis.kinds(),
                c.lost().size(),
                c.undone().size(),
                c.refusedButApplied().size(),
                h.liveStates().size(),
                converged.position());
        assertEquals(Set.of(), c.lost(), "acknowledged creates missing; seed " + seed);
        assertEquals(Set.of(), c.undone(), "acknowledged deletes undone; seed " + seed);
        assertEquals(
            Set.of(), c.refusedButApplied(), "creates refused for sure but applied; seed " + seed);
        assertTrue(nemesis.faults() > 0, "the nemesis struck");
        assertTrue(history.count(FaultHistory.Outcome.OK) > 50, "the workload made progress");
        return line;
      }
    }
  }

  /** What the cluster holds (the live members' digests are equal), against the history. */
  private static FaultCheck check(KeyringClient client, int n, FaultHistory history)
      throws Exception {
    Set<String> present = new TreeSet<>();
    for (int t = 0; t < FaultWorkload.threads(n); t++) {
      try (KeyringChannel s = client.openSession(FaultWorkload.keyring(t))) {
        s.login(Role.KRCO, FaultWorkload.PASSWORD);
        for (KeyringObject o :
            s.findObjects(Attributes.builder().objectClass(ObjectClass.DATA).build())) {
          present.add(o.label());
        }
      }
    }
    return FaultCheck.against(history, present);
  }
}
