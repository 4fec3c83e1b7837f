package dev.keyring.protocol;

import java.util.Objects;

/**
 * A refusal or failure from a keyring, an HSM or the cluster, with the PKCS#11-style code that
 * names it. The message says what was wrong and, where possible, what to do about it; it never
 * carries key material.
 */
public class HsmException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ResultCode code;

  public HsmException(ResultCode code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  public HsmException(ResultCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  public ResultCode code() {
    return code;
  }

  /** The bare message, without the code. */
  public String detail() {
    return super.getMessage();
  }

  @Override
  public String getMessage() {
    return code.name() + ": " + super.getMessage();
  }
}
