package dev.keyring.sim.hsm;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;

/** The rules every new password (HSM SO, partition PO and CO, keyring roles) must meet. */
public final class Passwords {
  public static final int MIN_LENGTH = 7;
  public static final int MAX_LENGTH = 255;

  private Passwords() {}

  /** Refuses a new password that is missing or of the wrong length (CKR_PIN_LEN_RANGE). */
  public static String requireValidNew(String password, String role) {
    if (password == null || password.isEmpty()) {
      throw new HsmException(ResultCode.CKR_PIN_LEN_RANGE, role + " password is missing");
    }
    int n = password.codePointCount(0, password.length());
    if (n < MIN_LENGTH || n > MAX_LENGTH) {
      throw new HsmException(
          ResultCode.CKR_PIN_LEN_RANGE,
          role + " password must be " + MIN_LENGTH + " to " + MAX_LENGTH + " characters, got " + n);
    }
    for (int i = 0; i < password.length(); i++) {
      if (Character.isISOControl(password.charAt(i))) {
        throw new HsmException(
            ResultCode.CKR_PIN_INVALID, role + " password may not contain control characters");
      }
    }
    return password;
  }

  /** The length rules count characters (code points), not UTF-16 units. */
  public static int length(String password) {
    return password == null ? 0 : password.codePointCount(0, password.length());
  }
}
