package dev.keyring.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SystemPropertiesTest {
  private static final String NAME = "keyring.test.system-properties";

  @AfterEach
  void clear() {
    System.clearProperty(NAME);
  }

  @Test
  void flag_isTheDefaultWhenUnsetOrBlank_trueOrFalseInAnyCase_elseRefusedByName() {
    assertTrue(SystemProperties.flag(NAME, true));
    System.setProperty(NAME, "  ");
    assertFalse(SystemProperties.flag(NAME, false));
    System.setProperty(NAME, " FALSE ");
    assertFalse(SystemProperties.flag(NAME, true));
    System.setProperty(NAME, "True");
    assertTrue(SystemProperties.flag(NAME, false));
    System.setProperty(NAME, "yes");
    assertEquals(
        "system property keyring.test.system-properties must be true or false, got 'yes'",
        assertThrows(IllegalArgumentException.class, () -> SystemProperties.flag(NAME, true))
            .getMessage());
  }

  @Test
  void wholeNumber_isTheDefaultWhenUnset_0toMax_elseRefusedByNameRuleAndValue() {
    assertEquals(50, SystemProperties.wholeNumber(NAME, 50, 1000, "microseconds"));
    System.setProperty(NAME, " 0 ");
    assertEquals(0, SystemProperties.wholeNumber(NAME, 50, 1000, "microseconds"));
    System.setProperty(NAME, "1000");
    assertEquals(1000, SystemProperties.wholeNumber(NAME, 50, 1000, "microseconds"));
    for (String bad : new String[] {"1001", "-1", "1e3", "50us"}) {
      System.setProperty(NAME, bad);
      assertEquals(
          "system property keyring.test.system-properties must be a whole number of microseconds"
              + " from 0 to 1000, got '"
              + bad
              + "'",
          assertThrows(
                  IllegalArgumentException.class,
                  () -> SystemProperties.wholeNumber(NAME, 50, 1000, "microseconds"))
              .getMessage());
    }
  }

  @Test
  void wholeNumber_withALowerBound_refusesWhatIsBelowIt_byNameRuleAndValue() {
    assertEquals(2, SystemProperties.wholeNumber(NAME, 2, 1, 16, "connections"));
    System.setProperty(NAME, "1");
    assertEquals(1, SystemProperties.wholeNumber(NAME, 2, 1, 16, "connections"));
    System.setProperty(NAME, " 16");
    assertEquals(16, SystemProperties.wholeNumber(NAME, 2, 1, 16, "connections"));
    for (String bad : new String[] {"0", "17", "-3", "two"}) {
      System.setProperty(NAME, bad);
      assertEquals(
          "system property keyring.test.system-properties must be a whole number of connections"
              + " from 1 to 16, got '"
              + bad
              + "'",
          assertThrows(
                  IllegalArgumentException.class,
                  () -> SystemProperties.wholeNumber(NAME, 2, 1, 16, "connections"))
              .getMessage());
    }
  }
}
