package dev.keyring.sim.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Verifiers, and the decoy that the checks of unknown names run against. */
class PasswordHasherTest {
  private final PasswordHasher hasher = new PasswordHasher(PasswordHasher.MIN_ITERATIONS);

  @Test
  void aVerifierMatchesItsPasswordOnly() {
    String v = hasher.hash("right password");
    assertTrue(PasswordHasher.wellFormed(v), v);
    assertTrue(hasher.verify("right password", v));
    assertFalse(hasher.verify("wrong password", v));
  }

  @Test
  void aDecoy_isAWellFormedVerifierOfTheSameCost_thatNoPasswordMatches() {
    String decoy = hasher.decoy();
    assertTrue(PasswordHasher.wellFormed(decoy), decoy);
    String real = hasher.hash("x");
    // the same cost: the same scheme and iteration count, and salt and hash of the same lengths
    String[] d = decoy.split("\\$");
    String[] r = real.split("\\$");
    assertEquals(r[0], d[0]);
    assertEquals(r[1], d[1]);
    assertEquals(r[2].length(), d[2].length());
    assertEquals(r[3].length(), d[3].length());
    for (String password : new String[] {"x", "", "keyring", "right password"}) {
      assertFalse(hasher.verify(password, decoy), password);
    }
    assertNotEquals(decoy, hasher.decoy(), "each decoy has its own salt and hash");
  }
}
