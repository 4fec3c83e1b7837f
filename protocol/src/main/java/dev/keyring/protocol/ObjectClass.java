package dev.keyring.protocol;

/** CKA_CLASS values a keyring object may have. */
public enum ObjectClass {
  DATA(0x0),
  CERTIFICATE(0x1),
  PUBLIC_KEY(0x2),
  PRIVATE_KEY(0x3),
  SECRET_KEY(0x4);

  private final long value;

  ObjectClass(long value) {
    this.value = value;
  }

  public long value() {
    return value;
  }

  /** Whether objects of this class have a part that exists only inside the HSM boundary. */
  public boolean hasSecretPart() {
    return this == PRIVATE_KEY || this == SECRET_KEY;
  }

  public static ObjectClass fromValue(long value) {
    for (ObjectClass c : values()) {
      if (c.value == value) {
        return c;
      }
    }
    throw new HsmException(
        ResultCode.CKR_ATTRIBUTE_VALUE_INVALID, "CKA_CLASS value " + value + " is not supported");
  }

  /** Parses a class by name ({@code PRIVATE_KEY} or {@code CKO_PRIVATE_KEY}). */
  public static ObjectClass parse(String name) {
    String n = name.startsWith("CKO_") ? name.substring(4) : name;
    for (ObjectClass c : values()) {
      if (c.name().equalsIgnoreCase(n)) {
        return c;
      }
    }
    throw new HsmException(
        ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
        "CKA_CLASS is not one of DATA, CERTIFICATE, PUBLIC_KEY, PRIVATE_KEY, SECRET_KEY");
  }
}
