package dev.keyring.samples;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.Role;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.sim.boundary.KeyPairObjects;
import dev.keyring.sim.hsm.Hsm;
import dev.keyring.sim.keyring.KeyringSession;
import dev.keyring.store.ClusterRecord;
import dev.keyring.store.KeyringRecord;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.Signature;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A tour of one simulated appliance on an H2 file database, set up the way an operator would (HSM,
 * V1 partition, CO, cluster, keyrings), then a keyring used the way an application would (roles,
 * key generation inside, signing and encryption), then a restart that finds it all again. Every
 * step is printed. Run it with {@code mvn -B -q -pl samples -am -DskipTests package exec:java
 * -Dexec.mainClass=dev.keyring.samples.ApplianceTour}.
 *
 * <p>Usage: {@code ApplianceTour [--data DIR] [--keep]}. Without {@code --data} a temporary
 * directory is used and removed at the end unless {@code --keep} is given.
 */
public final class ApplianceTour {
  private static final String SO = "demo-hsm-so-1";
  private static final String PO = "demo-partition-po-1";
  private static final String CO_INITIAL = "demo-co-initial";
  private static final String CO = "demo-co-password";
  private static final String KEYRING_INITIAL = "demo-initial-1";
  private static final String KEYRING_PASSWORD = "demo-keyring-pw";

  private final PrintStream out;
  private int step;

