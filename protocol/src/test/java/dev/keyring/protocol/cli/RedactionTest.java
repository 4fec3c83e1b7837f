package dev.keyring.protocol.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RedactionTest {
  private static String[] line(String... args) {
    return args;
  }

  @Test
  void redact_hidesTheValueAfterAPasswordOption() {
    String[] args = line("role", "login", "-password", "s3cret-pass", "-slot", "a");
    assertEquals(
        "bad value for -password: ****",
        Redaction.redact("bad value for -password: s3cret-pass", args));
  }

  @Test
  void redact_hidesTheValueOfAnOptionWrittenWithEquals() {
    String[] args = line("--sopassword=Top-Secret-1", "-slot", "a");
    assertEquals("got ****", Redaction.redact("got Top-Secret-1", args));
  }

  @Test
  void redact_treatsOptionsEndingInPwAsPasswords_inAnyCase() {
    String[] args = line("-NEWPW", "n3w-pw-value", "-OldPassword", "old-value-9");
    assertEquals("**** and ****", Redaction.redact("n3w-pw-value and old-value-9", args));
  }

  @Test
  void redact_leavesPasswordFileOptionsAlone_theirValueIsAPath() {
    String[] args = line("--password-file", "/etc/keyring/admin.pw");
    assertEquals(
        "cannot read /etc/keyring/admin.pw",
        Redaction.redact("cannot read /etc/keyring/admin.pw", args));
  }

  @Test
  void redact_replacesEveryOccurrence_andLeavesOtherArgumentsShown() {
    String[] args = line("-label", "signer", "-password", "abc-123-x");
    assertEquals("signer: **** (****)", Redaction.redact("signer: abc-123-x (abc-123-x)", args));
  }

  @Test
  void redact_ignoresAPasswordOptionWithNoValue_andAnEmptyValue() {
    assertEquals("as is", Redaction.redact("as is", line("-slot", "a", "-password")));
    assertEquals("as is", Redaction.redact("as is", line("-password=", "-slot", "as")));
  }

  @Test
  void unmatched_namesUnknownOptions_withoutTheirValues() {
    String[] args = line("role", "login", "-pasword=hunter2-x", "-colour", "-slot", "a");
    String m = Redaction.unmatched(List.of("-pasword=hunter2-x", "-colour"), args);
    assertEquals("unknown or unexpected argument(s): '-pasword=...', '-colour'", m);
    assertFalse(m.contains("hunter2"), m);
  }

  @Test
  void unmatched_countsAWordAfterAnOption_butDoesNotShowIt() {
    String[] args = line("role", "login", "-pasword", "hunter2-x", "extra");
    String m = Redaction.unmatched(List.of("-pasword", "hunter2-x", "extra"), args);
    assertFalse(m.contains("hunter2"), m);
    assertTrue(m.contains("'-pasword'"), m);
    assertTrue(m.contains("'extra'"), m);
    assertTrue(m.endsWith("(and 1 value not shown: it may be a password)"), m);
  }

  @Test
  void unmatched_saysHowManyValuesItHid_andShowsADashWhenNothingIsShown() {
    String[] args = line("-a", "one-1", "-b", "two-2");
    String m = Redaction.unmatched(List.of("one-1", "two-2"), args);
    assertEquals(
        "unknown or unexpected argument(s): - (and 2 values not shown: it may be a password)", m);
  }
}
