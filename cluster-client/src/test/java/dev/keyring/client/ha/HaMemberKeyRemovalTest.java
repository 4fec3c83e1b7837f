package dev.keyring.client.ha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The HA group member key leaves with its members ({@code deletegroup}, {@code removemember}), on
 * in-memory members: only the group's member key is destroyed, a member that cannot be reached
 * keeps it and is named, a wrong password changes nothing.
 */
class HaMemberKeyRemovalTest {
  private static final String PW = "co-password";

  private final FakeHaMember a = new FakeHaMember("a1", PW);
  private final FakeHaMember b = new FakeHaMember("b1", PW);
  private final String number = "1" + a.serial();
  private final String otherGroup = "1" + b.serial();

  /** Each member: the group's member key, an application key and data object. */
  private void members() {
    for (FakeHaMember m : List.of(a, b)) {
      m.put(UUID.randomUUID(), ObjectClass.DATA, HaMemberKey.template(number, "pay"));
      m.put(UUID.randomUUID(), ObjectClass.PRIVATE_KEY, FakeHaMember.labelled("tls"));
      m.put(UUID.randomUUID(), ObjectClass.DATA, FakeHaMember.labelled("app-data"));
    }
    // not member keys of this group: another group's, and a key that only bears the label
    a.put(UUID.randomUUID(), ObjectClass.DATA, HaMemberKey.template(otherGroup, "web"));
    a.put(
        UUID.randomUUID(),
        ObjectClass.SECRET_KEY,
        Attributes.builder().label(HaMemberKey.LABEL_PREFIX + number).build());
  }

  private static long memberKeys(FakeHaMember m, String groupNumber) {
    return m.objectsById().values().stream()
        .filter(o -> o.label().orElse("").equals(HaMemberKey.LABEL_PREFIX + groupNumber))
        .count();
  }

  private List<HaMemberKeyRemoval.Outcome> remove(List<String> serials, String password) {
    return HaMemberKeyRemoval.remove(
        FakeHaMember.clusters(List.of(a, b)), number, serials, password);
  }

  @Test
  void everyMember_losesTheGroupsMemberKey_only() {
    members();
    Map<UUID, Attributes> aBefore = a.objectsById();
    List<HaMemberKeyRemoval.Outcome> done = remove(List.of(a.serial(), b.serial()), PW);
    assertEquals(2, done.size(), done.toString());
    for (HaMemberKeyRemoval.Outcome o : done) {
      assertTrue(o.done(), o.toString());
      assertEquals(1, o.removed(), o.toString());
      assertNull(o.failure());
    }
    assertEquals("a1", done.get(0).label());
    assertEquals(aBefore.size() - 1, a.objectsById().size(), "one object left a1");
    assertEquals(1, memberKeys(a, number), "the secret key bearing the label stays on a1");
    assertEquals(1, memberKeys(a, otherGroup), "another group's member key stays");
    assertEquals(0, memberKeys(b, number));
    assertEquals(2, b.objectsById().size(), "b1's application objects stay");
  }

  @Test
  void removeAgain_findsNoMemberKey_andSaysSo() {
    members();
    remove(List.of(b.serial()), PW);
    List<HaMemberKeyRemoval.Outcome> again = remove(List.of(b.serial()), PW);
    assertTrue(again.get(0).done());
    assertEquals(0, again.get(0).removed());
  }

  @Test
  void aMemberThatCannotBeReached_keepsItsMemberKey_andIsNamed_theOthersAreDone() {
    members();
    b.down = true;
    List<HaMemberKeyRemoval.Outcome> r = remove(List.of(a.serial(), b.serial()), PW);
    assertTrue(r.get(0).done(), r.toString());
    assertEquals(
        1, memberKeys(a, number), "a1's member key removed: the key bearing its label is left");
    HaMemberKeyRemoval.Outcome kept = r.get(1);
    assertFalse(kept.done(), kept.toString());
    assertEquals(b.serial(), kept.serial());
    assertTrue(kept.failure().contains("cannot be reached"), kept.failure());
    b.down = false;
    assertEquals(1, memberKeys(b, number), "b1 keeps it");
  }

  @Test
  void aMemberOnNoRegisteredCluster_isNamed() {
    members();
    List<HaMemberKeyRemoval.Outcome> r = remove(List.of("999999999999", a.serial()), PW);
    assertFalse(r.get(0).done());
    assertTrue(r.get(0).failure().contains("no registered cluster"), r.get(0).failure());
    assertTrue(r.get(1).done(), "the next member is still done");
    assertEquals(1, r.get(1).removed());
  }

  @Test
  void aWrongPassword_removesNothing() {
    members();
    Map<UUID, Attributes> aBefore = a.objectsById();
    HsmException e =
        assertThrows(HsmException.class, () -> remove(List.of(a.serial(), b.serial()), "wrong"));
    assertEquals(ResultCode.CKR_PIN_INCORRECT, e.code());
    assertEquals(aBefore.keySet(), a.objectsById().keySet());
    assertEquals(1, memberKeys(b, number));
  }

  @Test
  void withoutAGroupNumber_everyMemberKeyOnTheSlotGoes_andNothingElse() {
    members();
    List<HaMemberKeyRemoval.Outcome> r =
        HaMemberKeyRemoval.remove(
            FakeHaMember.clusters(List.of(a, b)), null, List.of(a.serial()), PW);
    assertEquals(2, r.get(0).removed(), r.toString());
    assertEquals(0, memberKeys(a, otherGroup));
    assertEquals(1, memberKeys(a, number), "the secret key bearing the label stays");
    assertEquals(3, a.objectsById().size());
  }
}
