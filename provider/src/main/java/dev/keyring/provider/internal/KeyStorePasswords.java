package dev.keyring.provider.internal;

import java.io.IOException;
import java.security.KeyStoreException;
import java.security.UnrecoverableKeyException;

/**
 * The one password of a Keyring KeyStore: the keyring's KRCO password is the store password and the
 * key password of every entry. The KeyStore cannot change it, for the store or for one entry, so a
 * call that asks for another ({@code store} with a new password, as keytool {@code -storepasswd}
 * makes; {@code setKeyEntry} of an entry's own key with a new key password, as keytool {@code
 * -keypasswd} makes) is refused with the way to change it on the keyring, instead of returning as
 * if it had been changed.
 */
final class KeyStorePasswords {
  private KeyStorePasswords() {}

  /** Whether {@code password} is none (null or empty) or the one {@code slot} logged in with. */
  static boolean noneOrTheKeyrings(SlotSession slot, char[] password) {
    return password == null || password.length == 0 || slot.passwordMatches(password);
  }

  /** {@code store(stream, password)}: a password other than the keyring's is refused. */
  static void checkStore(SlotSession slot, char[] password) throws IOException {
    if (!noneOrTheKeyrings(slot, password)) {
      throw new IOException(
          "the password of a Keyring KeyStore is the KRCO password of "
              + slot
              + ", and store() was given another (keytool -storepasswd): a KeyStore cannot"
              + " change it, so nothing was changed. "
              + howToChange(slot));
    }
  }

  /**
   * {@code setKeyEntry} of the key that {@code alias} already holds, under that alias: another
   * password would be a new key password for that one entry, which a keyring does not have.
   */
  static void checkKeyPassword(SlotSession slot, String alias, char[] password)
      throws KeyStoreException {
    if (!noneOrTheKeyrings(slot, password)) {
      throw new KeyStoreException(
          "the key password of entry '"
              + alias
              + "' is the KRCO password of "
              + slot
              + " (the store password), and another was given (keytool -keypasswd): a keyring"
              + " has no password for one entry, so nothing was changed. "
              + howToChange(slot));
    }
  }

  /** {@code getKey} with a password other than the keyring's. */
  static UnrecoverableKeyException wrongKeyPassword(String alias) {
    return new UnrecoverableKeyException(
        "the key password of a keyring entry is the keyring's KRCO password (the store"
            + " password); '"
            + alias
            + "' was asked for with another");
  }

  private static String howToChange(SlotSession slot) {
    return "To change the keyring's password: keyringcm role changepw -name co -slot "
        + slot.label()
        + "; then give the new one as the store password";
  }
}
