package dev.keyring.protocol;

import java.util.HashMap;
import java.util.Map;

/**
 * PKCS#11-style result codes. Every error that crosses a module or the wire carries one of these,
 * with the numeric value an HSM user knows from the PKCS#11 headers.
 */
public enum ResultCode {
  CKR_OK(0x000),
  CKR_SLOT_ID_INVALID(0x003),
  CKR_GENERAL_ERROR(0x005),
  CKR_FUNCTION_FAILED(0x006),
  CKR_ARGUMENTS_BAD(0x007),
  CKR_ATTRIBUTE_READ_ONLY(0x010),
  CKR_ATTRIBUTE_SENSITIVE(0x011),
  CKR_ATTRIBUTE_TYPE_INVALID(0x012),
  CKR_ATTRIBUTE_VALUE_INVALID(0x013),
  CKR_DATA_INVALID(0x020),
  CKR_DATA_LEN_RANGE(0x021),
  CKR_DEVICE_ERROR(0x030),
  CKR_DEVICE_MEMORY(0x031),
  CKR_DEVICE_REMOVED(0x032),
  CKR_ENCRYPTED_DATA_INVALID(0x040),
  CKR_ENCRYPTED_DATA_LEN_RANGE(0x041),
  CKR_FUNCTION_NOT_SUPPORTED(0x054),
  CKR_KEY_HANDLE_INVALID(0x060),
  CKR_KEY_SIZE_RANGE(0x062),
  CKR_KEY_TYPE_INCONSISTENT(0x063),
  CKR_KEY_FUNCTION_NOT_PERMITTED(0x068),
  CKR_KEY_UNEXTRACTABLE(0x06A),
  CKR_MECHANISM_INVALID(0x070),
  CKR_MECHANISM_PARAM_INVALID(0x071),
  CKR_OBJECT_HANDLE_INVALID(0x082),
  CKR_OPERATION_ACTIVE(0x090),
  CKR_OPERATION_NOT_INITIALIZED(0x091),
  CKR_PIN_INCORRECT(0x0A0),
  CKR_PIN_INVALID(0x0A1),
  CKR_PIN_LEN_RANGE(0x0A2),
  CKR_PIN_EXPIRED(0x0A3),
  CKR_PIN_LOCKED(0x0A4),
  CKR_SESSION_CLOSED(0x0B0),
  CKR_SESSION_HANDLE_INVALID(0x0B3),
  CKR_SESSION_READ_ONLY(0x0B5),
  CKR_SIGNATURE_INVALID(0x0C0),
  CKR_SIGNATURE_LEN_RANGE(0x0C1),
  CKR_TEMPLATE_INCOMPLETE(0x0D0),
  CKR_TEMPLATE_INCONSISTENT(0x0D1),
  CKR_TOKEN_NOT_PRESENT(0x0E0),
  CKR_TOKEN_WRITE_PROTECTED(0x0E2),
  CKR_UNWRAPPING_KEY_HANDLE_INVALID(0x0F0),
  CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT(0x0F2),
  CKR_USER_ALREADY_LOGGED_IN(0x100),
  CKR_USER_NOT_LOGGED_IN(0x101),
  CKR_USER_PIN_NOT_INITIALIZED(0x102),
  CKR_USER_TYPE_INVALID(0x103),
  CKR_WRAPPED_KEY_INVALID(0x110),
  CKR_WRAPPED_KEY_LEN_RANGE(0x112),
  CKR_WRAPPING_KEY_HANDLE_INVALID(0x113),
  CKR_WRAPPING_KEY_TYPE_INCONSISTENT(0x115),
  CKR_RANDOM_NO_RNG(0x121),
  CKR_BUFFER_TOO_SMALL(0x150),
  CKR_CRYPTOKI_NOT_INITIALIZED(0x190),
  CKR_FUNCTION_REJECTED(0x200),
  /**
   * Vendor-defined: the member cannot answer this request consistently, because it does not yet
   * hold the client's read-your-writes log position (after a bounded wait), or because the request
   * must be decided on the primary and it is not the primary. Nothing was done: the client tries
   * the primary (or another member).
   */
  CKR_MEMBER_BEHIND(0x80000101L),
  /**
   * Vendor-defined: a member of an HA group accepts one access ID per client, and this client
   * already uses it another way (a session directly on the member slot, or the group's virtual
   * slot). Log out of the other slot first.
   */
  CKR_ACCESS_ID_ALREADY_EXISTS(0x80000102L);

  private static final Map<Long, ResultCode> BY_VALUE = new HashMap<>();

  static {
    for (ResultCode c : values()) {
      BY_VALUE.put(c.value, c);
    }
  }

  private final long value;

  ResultCode(long value) {
    this.value = value;
  }

  /** The numeric PKCS#11 value. */
  public long value() {
    return value;
  }

  /** The code with this numeric value, or {@link #CKR_GENERAL_ERROR} for an unknown one. */
  public static ResultCode fromValue(long value) {
    if (value == 0) {
      return CKR_OK; // every answer that succeeded: no boxing, no lookup
    }
    return BY_VALUE.getOrDefault(value, CKR_GENERAL_ERROR);
  }
}
