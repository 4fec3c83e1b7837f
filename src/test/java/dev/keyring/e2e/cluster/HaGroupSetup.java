package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.cli.KeyringCm;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.ha.HaGroupChannel;
import dev.keyring.client.registration.RegisterCommand;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.CloningMessages;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.testing.cli.CliRun;
import dev.keyring.testing.cluster.ClusterHarness;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * HA groups over harness clusters, as an operator makes them: one client registered with several
 * clusters, each keyring's crypto officer initialized with the same password, the group made with
 * {@code keyringcm hagroup}; and what the group's tests read back (objects on each member keyring,
 * signatures through a second virtual slot).
 */
final class HaGroupSetup {
  static final String INITIAL = "keyring-initial-1";
  static final String PW = "keyring-password-2";
  static final byte[] MSG = "signed by the group".getBytes(StandardCharsets.UTF_8);

  /** The label prefix of the HA group member keys: each member keeps its own. */
  private static final String MEMBER_KEY = "keyring-ha-group-member-key:";

  private HaGroupSetup() {}

  /** The provider's Keyring KeyStore on group {@code label}'s virtual slot, logged in. */
  static KeyStore groupKeyStore(KeyringProvider provider, String label) throws Exception {
    KeyStore ks = KeyStore.getInstance("Keyring", provider);
    ks.load(
        new ByteArrayInputStream(("slot=" + label + "\n").getBytes(StandardCharsets.UTF_8)),
        PW.toCharArray());
    return ks;
  }

  /** Registers the client of {@code conf} with cluster {@code c}, at the next free position. */
  static void registerWith(ClusterHarness c, Path conf) {
    CliRun r =
        CliRun.run(
            RegisterCommand::run,
            Map.of(RegisterCommand.PASSWORD_ENV, ClusterHarness.ADMIN_PW),
            "-n",
            "ha-client",
            "-i",
            "127.0.0.1:" + c.member(0).adminPort(),
            "-c",
            c.clusterId(),
            "--config",
            conf.toString(),
            "--admin-fingerprint",
            c.member(0).fingerprint(),
            "-m");
    assertEquals(RegisterCommand.OK, r.exit(), r.toString());
  }

  /** Initializes the crypto officer of {@code keyring} with the group's password. */
  static void initialize(ClientConfig cfg, int cluster, String keyring) throws Exception {
    try (KeyringClient c = KeyringClient.open(cfg, cluster);
        KeyringChannel s = c.openSession(keyring)) {
      KeyringSetup.initialize(s, INITIAL, PW);
    }
  }

  /**
   * Makes group {@code label} with {@code first} (cluster 00) as primary and {@code second} on
   * cluster {@code secondCluster}, auto-recovery every second, and checks that both are alive.
   */
  static void makeGroup(Path conf, String label, String first, String second, String secondCluster)
      throws Exception {
    Map<String, String> env = env(conf);
    cm(env, "hagroup", "creategroup", "-label", label, "-slot", first, "-password", PW);
    CliRun added =
        cm(
            env,
            "hagroup",
            "addmember",
            "-group",
            label,
            "-slot",
            second,
            "--cluster",
            secondCluster,
            "-password",
            PW);
    assertTrue(added.out().contains("successfully added"), added.toString());
    cm(env, "hagroup", "interval", "-seconds", "1");
    CliRun listed = cm(env, "hagroup", "listgroups", "-password", PW);
    assertTrue(listed.out().contains("Needs sync:      no"), listed.toString());
    assertEquals(2, count(listed.out(), " alive"), listed.toString());
    assertEquals(
        2,
        ClientConfig.read(conf).haGroup(label).orElseThrow().memberSerials().size(),
        "written by keyringcm");
  }

  static Map<String, String> env(Path conf) {
    return Map.of("KEYRING_CONFIG", conf.toString());
  }

  /** Runs {@code keyringcm} and expects it to succeed. */
  static CliRun cm(Map<String, String> env, String... args) {
    CliRun r = CliRun.run(KeyringCm::run, env, args);
    assertEquals(0, r.exit(), r.toString());
    return r;
  }

