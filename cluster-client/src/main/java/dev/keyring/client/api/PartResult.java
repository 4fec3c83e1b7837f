package dev.keyring.client.api;

/**
 * What one part of a multi-part operation returned: nothing for a middle part, the signature,
 * ciphertext or plaintext ({@code data}) for the last part of a sign, encrypt or decrypt, and
 * {@code valid} for the last part of a verify.
 */
public record PartResult(byte[] data, boolean valid) {
  /** The answer to a part that is not the last. */
  public static final PartResult NONE = new PartResult(null, false);
}
