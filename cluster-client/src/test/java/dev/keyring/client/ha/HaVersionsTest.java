package dev.keyring.client.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.config.HaGroupEntry;
import dev.keyring.client.config.HaSettings;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.Role;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** synchronize compares the versions of an object several members hold. */
class HaVersionsTest {
  private static final String PW = "co-password";

  @Test
  void twoVersionsOfOneObjectAreReportedAndNeitherIsOverwritten() throws Exception {
    FakeHaMember a = new FakeHaMember("a1", PW);
    FakeHaMember b = new FakeHaMember("b1", PW);
    UUID same = UUID.randomUUID();
    UUID onlyOnA = UUID.randomUUID();
    UUID equal = UUID.randomUUID();
    a.put(same, ObjectClass.DATA, FakeHaMember.labelled("v1"));
    b.put(same, ObjectClass.DATA, FakeHaMember.labelled("v2"));
    a.put(equal, ObjectClass.DATA, FakeHaMember.labelled("eq"));
    b.put(equal, ObjectClass.DATA, FakeHaMember.labelled("eq"));
    a.put(onlyOnA, ObjectClass.DATA, FakeHaMember.labelled("new"));
    HaGroupEntry entry =
        new HaGroupEntry(0, "pay", "1" + a.serial(), List.of(a.serial(), b.serial()));
    try (HaGroupChannel g =
        new HaGroupChannel(
            entry,
            HaSettings.NONE.withReconnectAttempts(0),
            new HaLocator(FakeHaMember.clusters(List.of(a, b))))) {
      g.connect();
      g.login(Role.KRCO, PW);
      HaSynchronization r = g.synchronize();
      assertEquals(1, r.cloned(), "the object only a1 held was cloned to b1");
      assertEquals(1, r.conflicts().size(), r.toString());
      String line = r.conflicts().get(0);
      assertTrue(line.contains(same.toString()), line);
      assertTrue(line.contains("member " + a.serial() + " and member " + b.serial()), line);
      assertTrue(line.contains("differing: CKA_LABEL"), line);
    }
    assertEquals("v1", a.objectsById().get(same).label().orElseThrow(), "a1 kept its version");
    assertEquals("v2", b.objectsById().get(same).label().orElseThrow(), "b1 kept its version");
    assertTrue(b.objectsById().containsKey(onlyOnA));
  }
}
