package dev.keyring.protocol;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A refusal or failure from a keyring, an HSM or the cluster, with the PKCS#11-style code that
 * names it. The message says what was wrong and, where possible, what to do about it; it never
 * carries key material.
 */
public class HsmException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A Java exception's class name as a library's message quotes it ("java.io.IOException: "). */
  private static final Pattern EXCEPTION_NAME =
      Pattern.compile("\\b(?:[a-z_][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error)\\b:?\\s*");

  /** Any other name of a Java library's class or method ("java.math.BigInteger.signum()"). */
  private static final Pattern LIBRARY_NAME =
      Pattern.compile(
          "\\b(?:java|javax|jdk|sun|com\\.sun|org\\.bouncycastle|com\\.amazon|com\\.fasterxml"
              + "|org\\.eclipse)(?:\\.[\\w$]+)+(?:\\(\\))?");

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

  /**
   * The bare message, without the code: what a client is told. The Java class names a library's
   * message may carry (an engine's reason quoted in it) are left out; {@link #getMessage()}, for
   * the log, keeps them.
   */
  public String detail() {
    String m = super.getMessage();
    if (m == null || m.indexOf('.') < 0) {
      return m;
    }
    return LIBRARY_NAME.matcher(EXCEPTION_NAME.matcher(m).replaceAll("")).replaceAll("(a library)");
  }

  @Override
  public String getMessage() {
    return code.name() + ": " + super.getMessage();
  }
}
