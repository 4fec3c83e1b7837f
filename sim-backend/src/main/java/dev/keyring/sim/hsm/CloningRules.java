package dev.keyring.sim.hsm;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import java.util.Map;
import java.util.TreeMap;

/**
 * The HSM and partition policies that govern cloning keyring objects out of and into this HSM (HA
 * groups): HSM policy 7 (allow cloning) for any object, partition policy 0 (allow private key
 * cloning) for private keys, 4 (allow secret key cloning) for secret keys. The key-management
 * permissions do not apply: a cloned object is not created, it already existed in the cloning
 * domain. Each refusal names the policy that refused.
 */
public final class CloningRules {
  private CloningRules() {}

  /**
   * Refuses with CKR_FUNCTION_REJECTED unless this HSM allows an object of class {@code c} to be
   * cloned {@code direction} ("out of" or "into") its partition.
   */
  public static void requireAllowed(Hsm hsm, ObjectClass c, String direction) {
    if (hsm.policy(Hsm.POLICY_CLONING) != 1) {
      throw refused("HSM policy 7 (allow cloning) is 0 on HSM " + hsm.serialNumber(), direction);
    }
    if (c == ObjectClass.PRIVATE_KEY && hsm.partitionPolicy(Hsm.POLICY_PRIVATE_KEY_CLONING) != 1) {
      throw refused("partition policy 0 (allow private key cloning) is 0", direction);
    }
    if (c == ObjectClass.SECRET_KEY && hsm.partitionPolicy(Hsm.POLICY_SECRET_KEY_CLONING) != 1) {
      throw refused("partition policy 4 (allow secret key cloning) is 0", direction);
    }
  }

  /** HSM policies 7, 12 and 16, as an HA group compares them across members. */
  public static Map<Integer, Integer> hsmPolicies(Hsm hsm) {
    Map<Integer, Integer> out = new TreeMap<>();
    for (int id :
        new int[] {
          Hsm.POLICY_CLONING, Hsm.POLICY_NON_FIPS_ALGORITHMS, Hsm.POLICY_NETWORK_REPLICATION
        }) {
      out.put(id, hsm.policy(id));
    }
    return out;
  }

  /** Partition policies 0 and 4, as an HA group compares them across members. */
  public static Map<Integer, Integer> partitionPolicies(Hsm hsm) {
    Map<Integer, Integer> out = new TreeMap<>();
    for (int id : new int[] {Hsm.POLICY_PRIVATE_KEY_CLONING, Hsm.POLICY_SECRET_KEY_CLONING}) {
      out.put(id, hsm.partitionPolicy(id));
    }
    return out;
  }

  private static HsmException refused(String why, String direction) {
    return new HsmException(
        ResultCode.CKR_FUNCTION_REJECTED,
        "cloning " + direction + " this partition is not allowed: " + why);
  }
}
