package dev.keyring.protocol.wire;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The crypto API's messages for cloning objects between keyrings of different clusters (HA groups).
 * The client relays them and learns nothing secret from them: an offer is a public key and public
 * facts, a clone is encrypted for the target cluster.
 */
public final class CloningMessages {
  private CloningMessages() {}

  /**
   * {@code GET /v1/sessions/{id}/cloning}: what a keyring offers to a source that would clone into
   * it, and the facts an HA group checks before it takes the keyring as a member.
   *
   * @param serialNumber the keyring's serial number
   * @param keyringId the keyring's UUID
   * @param clusterId the keyring's cluster
   * @param cloningDomain the fingerprint of the member partition's cloning domain
   * @param cloningKey the target cluster's cloning public key (X.509 DER, EC P-256)
   * @param hsmPolicies HSM policies 7, 12 and 16 of the member that answered
   * @param partitionPolicies partition policies 0 and 4 of the member that answered
   */
  public record CloningOffer(
      String serialNumber,
      UUID keyringId,
      UUID clusterId,
      String cloningDomain,
      byte[] cloningKey,
      Map<Integer, Integer> hsmPolicies,
      Map<Integer, Integer> partitionPolicies) {}

  /** One object as cloning sees it: its handle here and its identity everywhere. */
  public record ClonableObject(long handle, UUID objectId, String objectClass, String label) {}

  /** {@code GET /v1/sessions/{id}/cloning/objects}: the keyring's objects by identity. */
  public record ClonableObjects(List<ClonableObject> objects) {}

  /**
   * {@code POST /v1/sessions/{id}/cloning/out}: clone object {@code handle} for the target that
   * made {@code offer} (its {@code cloningDomain} and {@code cloningKey} are what is used).
   */
  public record CloneOut(long handle, CloningOffer offer) {}

  /** The answer of clone-out, and the body of clone-in: the encrypted object. */
  public record ObjectCloneBundle(byte[] bundle) {}
}
