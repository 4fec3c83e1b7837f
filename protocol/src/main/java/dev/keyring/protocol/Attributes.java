package dev.keyring.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable set of keyring object attributes. Values are checked against the attribute's kind
 * when set; byte arrays are copied in and out.
 *
 * <p>{@link #canonicalEncoding()} gives one byte string per set of attributes, whatever order they
 * were set in: it is what an SKS blob binds. {@link #toJsonMap()} and {@link #fromJsonMap(Map)} are
 * the JSON form (byte values as lower-case hex).
 */
public final class Attributes {
  private static final Attributes EMPTY = new Attributes(new EnumMap<>(AttributeType.class));
  private static final HexFormat HEX = HexFormat.of();

  private final EnumMap<AttributeType, Object> values;

  private Attributes(EnumMap<AttributeType, Object> values) {
    this.values = values;
  }

  public static Attributes empty() {
    return EMPTY;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.values.putAll(values);
    return b;
  }

  /** A copy with one attribute set (or replaced). */
  public Attributes with(AttributeType type, Object value) {
    return toBuilder().set(type, value).build();
  }

  /** A copy with every attribute of {@code other} set over these. */
  public Attributes merge(Attributes other) {
    Builder b = toBuilder();
    b.values.putAll(other.values);
    return b.build();
  }

  /** A copy without the given attribute. */
  public Attributes without(AttributeType type) {
    EnumMap<AttributeType, Object> copy = new EnumMap<>(AttributeType.class);
    copy.putAll(values);
    copy.remove(type);
    return new Attributes(copy);
  }

  public boolean has(AttributeType type) {
    return values.containsKey(type);
  }

  public Set<AttributeType> types() {
    return Collections.unmodifiableSet(values.keySet());
  }

  public int size() {
    return values.size();
  }

  public boolean isEmpty() {
    return values.isEmpty();
  }

  /** The raw value (Boolean, String, byte[] copy, ObjectClass or KeyType), if set. */
  public Optional<Object> get(AttributeType type) {
    Object v = values.get(type);
    if (v instanceof byte[]) {
      return Optional.of(((byte[]) v).clone());
    }
    return Optional.ofNullable(v);
  }

  public Optional<ObjectClass> objectClass() {
    return Optional.ofNullable((ObjectClass) values.get(AttributeType.CKA_CLASS));
  }

  public Optional<KeyType> keyType() {
    return Optional.ofNullable((KeyType) values.get(AttributeType.CKA_KEY_TYPE));
  }

  public Optional<String> label() {
    return Optional.ofNullable((String) values.get(AttributeType.CKA_LABEL));
  }

  public Optional<byte[]> bytes(AttributeType type) {
    requireKind(type, AttributeType.Kind.BYTES);
    byte[] v = (byte[]) values.get(type);
    return Optional.ofNullable(v == null ? null : v.clone());
  }

  /** A boolean attribute's value, or {@code defaultValue} when it is not set. */
  public boolean flag(AttributeType type, boolean defaultValue) {
    requireKind(type, AttributeType.Kind.BOOLEAN);
    Boolean v = (Boolean) values.get(type);
    return v == null ? defaultValue : v;
  }

  /** Whether every attribute in {@code template} is set here to an equal value. */
  public boolean matches(Attributes template) {
    for (Map.Entry<AttributeType, Object> e : template.values.entrySet()) {
      Object mine = values.get(e.getKey());
      if (mine == null || !valueEquals(mine, e.getValue())) {
        return false;
      }
    }
    return true;
  }

  /**
   * One byte string for this set: for each attribute in code order, the code (8 bytes), the length
   * of the value (4 bytes) and the value. Booleans are one byte, strings UTF-8, classes and key
   * types their 8-byte PKCS#11 value.
   */
  public byte[] canonicalEncoding() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 32 * values.size());
    for (Map.Entry<AttributeType, Object> e : values.entrySet()) {
      byte[] v = encodeValue(e.getValue());
      writeLong(out, e.getKey().code());
      writeInt(out, v.length);
      out.writeBytes(v);
    }
    return out.toByteArray();
  }

  /** The JSON form: attribute name to boolean, string, or hex string. */
  public Map<String, Object> toJsonMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (Map.Entry<AttributeType, Object> e : values.entrySet()) {
      Object v = e.getValue();
      if (v instanceof byte[]) {
        v = HEX.formatHex((byte[]) v);
      } else if (v instanceof Enum) {
        v = ((Enum<?>) v).name();
      }
      m.put(e.getKey().name(), v);
    }
    return m;
  }

  /**
   * Reads the JSON form. Unknown attributes are refused with CKR_ATTRIBUTE_TYPE_INVALID and values
   * of the wrong type with CKR_ATTRIBUTE_VALUE_INVALID, naming the attribute.
   */
  public static Attributes fromJsonMap(Map<String, ?> json) {
    Builder b = builder();
    for (Map.Entry<String, ?> e : json.entrySet()) {
      AttributeType type = AttributeType.parse(e.getKey());
      Object v = e.getValue();
      try {
        switch (type.kind()) {
          case BYTES:
            b.set(type, HEX.parseHex(asString(type, v)));
            break;
          case OBJECT_CLASS:
            b.set(type, ObjectClass.parse(asString(type, v)));
            break;
          case KEY_TYPE:
            b.set(type, KeyType.parse(asString(type, v)));
            break;
          default:
            b.set(type, v);
        }
      } catch (IllegalArgumentException ex) {
        throw new HsmException(
            ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
            type.name() + " must be a hex string of even length");
      }
    }
    return b.build();
  }

  private static String asString(AttributeType type, Object v) {
    if (!(v instanceof String)) {
      throw invalid(type, v);
    }
    return (String) v;
  }

  private static byte[] encodeValue(Object v) {
    if (v instanceof Boolean) {
      return new byte[] {(byte) (((Boolean) v) ? 1 : 0)};
    } else if (v instanceof String) {
      return ((String) v).getBytes(StandardCharsets.UTF_8);
    } else if (v instanceof byte[]) {
      return (byte[]) v;
    } else if (v instanceof ObjectClass) {
      return longBytes(((ObjectClass) v).value());
    } else {
      return longBytes(((KeyType) v).value());
    }
  }

  private static byte[] longBytes(long x) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8);
    writeLong(out, x);
    return out.toByteArray();
  }

  private static void writeLong(ByteArrayOutputStream out, long x) {
    for (int i = 7; i >= 0; i--) {
      out.write((int) (x >>> (8 * i)));
    }
  }

  private static void writeInt(ByteArrayOutputStream out, int x) {
    for (int i = 3; i >= 0; i--) {
      out.write(x >>> (8 * i));
    }
  }

  private static boolean valueEquals(Object a, Object b) {
    if (a instanceof byte[] && b instanceof byte[]) {
      return Arrays.equals((byte[]) a, (byte[]) b);
    }
    return a.equals(b);
  }

  private static void requireKind(AttributeType type, AttributeType.Kind kind) {
    if (type.kind() != kind) {
      throw new IllegalArgumentException(type + " is of kind " + type.kind() + ", not " + kind);
    }
  }

  private static HsmException invalid(AttributeType type, Object v) {
    return new HsmException(
        ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
        type.name() + " takes " + describe(type.kind()) + ", got " + kindOf(v));
  }

  /** What kind of value {@code v} is, in the words of JSON (never a Java class name). */
  private static String kindOf(Object v) {
    if (v == null) {
      return "null";
    } else if (v instanceof String) {
      return "a string";
    } else if (v instanceof Boolean) {
      return "a boolean";
    } else if (v instanceof Number) {
      return "a number";
    } else if (v instanceof Map) {
      return "an object";
    } else if (v instanceof byte[]) {
      return "a byte string";
    } else if (v instanceof Iterable || v.getClass().isArray()) {
      return "an array";
    }
    return "a value of another kind";
  }

  private static String describe(AttributeType.Kind kind) {
    switch (kind) {
      case BOOLEAN:
        return "a boolean";
      case STRING:
        return "a string";
      case BYTES:
        return "a byte string";
      case OBJECT_CLASS:
        return "an object class";
      default:
        return "a key type";
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Attributes
        && Arrays.equals(canonicalEncoding(), ((Attributes) o).canonicalEncoding());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(canonicalEncoding());
  }

  /** Names and public values; CKA_VALUE is shown only by its length. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<AttributeType, Object> e : values.entrySet()) {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append(e.getKey().name()).append('=');
      Object v = e.getValue();
      if (e.getKey() == AttributeType.CKA_VALUE) {
        sb.append('<').append(((byte[]) v).length).append(" bytes>");
      } else if (v instanceof byte[]) {
        sb.append(HEX.formatHex((byte[]) v));
      } else {
        sb.append(v);
      }
    }
    return sb.append('}').toString();
  }

  /** Collects attributes; {@link #build()} gives the immutable set. */
  public static final class Builder {
    private final EnumMap<AttributeType, Object> values = new EnumMap<>(AttributeType.class);

    private Builder() {}

    /** Sets a value, checking its type against the attribute's kind. */
    public Builder set(AttributeType type, Object value) {
      Objects.requireNonNull(type, "type");
      boolean ok;
      switch (type.kind()) {
        case BOOLEAN:
          ok = value instanceof Boolean;
          break;
        case STRING:
          ok = value instanceof String;
          break;
        case BYTES:
          ok = value instanceof byte[];
          if (ok) {
            value = ((byte[]) value).clone();
          }
          break;
        case OBJECT_CLASS:
          ok = value instanceof ObjectClass;
          break;
        default:
          ok = value instanceof KeyType;
      }
      if (!ok) {
        throw invalid(type, value);
      }
      values.put(type, value);
      return this;
    }

    public Builder objectClass(ObjectClass c) {
      return set(AttributeType.CKA_CLASS, c);
    }

    public Builder keyType(KeyType t) {
      return set(AttributeType.CKA_KEY_TYPE, t);
    }

    public Builder label(String label) {
      return set(AttributeType.CKA_LABEL, label);
    }

    public Builder id(byte[] id) {
      return set(AttributeType.CKA_ID, id);
    }

    public Builder flag(AttributeType type, boolean value) {
      return set(type, value);
    }

    public Attributes build() {
      EnumMap<AttributeType, Object> copy = new EnumMap<>(AttributeType.class);
      copy.putAll(values);
      return new Attributes(copy);
    }
  }
}
