package dev.keyring.protocol.wire;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;

/**
 * The body of every error answer: {@code {"error": {"code": "CKR_PIN_INCORRECT", "value": 160,
 * "message": "..."}}}.
 */
public record ErrorResponse(Error error) {
  /** The code, its PKCS#11 value, and a message saying what to do. */
  public record Error(String code, long value, String message) {}

  public static ErrorResponse of(ResultCode code, String message) {
    return new ErrorResponse(new Error(code.name(), code.value(), message));
  }

  public static ErrorResponse of(HsmException e) {
    return of(e.code(), e.detail());
  }

  /** The exception this answer stands for (unknown codes become CKR_GENERAL_ERROR). */
  public HsmException toException() {
    ResultCode c;
    try {
      c = ResultCode.valueOf(error.code());
    } catch (IllegalArgumentException | NullPointerException e) {
      c = ResultCode.fromValue(error.value());
    }
    return new HsmException(c, error.message() == null ? "" : error.message());
  }

  /** The HTTP status an answer with this code gets. */
  public static int httpStatus(ResultCode code) {
    switch (code) {
      case CKR_PIN_INCORRECT:
      case CKR_USER_NOT_LOGGED_IN:
        return 401;
      case CKR_PIN_LOCKED:
      case CKR_PIN_EXPIRED:
      case CKR_USER_PIN_NOT_INITIALIZED:
      case CKR_USER_TYPE_INVALID:
      case CKR_KEY_FUNCTION_NOT_PERMITTED:
      case CKR_KEY_UNEXTRACTABLE:
      case CKR_FUNCTION_REJECTED:
        return 403;
      case CKR_SLOT_ID_INVALID:
      case CKR_OBJECT_HANDLE_INVALID:
      case CKR_KEY_HANDLE_INVALID:
      case CKR_SESSION_HANDLE_INVALID:
      case CKR_SESSION_CLOSED:
      case CKR_WRAPPING_KEY_HANDLE_INVALID:
      case CKR_UNWRAPPING_KEY_HANDLE_INVALID:
        return 404;
      case CKR_DEVICE_MEMORY:
      case CKR_USER_ALREADY_LOGGED_IN:
      case CKR_OPERATION_ACTIVE:
      case CKR_TOKEN_WRITE_PROTECTED:
      case CKR_SESSION_READ_ONLY:
        return 409;
      case CKR_SIGNATURE_INVALID:
      case CKR_SIGNATURE_LEN_RANGE:
      case CKR_ENCRYPTED_DATA_INVALID:
      case CKR_ENCRYPTED_DATA_LEN_RANGE:
      case CKR_WRAPPED_KEY_INVALID:
        return 422;
      case CKR_DEVICE_ERROR:
      case CKR_DEVICE_REMOVED:
      case CKR_GENERAL_ERROR:
      case CKR_MEMBER_BEHIND:
        return 503;
      default:
        return 400;
    }
  }
}