  static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  /** How many private keys labelled {@code label} member keyring {@code keyring} holds. */
  static int objectsLabelled(ClientConfig cfg, int cluster, String keyring, String label)
      throws Exception {
    int n = 0;
    for (CloningMessages.ClonableObject o : objects(cfg, cluster, keyring)) {
      if (o.label().equals(label) && o.objectClass().equals("PRIVATE_KEY")) {
        n++;
      }
    }
    return n;
  }

  /** {@link #objectsLabelled}, or -1 while the keyring cannot be reached. */
  static int objectsLabelledQuietly(ClientConfig cfg, int cluster, String keyring, String label) {
    try {
      return objectsLabelled(cfg, cluster, keyring, label);
    } catch (Exception e) {
      return -1;
    }
  }

  /** The ids of the group's objects on member keyring {@code keyring} (member keys left out). */
  static Set<String> groupObjectIds(ClientConfig cfg, int cluster, String keyring)
      throws Exception {
    Set<String> out = new TreeSet<>();
    for (CloningMessages.ClonableObject o : objects(cfg, cluster, keyring)) {
      if (!o.label().startsWith(MEMBER_KEY)) {
        out.add(o.objectId().toString());
      }
    }
    return out;
  }

  private static List<CloningMessages.ClonableObject> objects(
      ClientConfig cfg, int cluster, String keyring) throws Exception {
    try (KeyringClient c = KeyringClient.open(cfg, cluster);
        KeyringChannel s = c.openSession(keyring)) {
      s.login(Role.KRCO, PW);
      return s.clonableObjects();
    }
  }

  /** The virtual handle of the private key labelled {@code label} on the group's virtual slot. */
  static long privateKeyHandle(HaGroupChannel group, String label) throws Exception {
    List<KeyringObject> found = group.findObjects(Attributes.builder().label(label).build());
    return found.stream()
        .filter(o -> o.objectClass() == ObjectClass.PRIVATE_KEY)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no private key '" + label + "': " + found))
        .handle();
  }

  /**
   * Restarts the two members of cluster {@code a} after both were killed, authorizes the first back
   * (every member failed: the operator authorizes it, as the guide says; the other takes its
   * authorization from it), and waits until the group's auto-recovery gave keyring {@code keyring}
   * the private key {@code label}. Returns the milliseconds from the restart.
   */
  static long restartAndAwaitRecovery(
      ClusterHarness a, ClientConfig cfg, String keyring, String label) throws Exception {
    a.member(0).restart();
    a.member(1).restart();
    long restarted = System.nanoTime();
    assertFalse(a.authorized(0), "the first member back after every member of A failed");
    a.authorize(0);
    ClusterHarness.await(
        "a's second member takes its authorization from the first",
        Duration.ofSeconds(60),
        () -> a.authorized(1));
    ClusterHarness.await(
        "auto-recovery gives " + keyring + " the key generated while A was down",
        Duration.ofSeconds(180),
        () -> objectsLabelledQuietly(cfg, 0, keyring, label) == 1);
    return (System.nanoTime() - restarted) / 1_000_000;
  }

  private static final java.util.regex.Pattern SIGNS =
      java.util.regex.Pattern.compile(
          "^keyring_crypto_requests_total\\{operation=\"sign\",status=\"200\",[^}]*} (\\d+)$",
          java.util.regex.Pattern.MULTILINE);

  /**
   * The signatures the first {@code members} member processes of cluster {@code c} made, as their
   * metrics count them ({@code GET /metrics}: crypto requests {@code sign} answered 200, every
   * wire).
   */
  static long signsServed(ClusterHarness c, int members) {
    long n = 0;
    for (int i = 0; i < members; i++) {
      String text =
          c.member(i)
              .rest()
              .send("GET", "/metrics", "admin", ClusterHarness.ADMIN_PW, null)
              .expect(200)
              .body();
      java.util.regex.Matcher m = SIGNS.matcher(text);
      while (m.find()) {
        n += Long.parseLong(m.group(1));
      }
    }
    return n;
  }

  /** Signs {@link #MSG} {@code times} times through {@code group}. */
  static void sign(HaGroupChannel group, long handle, int times) throws Exception {
    for (int i = 0; i < times; i++) {
      group.sign(handle, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, MSG);
    }
  }
}
