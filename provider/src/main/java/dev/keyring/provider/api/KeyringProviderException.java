package dev.keyring.provider.api;

import dev.keyring.protocol.ResultCode;
import java.security.ProviderException;

/**
 * The cluster refused or could not carry out an operation where the JCA method offers no checked
 * exception to report it. {@link #code()} is the PKCS#11-style code of the refusal, or {@code null}
 * when the cluster could not be reached.
 */
public class KeyringProviderException extends ProviderException {
  private static final long serialVersionUID = 1L;

  private final transient ResultCode code;

  public KeyringProviderException(String message, ResultCode code, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** The cluster's result code, or {@code null} for a network failure. */
  public ResultCode code() {
    return code;
  }
}
