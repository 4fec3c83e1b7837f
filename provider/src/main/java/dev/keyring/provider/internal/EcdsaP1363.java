package dev.keyring.provider.internal;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.SignatureException;
import java.util.Arrays;

/**
 * ECDSA signatures in the two encodings the JCA names: ASN.1 DER ({@code SEQUENCE {INTEGER r,
 * INTEGER s}}, what the member answers and the {@code ...withECDSA} names use) and IEEE P1363
 * ({@code r || s}, each unsigned big-endian and padded to the byte length of the curve's order: the
 * {@code ...withECDSAinP1363Format} names, JWS and PKCS#11's CKM_ECDSA).
 */
final class EcdsaP1363 {
  private static final int SEQUENCE = 0x30;
  private static final int INTEGER = 0x02;

  private EcdsaP1363() {}

  /** {@code r || s} of {@code 2 * n} bytes from a DER signature. */
  static byte[] fromDer(byte[] der, int n) throws SignatureException {
    int[] pos = {0};
    if (der.length < 2 || (der[0] & 0xff) != SEQUENCE) {
      throw new SignatureException("the ECDSA signature is not a DER SEQUENCE");
    }
    pos[0] = 1;
    int seqLen = length(der, pos);
    if (pos[0] + seqLen != der.length) {
      throw new SignatureException("the ECDSA signature's DER SEQUENCE has a wrong length");
    }
    BigInteger r = integer(der, pos);
    BigInteger s = integer(der, pos);
    if (pos[0] != der.length) {
      throw new SignatureException("the ECDSA signature has bytes after s");
    }
    byte[] out = new byte[2 * n];
    put(r, out, 0, n);
    put(s, out, n, n);
    return out;
  }

  /**
   * The DER signature of a P1363 {@code r || s}; a signature that is not {@code 2 * n} bytes is not
   * one of this curve's and is refused.
   */
  static byte[] toDer(byte[] p1363, int n) throws SignatureException {
    if (p1363.length != 2 * n) {
      throw new SignatureException(
          "an ECDSA signature in P1363 format is "
              + 2 * n
              + " bytes (r || s) for this curve, got "
              + p1363.length);
    }
    byte[] r = new BigInteger(1, Arrays.copyOfRange(p1363, 0, n)).toByteArray();
    byte[] s = new BigInteger(1, Arrays.copyOfRange(p1363, n, 2 * n)).toByteArray();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    writeTlv(body, INTEGER, r);
    writeTlv(body, INTEGER, s);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeTlv(out, SEQUENCE, body.toByteArray());
    return out.toByteArray();
  }

  private static BigInteger integer(byte[] der, int[] pos) throws SignatureException {
    if (pos[0] >= der.length || (der[pos[0]] & 0xff) != INTEGER) {
      throw new SignatureException("the ECDSA signature's DER SEQUENCE does not hold two INTEGERs");
    }
    pos[0]++;
    int len = length(der, pos);
    if (len == 0 || pos[0] + len > der.length) {
      throw new SignatureException("an INTEGER of the ECDSA signature has a wrong length");
    }
    BigInteger v = new BigInteger(Arrays.copyOfRange(der, pos[0], pos[0] + len));
    pos[0] += len;
    if (v.signum() < 0) {
      throw new SignatureException("an INTEGER of the ECDSA signature is negative");
    }
    return v;
  }

  private static int length(byte[] der, int[] pos) throws SignatureException {
    if (pos[0] >= der.length) {
      throw new SignatureException("the ECDSA signature ends inside a DER length");
    }
    int first = der[pos[0]++] & 0xff;
    if (first < 0x80) {
      return first;
    }
    int count = first & 0x7f;
    if (count == 0 || count > 2 || pos[0] + count > der.length) {
      throw new SignatureException("the ECDSA signature has an unusable DER length");
    }
    int len = 0;
    for (int i = 0; i < count; i++) {
      len = (len << 8) | (der[pos[0]++] & 0xff);
    }
    return len;
  }

  private static void put(BigInteger v, byte[] out, int off, int n) throws SignatureException {
    byte[] b = v.toByteArray();
    int start = b.length > 1 && b[0] == 0 ? 1 : 0;
    int len = b.length - start;
    if (len > n) {
      throw new SignatureException(
          "a value of the ECDSA signature is longer than the curve's order (" + n + " bytes)");
    }
    System.arraycopy(b, start, out, off + n - len, len);
  }

  private static void writeTlv(ByteArrayOutputStream out, int tag, byte[] value) {
    out.write(tag);
    int len = value.length;
    if (len < 0x80) {
      out.write(len);
    } else if (len < 0x100) {
      out.write(0x81);
      out.write(len);
    } else {
      out.write(0x82);
      out.write(len >> 8);
      out.write(len & 0xff);
    }
    out.write(value, 0, len);
  }
}
