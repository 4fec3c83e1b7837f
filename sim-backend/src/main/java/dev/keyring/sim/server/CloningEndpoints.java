package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringSerial;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.CloningMessages;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.hsm.CloningRules;
import dev.keyring.sim.hsm.Hsm;
import dev.keyring.sim.keyring.KeyringSession;
import dev.keyring.store.ObjectRecord;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The crypto API's cloning resources, on a KRCO session:
 *
 * <ul>
 *   <li>{@code GET /v1/sessions/{id}/cloning}: the keyring's cloning offer (serial number, cloning
 *       domain fingerprint, the cluster's cloning public key, policies 0, 4, 7, 12, 16);
 *   <li>{@code GET /v1/sessions/{id}/cloning/objects}: the keyring's objects with their object ids;
 *   <li>{@code POST /v1/sessions/{id}/cloning/out} {@code {handle, offer}}: one object encrypted
 *       for the target that made the offer;
 *   <li>{@code POST /v1/sessions/{id}/cloning/in} {@code {bundle}}: stores a clone made for this
 *       cluster.
 * </ul>
 *
 * A target of another cloning domain is refused before anything is encrypted, with the rule named;
 * the HSM's cloning policies are checked on both sides.
 */
final class CloningEndpoints {
  private static final Logger LOG = LoggerFactory.getLogger(CloningEndpoints.class);

  private final Appliance appliance;

  CloningEndpoints(Appliance appliance) {
    this.appliance = appliance;
  }

  /** Serves {@code what} ("" for the offer, "objects", "out" or "in") on session {@code s}. */
  void handle(JsonExchange x, CryptoSessions.Entry s, String what) {
    KeyringSession k = s.requireLogin();
    switch (what) {
      case "":
        CryptoApi.requireMethod(x, "GET");
        x.noBody();
        x.ok(offer(k));
        return;
      case "objects":
        CryptoApi.requireMethod(x, "GET");
        x.noBody();
        List<CloningMessages.ClonableObject> out = new ArrayList<>();
        for (ObjectRecord r : k.findObjects(dev.keyring.protocol.Attributes.empty())) {
          out.add(
              new CloningMessages.ClonableObject(
                  r.handle(),
                  r.objectId(),
                  r.objectClass().name(),
                  r.attributes().label().orElse("")));
        }
        x.ok(new CloningMessages.ClonableObjects(out));
        return;
      case "out":
        {
          CryptoApi.requireMethod(x, "POST");
          CloningMessages.CloneOut req = x.read(CloningMessages.CloneOut.class);
          x.ok(new CloningMessages.ObjectCloneBundle(cloneOut(k, req)));
          return;
        }
      case "in":
        {
          CryptoApi.requireMethod(x, "POST");
          CloningMessages.ObjectCloneBundle req = x.read(CloningMessages.ObjectCloneBundle.class);
          if (req.bundle() == null) {
            throw new HsmException(ResultCode.CKR_ARGUMENTS_BAD, "bundle is required");
          }
          Hsm hsm = appliance.hsm();
          ObjectRecord r =
              k.cloneIn(
                  req.bundle(),
                  hsm.cloningDomainFingerprint(),
                  c -> CloningRules.requireAllowed(hsm, c, "into"));
          LOG.info(
              "object {} ({}) cloned into keyring {}", r.objectId(), r.objectClass(), k.label());
          x.ok(WireMapping.object(r));
          return;
        }
      default:
        throw CryptoApi.notFound(x);
    }
  }

  private CloningMessages.CloningOffer offer(KeyringSession k) {
    Hsm hsm = appliance.hsm();
    return new CloningMessages.CloningOffer(
        KeyringSerial.of(k.keyringId()),
        k.keyringId(),
        appliance.cluster().map(c -> c.id()).orElse(null),
        hsm.cloningDomainFingerprint(),
        k.cloningPublicKey(),
        CloningRules.hsmPolicies(hsm),
        CloningRules.partitionPolicies(hsm));
  }

  private byte[] cloneOut(KeyringSession k, CloningMessages.CloneOut req) {
    if (req.offer() == null || req.offer().cloningKey() == null) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "offer.cloningKey is required: ask the target for it");
    }
    if (req.handle() <= 0) {
      throw new HsmException(
          ResultCode.CKR_OBJECT_HANDLE_INVALID, "handle must be a positive integer");
    }
    Hsm hsm = appliance.hsm();
    String domain = hsm.cloningDomainFingerprint();
    if (!domain.equals(req.offer().cloningDomain())) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_REJECTED,
          "the target's cloning domain differs from this partition's: objects are cloned only"
              + " between partitions of one cloning domain");
    }
    ObjectClass c =
        appliance
            .store()
            .object(k.keyringId(), req.handle())
            .map(r -> r.objectClass())
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_OBJECT_HANDLE_INVALID,
                        "the session's keyring has no object with handle " + req.handle()));
    CloningRules.requireAllowed(hsm, c, "out of");
    return k.cloneOut(req.handle(), req.offer().cloningKey(), domain);
  }
}
