package dev.keyring.benchmarks.wire;

import java.util.Arrays;

/**
 * The fields of a sign request as every encoding of {@link WireEncodingBenchmark} carries them: the
 * request id, the opcode, the crypto session, the key handle, the PKCS#11 mechanism value and the
 * data to sign (a 32-byte SHA-256 digest in the benchmark).
 *
 * @param id the request id
 * @param opcode the channel opcode ({@code 0x10}, SIGN)
 * @param session the session id (ASCII)
 * @param key the key handle
 * @param mechanism the PKCS#11 mechanism value ({@code CKM_ECDSA_SHA256}, 0x1044)
 * @param data the bytes to sign
 */
public record SignRequest(
    int id, int opcode, String session, long key, int mechanism, byte[] data) {

  @Override
  public boolean equals(Object o) {
    return o instanceof SignRequest r
        && id == r.id
        && opcode == r.opcode
        && session.equals(r.session)
        && key == r.key
        && mechanism == r.mechanism
        && Arrays.equals(data, r.data);
  }

  @Override
  public int hashCode() {
    return ((id * 31 + opcode) * 31 + session.hashCode()) * 31
        + Long.hashCode(key)
        + 7 * mechanism
        + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "SignRequest[id="
        + id
        + ", opcode=0x"
        + Integer.toHexString(opcode)
        + ", session="
        + session
        + ", key="
        + key
        + ", mechanism=0x"
        + Integer.toHexString(mechanism)
        + ", data="
        + data.length
        + " bytes]";
  }
}
