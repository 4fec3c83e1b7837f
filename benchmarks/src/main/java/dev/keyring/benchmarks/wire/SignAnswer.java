package dev.keyring.benchmarks.wire;

import java.util.Arrays;

/**
 * The fields of a sign answer as every encoding of {@link WireEncodingBenchmark} carries them: the
 * request id it answers, the opcode, the result code (0: done) and the signature.
 *
 * @param id the id of the request answered
 * @param opcode the request's opcode ({@code 0x10}, SIGN)
 * @param code the PKCS#11 result code, 0 when the request was done
 * @param signature the signature (a 72-byte DER ECDSA signature in the benchmark)
 */
public record SignAnswer(int id, int opcode, long code, byte[] signature) {

  @Override
  public boolean equals(Object o) {
    return o instanceof SignAnswer a
        && id == a.id
        && opcode == a.opcode
        && code == a.code
        && Arrays.equals(signature, a.signature);
  }

  @Override
  public int hashCode() {
    return (id * 31 + opcode) * 31 + Long.hashCode(code) + Arrays.hashCode(signature);
  }

  @Override
  public String toString() {
    return "SignAnswer[id="
        + id
        + ", opcode=0x"
        + Integer.toHexString(opcode)
        + ", code="
        + code
        + ", signature="
        + signature.length
        + " bytes]";
  }
}
