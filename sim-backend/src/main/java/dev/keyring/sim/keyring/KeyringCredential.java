package dev.keyring.sim.keyring;

import dev.keyring.protocol.KeyringLimits;
import dev.keyring.sim.hsm.PasswordHasher;
import dev.keyring.sim.hsm.Passwords;

/**
 * The stored credential of a keyring's shared password: the KDF verifier plus the lockout class the
 * password's length puts the keyring in ({@code short:} passwords of at most 16 characters lock
 * after 10 failed logins; {@code long:} passwords of 17 or more never do).
 */
final class KeyringCredential {
  private static final String SHORT = "short:";
  private static final String LONG = "long:";

  private KeyringCredential() {}

  static String create(PasswordHasher hasher, String password) {
    boolean exempt = Passwords.length(password) > KeyringLimits.LOCKOUT_MAX_PASSWORD_LENGTH;
    return (exempt ? LONG : SHORT) + hasher.hash(password);
  }

  static boolean verify(PasswordHasher hasher, String password, String credential) {
    return hasher.verify(password, verifierOf(credential));
  }

  /** Whether failed logins count against a keyring with this credential. */
  static boolean subjectToLockout(String credential) {
    return !credential.startsWith(LONG);
  }

  private static String verifierOf(String credential) {
    if (credential.startsWith(SHORT)) {
      return credential.substring(SHORT.length());
    } else if (credential.startsWith(LONG)) {
      return credential.substring(LONG.length());
    }
    return credential;
  }
}