  private ApplianceTour(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    Path data = null;
    boolean keep = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--data":
          if (i + 1 >= args.length) {
            usage("--data needs a directory");
          }
          data = Paths.get(args[++i]);
          break;
        case "--keep":
          keep = true;
          break;
        case "--help":
        case "-h":
          usage(null);
          break;
        default:
          usage("unknown argument '" + args[i] + "'");
      }
    }
    boolean temporary = data == null;
    if (temporary) {
      data = Files.createTempDirectory("keyring-demo-");
    } else if (Files.exists(data) && !isEmptyDir(data)) {
      System.err.println("error: " + data + " is not empty; give a new or empty directory");
      System.exit(2);
    }
    try {
      new ApplianceTour(System.out).run(data);
    } finally {
      if (temporary && !keep) {
        deleteTree(data);
      }
    }
  }

  private void run(Path data) throws Exception {
    out.println("Keyring demo: one simulated appliance, data in " + data);
    ApplianceConfig config = ApplianceConfig.builder().dataDir(data).build();
    KeyringRecord keyring;
    long rsaPrivate;
    try (Appliance appliance = Appliance.open(config)) {
      Hsm hsm = appliance.hsm();
      step("HSM serial " + hsm.serialNumber() + ": initialize with an HSM SO password");
      hsm.initialize("demo-hsm", SO);
      step("create the V1 partition 'clusterpar', initialize its PO and cloning domain");
      hsm.createPartition(SO, "clusterpar", "V1");
      hsm.initializePartition(SO, PO, "demo-cloning-domain");
      step("set partition policy 40 (per-key authorization data) to 0");
      hsm.setPartitionPolicy(PO, Hsm.POLICY_PER_KEY_AUTH, 0);
      step("initialize the CO; HSM policy 21 is on, so change its initial password");
      hsm.initCo(PO, CO_INITIAL);
      hsm.changeCoPassword(CO_INITIAL, CO);
      ClusterRecord cluster = appliance.createCluster(SO, "demoCluster");
      step(
          "create cluster '"
              + cluster.label()
              + "' "
              + cluster.id()
              + ": SMK generated in the"
              + " partition, fingerprint "
              + appliance.boundary().smkFingerprint());
      out.println("      default member name: " + appliance.defaultMemberName());
      out.println("      crypto engines inside the boundary:");
      for (String line : appliance.boundary().engines().describe().split("\n")) {
        out.println("        " + line);
      }
      step("create 10 keyrings (label 'app', index 100)");
      List<KeyringRecord> made =
          appliance
              .keyrings()
              .createKeyrings(
                  CO,
                  "app",
                  KEYRING_INITIAL,
                  10,
                  100,
                  n -> {
                    if (n % 5 == 0) {
                      out.println("      prepared " + n + "/10");
                    }
                  });
      out.println(
          "      " + made.get(0).label() + " … " + made.get(made.size() - 1).label() + " created");
      keyring = made.get(0);
      step("KRSO logs in to '" + keyring.label() + "' with the initial password and changes it");
      try (KeyringSession so =
          appliance.keyrings().login(keyring.id(), Role.KRSO, KEYRING_INITIAL)) {
        so.changePassword(KEYRING_INITIAL, KEYRING_PASSWORD);
        step("KRSO initializes the KRCO with the same (shared) password");
        so.initKrco(KEYRING_PASSWORD);
      }
      try (KeyringSession co =
          appliance.keyrings().login(keyring.id(), Role.KRCO, KEYRING_PASSWORD)) {
        step("KRCO generates RSA-2048 and P-256 key pairs and an AES-256 key inside the HSM");
        KeyPairObjects rsa =
            co.generateKeyPair(
                KeyGenParams.rsa(2048),
                Attributes.builder().label("web-rsa").build(),
                Attributes.builder().label("web-rsa").build());
        KeyPairObjects ec =
            co.generateKeyPair(
                KeyGenParams.ec(Curve.P256),
                Attributes.builder().label("web-ec").build(),
                Attributes.builder().label("web-ec").build());
        long aes =
            co.generateKey(KeyGenParams.aes(256), Attributes.builder().label("data-key").build())
                .handle();
        rsaPrivate = rsa.privateKey().handle();
        out.println(
            "      handles: RSA "
                + rsaPrivate
                + ", P-256 "
                + ec.privateKey().handle()
                + ", AES "
                + aes);
        out.println(
            "      stored RSA private key blob: "
                + appliance.store().object(keyring.id(), rsaPrivate).orElseThrow().blob().length
                + " bytes, AES-256-GCM under the SMK");
        byte[] message = "hello from a keyring".getBytes(StandardCharsets.UTF_8);
        step("sign with each key inside the HSM; verify with the JDK on the public keys");
        verifyWithJdk(
            "SHA256withRSA",
            rsa,
            message,
            co.sign(rsaPrivate, Mechanism.CKM_SHA256_RSA_PKCS, MechanismParams.NONE, message));
        verifyWithJdk(
            "SHA256withECDSA",
            ec,
            message,
            co.sign(
                ec.privateKey().handle(),
                Mechanism.CKM_ECDSA_SHA256,
                MechanismParams.NONE,
                message));
        step("encrypt and decrypt with AES-256-GCM inside the HSM (IV generated inside)");
        byte[] ct = co.encrypt(aes, Mechanism.CKM_AES_GCM, MechanismParams.NONE, message);
        byte[] pt = co.decrypt(aes, Mechanism.CKM_AES_GCM, MechanismParams.NONE, ct);
        out.println(
            "      "
                + ct.length
                + "-byte ciphertext; round trip "
                + (Arrays.equals(pt, message) ? "ok" : "FAILED"));
        if (!Arrays.equals(pt, message)) {
          throw new IllegalStateException("AES-GCM round trip failed");
        }
      }
      step(
          "three wrong logins count toward the lockout (10 for passwords of 16 characters or less)");
      for (int i = 0; i < 3; i++) {
        try {
          appliance.keyrings().login(keyring.id(), Role.KRCO, "not-the-password");
        } catch (dev.keyring.protocol.HsmException e) {
          out.println("      " + e.getMessage());
        }
      }
    }
    step("restart the appliance on the same data directory");
    try (Appliance again = Appliance.open(config)) {
      out.println(
          "      cluster "
              + again.cluster().orElseThrow().label()
              + ", "
              + again.store().keyringCount()
              + " keyrings, SMK "
              + again.boundary().smkFingerprint());
      try (KeyringSession co = again.keyrings().login(keyring.id(), Role.KRCO, KEYRING_PASSWORD)) {
        byte[] sig =
            co.sign(
                rsaPrivate, Mechanism.CKM_SHA256_RSA_PKCS, MechanismParams.NONE, new byte[] {1});
        out.println(
            "      the RSA key still signs after restart (" + sig.length + "-byte signature)");
        out.println(
            "      objects on '"
                + keyring.label()
                + "': "
                + co.findObjects(Attributes.empty()).size()
                + " (a successful login reset the failed-login counter)");
      }
    }
    out.println("Tour finished.");
  }

  private void verifyWithJdk(String alg, KeyPairObjects kp, byte[] message, byte[] sig)
      throws Exception {
    Signature v = Signature.getInstance(alg);
    v.initVerify(PublicKeyAttributes.toPublicKey(kp.publicKey().attributes()));
    v.update(message);
    boolean ok = v.verify(sig);
    out.println(
        "      "
            + alg
            + " by '"
            + kp.privateKey().attributes().label().orElse("")
            + "': "
            + sig.length
            + "-byte signature, JDK verify "
            + (ok ? "ok" : "FAILED"));
    if (!ok) {
      throw new IllegalStateException(alg + " signature did not verify");
    }
  }

  private void step(String what) {
    out.printf("[%2d] %s%n", ++step, what);
  }

  private static void usage(String error) {
    PrintStream s = error == null ? System.out : System.err;
    if (error != null) {
      s.println("error: " + error);
    }
    s.println("usage: ApplianceTour [--data DIR] [--keep]");
    s.println(
        "  --data DIR  keep the appliance's state in DIR (new or empty); default: a temp dir");
    s.println("  --keep      do not delete the temporary directory at the end");
    System.exit(error == null ? 0 : 2);
  }

  private static boolean isEmptyDir(Path p) throws IOException {
    if (!Files.isDirectory(p)) {
      return false;
    }
    try (Stream<Path> s = Files.list(p)) {
      return s.findAny().isEmpty();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toArray(Path[]::new)) {
        Files.deleteIfExists(p);
      }
    }
  }
}
