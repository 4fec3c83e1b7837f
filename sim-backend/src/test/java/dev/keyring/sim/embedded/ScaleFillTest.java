package dev.keyring.sim.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.ApplianceConfig;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ObjectRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scale check of a member's store: a stopped member's keyrings filled with real key pairs
 * ({@link ScaleFill}), then every object counted, every label listed where it belongs, a sample of
 * labels found one by one, and a sample of the keys used to sign (their blobs open under the SMK).
 * By default 80 keyrings of 250 objects (20,000 objects, well under a minute); with {@code
 * -Dkeyring.scale.full=true} the full cluster, 3,500 keyrings of 256 objects (896,000 objects). The
 * timed measurement at both sizes is {@code StoreScaleMain} in benchmarks/.
 */
@Timeout(3_600)
class ScaleFillTest {
  private static final boolean FULL = Boolean.getBoolean("keyring.scale.full");
  private static final int KEYRINGS = FULL ? 3_500 : 80;
  private static final int PAIRS = FULL ? 128 : 125;
  private static final String INITIAL = "scale-initial-1";

  @Test
  void filledStore_holdsEveryObject_everyLabelIsFound_andSampledKeysSign(@TempDir Path dir)
      throws Exception {
    try (EmbeddedCluster c = EmbeddedCluster.builder().dataDir(dir).start()) {
      assertEquals(1, c.members().size()); // provisioned, cluster created; stopped below
    }
    try (Appliance a =
        Appliance.open(
            ApplianceConfig.builder()
                .dataDir(dir.resolve("member0"))
                .kdfIterations(10_000)
                .build())) {
      List<UUID> ids = createKeyrings(a);
      ScaleFill.Result r = ScaleFill.fill(a, ids, PAIRS, 2, null);
      System.out.printf(
          "scale fill: %,d keyrings, %,d objects in %,d ms%n",
          r.keyrings(), r.objects(), r.millis());
      assertEquals(KEYRINGS * 2 * PAIRS, r.objects());
      assertEquals(0, a.boundary().cacheStats().size(), "a bulk fill leaves the key cache empty");

      KeyringStore store = a.store();
      assertEquals(KEYRINGS, store.keyringCount());
      Set<String> labels = new HashSet<>();
      for (int i = 0; i < PAIRS; i++) {
        labels.add(ScaleFill.label(i));
      }
      int objects = 0;
      for (UUID k : ids) {
        assertEquals(2 * PAIRS, store.objectCount(k));
        List<ObjectRecord> all = store.findObjects(k, Attributes.empty());
        objects += all.size();
        Set<String> privateLabels = new HashSet<>();
        Set<String> publicLabels = new HashSet<>();
        for (ObjectRecord o : all) {
          String label = o.attributes().label().orElseThrow();
          (o.objectClass() == ObjectClass.PRIVATE_KEY ? privateLabels : publicLabels).add(label);
        }
        assertEquals(labels, privateLabels, "every label on one private key of " + k);
        assertEquals(labels, publicLabels, "every label on one public key of " + k);
      }
      assertEquals(KEYRINGS * 2 * PAIRS, objects);

      Random random = new Random(7);
      byte[] data = "scale".getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < 200; i++) {
        UUID k = ids.get(random.nextInt(ids.size()));
        String label = ScaleFill.label(random.nextInt(PAIRS));
        List<ObjectRecord> found =
            store.findObjects(
                k, Attributes.builder().objectClass(ObjectClass.PRIVATE_KEY).label(label).build());
        assertEquals(1, found.size(), label + " in " + k);
        if (i % 10 == 0) {
          long key = found.get(0).handle();
          byte[] sig =
              a.boundary().sign(k, key, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, data);
          // the public half (handle before it) verifies the private half's signature
          a.boundary()
              .verify(k, key - 1, Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, data, sig);
        }
      }

      // a full keyring takes no further batch: refused whole
      HsmException full =
          assertThrows(
              HsmException.class,
              () -> ScaleFill.fill(a, List.of(ids.get(0)), 128 - PAIRS + 1, 1, null));
      assertEquals(ResultCode.CKR_DEVICE_MEMORY, full.code());
      assertEquals(2 * PAIRS, store.objectCount(ids.get(0)));
    }
  }

  private static List<UUID> createKeyrings(Appliance a) {
    List<UUID> ids = new ArrayList<>();
    for (int from = 0; from < KEYRINGS; from += 100) {
      int n = Math.min(100, KEYRINGS - from);
      for (KeyringRecord k :
          a.keyrings()
              .createKeyrings(
                  EmbeddedCluster.DEFAULT_CO_PASSWORD, "scale", INITIAL, n, from, null)) {
        ids.add(k.id());
      }
    }
    assertTrue(ids.size() == KEYRINGS);
    return ids;
  }
}
