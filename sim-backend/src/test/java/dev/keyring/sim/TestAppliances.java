package dev.keyring.sim;

import dev.keyring.sim.hsm.Hsm;
import java.nio.file.Path;

/** Appliances set up the way an operator would, for tests. */
public final class TestAppliances {
  public static final String SO = "so-password-1";
  public static final String PO = "po-password-1";
  public static final String CO_INITIAL = "co-initial-1";
  public static final String CO = "co-password-1";
  public static final String DOMAIN = "test-cloning-domain";

  private TestAppliances() {}

  /** An appliance with a cheap KDF, nothing configured. */
  public static Appliance fresh(Path dir) {
    return Appliance.open(ApplianceConfig.builder().dataDir(dir).kdfIterations(1_000).build());
  }

  /** Initializes the HSM and its V1 partition, PO, CO (changed) and policy 40 = 0. */
  public static void prepare(Appliance a) {
    Hsm hsm = a.hsm();
    hsm.initialize("hsm1", SO);
    hsm.createPartition(SO, "clusterpar", "V1");
    hsm.initializePartition(SO, PO, DOMAIN);
    hsm.setPartitionPolicy(PO, Hsm.POLICY_PER_KEY_AUTH, 0);
    hsm.initCo(PO, CO_INITIAL);
    hsm.changeCoPassword(CO_INITIAL, CO);
  }

  /** A prepared appliance with a cluster. */
  public static Appliance withCluster(Path dir) {
    Appliance a = fresh(dir);
    prepare(a);
    a.createCluster(SO, "test-cluster");
    return a;
  }
}
