package dev.keyring.protocol;

/** The two roles of a keyring. They share one password: changing it for one changes it for both. */
public enum Role {
  /** Keyring Security Officer (the PO of a keyring slot); holds the initial password. */
  KRSO,
  /** Keyring Crypto Officer (the CO of a keyring slot); performs cryptographic operations. */
  KRCO;

  /**
   * Accepts the names an HSM user types: {@code krso}/{@code po}/{@code so} and {@code krco}/{@code
   * co}.
   */
  public static Role parse(String name) {
    switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "krso":
      case "po":
      case "so":
        return KRSO;
      case "krco":
      case "co":
      case "user":
        return KRCO;
      default:
        throw new HsmException(
            ResultCode.CKR_USER_TYPE_INVALID,
            "role is not a keyring role; use po (KRSO) or co (KRCO)");
    }
  }
}
