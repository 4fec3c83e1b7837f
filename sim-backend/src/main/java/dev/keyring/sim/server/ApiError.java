package dev.keyring.sim.server;

import dev.keyring.protocol.ResultCode;
import java.util.Map;

/**
 * A refusal of the admin API with its HTTP status, its PKCS#11-style code and a message that says
 * what to do; optional extra headers ({@code WWW-Authenticate}, {@code Allow}, {@code
 * Retry-After}). Thrown before anything changed.
 */
final class ApiError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final ResultCode code;
  final transient Map<String, String> headers;

  ApiError(int status, ResultCode code, String message) {
    this(status, code, message, Map.of());
  }

  ApiError(int status, ResultCode code, String message, Map<String, String> headers) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.headers = Map.copyOf(headers);
  }

  static ApiError badRequest(String message) {
    return new ApiError(400, ResultCode.CKR_ARGUMENTS_BAD, message);
  }

  static ApiError notFound(String message) {
    return new ApiError(404, ResultCode.CKR_ARGUMENTS_BAD, message);
  }

  static ApiError conflict(ResultCode code, String message) {
    return new ApiError(409, code, message);
  }
}
