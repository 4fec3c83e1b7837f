package dev.keyring.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class KeyringSerialTest {
  @Test
  void serial_isTwelveDigits_andTheSameForTheSameUuid() {
    UUID id = UUID.fromString("0f3c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
    String s = KeyringSerial.of(id);
    assertTrue(KeyringSerial.isSerial(s), s);
    assertEquals(KeyringSerial.DIGITS, s.length());
    assertEquals(s, KeyringSerial.of(UUID.fromString(id.toString())));
  }

  @Test
  void serials_ofManyUuids_areSpread() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String s = KeyringSerial.of(UUID.randomUUID());
      assertTrue(KeyringSerial.isSerial(s), s);
      seen.add(s);
    }
    assertTrue(seen.size() >= 9_999, "serials collide far more than chance: " + seen.size());
  }

  @Test
  void groupNumber_isOneFollowedByThePrimarySerial() {
    assertEquals("1211061551419", KeyringSerial.groupNumber("211061551419"));
    assertThrows(IllegalArgumentException.class, () -> KeyringSerial.groupNumber("12"));
    assertFalse(KeyringSerial.isSerial("011061551419"));
    assertFalse(KeyringSerial.isSerial(null));
  }
}
