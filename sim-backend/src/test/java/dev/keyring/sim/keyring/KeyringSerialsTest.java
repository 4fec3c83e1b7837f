package dev.keyring.sim.keyring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringSerial;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.TestAppliances;
import dev.keyring.store.KeyringRecord;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keyring serial numbers: distinct within the cluster, and a way to name a keyring. */
class KeyringSerialsTest {
  @TempDir Path dir;

  @Test
  void keyringsOfACluster_haveDistinctSerials_andAreFoundBySerial() {
    try (Appliance a = TestAppliances.withCluster(dir)) {
      KeyringService keyrings = a.keyrings();
      List<KeyringRecord> made =
          keyrings.createKeyrings(TestAppliances.CO, "k", "initial-pw1", 100, 0, null);
      Set<String> serials = new HashSet<>();
      for (KeyringRecord k : made) {
        String s = KeyringSerial.of(k.id());
        assertTrue(KeyringSerial.isSerial(s), s);
        serials.add(s);
        assertEquals(k.id(), keyrings.keyring(s).id(), "found by its serial");
      }
      assertEquals(100, serials.size());
      HsmException e = assertThrows(HsmException.class, () -> keyrings.keyring("100000000000"));
      assertEquals(ResultCode.CKR_SLOT_ID_INVALID, e.code());
    }
  }
}
