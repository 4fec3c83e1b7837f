package dev.keyring.protocol;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The attributes a keyring object may carry. Any other attribute is refused with {@link
 * ResultCode#CKR_ATTRIBUTE_TYPE_INVALID}.
 */
public enum AttributeType {
  CKA_CLASS(0x000, Kind.OBJECT_CLASS),
  CKA_TOKEN(0x001, Kind.BOOLEAN),
  CKA_LABEL(0x003, Kind.STRING),
  CKA_VALUE(0x011, Kind.BYTES),
  CKA_KEY_TYPE(0x100, Kind.KEY_TYPE),
  CKA_ID(0x102, Kind.BYTES),
  CKA_DECRYPT(0x105, Kind.BOOLEAN),
  CKA_WRAP(0x106, Kind.BOOLEAN),
  CKA_UNWRAP(0x107, Kind.BOOLEAN),
  CKA_SIGN(0x108, Kind.BOOLEAN),
  CKA_MODULUS(0x120, Kind.BYTES),
  CKA_PUBLIC_EXPONENT(0x122, Kind.BYTES),
  CKA_ECDSA_PARAMS(0x180, Kind.BYTES),
  CKA_EC_POINT(0x181, Kind.BYTES);

  /** The Java type of an attribute's value. */
  public enum Kind {
    /** {@link ObjectClass}. */
    OBJECT_CLASS,
    /** {@link KeyType}. */
    KEY_TYPE,
    /** {@link Boolean}. */
    BOOLEAN,
    /** {@link String}, UTF-8 on the wire. */
    STRING,
    /** {@code byte[]}. */
    BYTES
  }

  private final long code;
  private final Kind kind;

  AttributeType(long code, Kind kind) {
    this.code = code;
    this.kind = kind;
  }

  public long code() {
    return code;
  }

  public Kind kind() {
    return kind;
  }

  /** Accepts {@code CKA_LABEL} or {@code LABEL}, in any case. */
  public static AttributeType parse(String name) {
    if (name == null) {
      throw new HsmException(ResultCode.CKR_ATTRIBUTE_TYPE_INVALID, "attribute name is missing");
    }
    String n = name.toUpperCase(Locale.ROOT);
    if (!n.startsWith("CKA_")) {
      n = "CKA_" + n;
    }
    for (AttributeType t : values()) {
      if (t.name().equals(n)) {
        return t;
      }
    }
    throw new HsmException(
        ResultCode.CKR_ATTRIBUTE_TYPE_INVALID,
        "attribute "
            + FieldNames.quoted(name)
            + " may not be set on keyring objects; allowed: "
            + allowedNames());
  }

  public static AttributeType fromCode(long code) {
    for (AttributeType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    throw new HsmException(
        ResultCode.CKR_ATTRIBUTE_TYPE_INVALID,
        String.format(
            Locale.ROOT,
            "attribute 0x%X may not be set on keyring objects; allowed: %s",
            code,
            allowedNames()));
  }

  static String allowedNames() {
    return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
  }
}
