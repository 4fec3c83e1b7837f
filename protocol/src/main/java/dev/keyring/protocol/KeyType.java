package dev.keyring.protocol;

/** CKA_KEY_TYPE values a keyring key may have. */
public enum KeyType {
  RSA(0x00),
  EC(0x03),
  GENERIC_SECRET(0x10),
  AES(0x1F),
  EC_EDWARDS(0x40);

  private final long value;

  KeyType(long value) {
    this.value = value;
  }

  public long value() {
    return value;
  }

  public boolean isSecret() {
    return this == AES || this == GENERIC_SECRET;
  }

  public static KeyType fromValue(long value) {
    for (KeyType t : values()) {
      if (t.value == value) {
        return t;
      }
    }
    throw new HsmException(
        ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
        "CKA_KEY_TYPE value " + value + " is not supported");
  }

  /** Parses a key type by name ({@code AES} or {@code CKK_AES}). */
  public static KeyType parse(String name) {
    String n = name.startsWith("CKK_") ? name.substring(4) : name;
    for (KeyType t : values()) {
      if (t.name().equalsIgnoreCase(n)) {
        return t;
      }
    }
    throw new HsmException(
        ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
        "CKA_KEY_TYPE is not one of RSA, EC, EC_EDWARDS, AES, GENERIC_SECRET");
  }
}
