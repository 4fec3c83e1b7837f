package dev.keyring.client.cli;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.CloningMessages.CloningOffer;
import java.util.Map;

/**
 * What a keyring must share with an HA group's members before it joins (checked by {@code hagroup
 * addmember}): the cloning domain, partition policies 0 (private key cloning) and 4 (secret key
 * cloning) and HSM policies 7 (cloning) and 16 (network replication) set to 1, and the same HSM
 * policy 12 (non-FIPS algorithms). The crypto officer credential is checked by logging in with it.
 * Each refusal names the rule.
 */
final class HaPrerequisites {
  private HaPrerequisites() {}

  static void require(String group, CloningOffer primary, CloningOffer candidate) {
    String who = "slot " + candidate.serialNumber();
    if (candidate.cloningDomain() == null
        || !candidate.cloningDomain().equals(primary.cloningDomain())) {
      throw refused(
          who
              + " cannot join HA group '"
              + group
              + "': its partition's cloning domain differs from"
              + " the group's; every member must be initialized with the same cloning domain");
    }
    for (CloningOffer o : new CloningOffer[] {primary, candidate}) {
      String where = "slot " + o.serialNumber();
      requireOn(o.partitionPolicies(), 0, "partition policy 0 (allow private key cloning)", where);
      requireOn(o.partitionPolicies(), 4, "partition policy 4 (allow secret key cloning)", where);
      requireOn(o.hsmPolicies(), 7, "HSM policy 7 (allow cloning)", where);
      requireOn(o.hsmPolicies(), 16, "HSM policy 16 (allow network replication)", where);
    }
    Integer mine = primary.hsmPolicies().get(12);
    Integer theirs = candidate.hsmPolicies().get(12);
    if (mine == null || !mine.equals(theirs)) {
      throw refused(
          who
              + " cannot join HA group '"
              + group
              + "': HSM policy 12 (allow non-FIPS algorithms)"
              + " is "
              + theirs
              + " on its HSM and "
              + mine
              + " on the group's; HSM policies must be"
              + " consistent across members");
    }
  }

  private static void requireOn(Map<Integer, Integer> policies, int id, String name, String where) {
    Integer v = policies == null ? null : policies.get(id);
    if (v == null || v != 1) {
      throw refused(name + " must be 1 on every HA group member; it is " + v + " for " + where);
    }
  }

  /** The message when the crypto officer password opens the group's members but not this one. */
  static HsmException credentialDiffers(String group, String serial, HsmException cause) {
    HsmException e =
        refused(
            "slot "
                + serial
                + " cannot join HA group '"
                + group
                + "': the crypto officer"
                + " credential must be the same on every member, and this one refused it ("
                + cause.code()
                + ")");
    e.addSuppressed(cause);
    return e;
  }

  private static HsmException refused(String message) {
    return new HsmException(ResultCode.CKR_FUNCTION_REJECTED, message);
  }
}
