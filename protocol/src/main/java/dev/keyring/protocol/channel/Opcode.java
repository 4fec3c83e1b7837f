package dev.keyring.protocol.channel;

/**
 * What a frame asks for. The hot operations have a compact binary body of their own; every other
 * call of the crypto API travels as {@link #JSON}: its REST method, path and JSON body, answered
 * with the REST API's JSON answer, so that every operation exists on the channel with the same
 * PKCS#11 result codes. An answer carries the opcode of its request.
 */
public enum Opcode {
  /** No operation: a round trip (heartbeat). Empty body both ways. */
  PING(0x01),
  /** Open a session on a keyring (label, UUID or serial number). */
  OPEN_SESSION(0x02),
  /** Log a session in with a role and the keyring's password. */
  LOGIN(0x03),
  /** Close a session (which logs it out). */
  CLOSE_SESSION(0x04),
  /** Single-part sign. */
  SIGN(0x10),
  /** Single-part verify. */
  VERIFY(0x11),
  /** Single-part encrypt. */
  ENCRYPT(0x12),
  /** Single-part decrypt. */
  DECRYPT(0x13),
  /** Any request of the REST crypto API: method, path, JSON body. */
  JSON(0x20),
  /**
   * A refusal of the connection or of a frame that could not be read: request id 0 when it concerns
   * the connection (a version not spoken, a frame over the limit), which the member then closes.
   */
  ERROR(0x7F);

  private static final Opcode[] BY_CODE = new Opcode[256];

  static {
    for (Opcode o : values()) {
      BY_CODE[o.code] = o;
    }
  }

  private final int code;
  private final String label;

  Opcode(int code) {
    this.code = code;
    this.label = name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
  }

  /** The opcode's name in lower case with spaces ({@code open session}), for messages. */
  public String label() {
    return label;
  }

  /** The byte on the wire. */
  public int code() {
    return code;
  }

  /** The opcode of byte {@code code}, or null for one this version does not know. */
  public static Opcode of(int code) {
    return code < 0 || code > 255 ? null : BY_CODE[code];
  }
}
