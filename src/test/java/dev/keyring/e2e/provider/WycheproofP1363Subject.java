package dev.keyring.e2e.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.provider.api.ProviderOperation;
import dev.keyring.testing.wycheproof.WycheproofRejection;
import dev.keyring.testing.wycheproof.WycheproofSubject;
import java.io.IOException;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;

/**
 * The Wycheproof ECDSA vectors (DER signatures) run through the provider's {@code
 * ...withECDSAinP1363Format} names: each signature is converted to P1363 ({@code r || s}, each the
 * byte length of the curve's order) before it is verified on the cluster.
 *
 * <ul>
 *   <li>Valid signatures, converted, must verify.
 *   <li>Invalid ones whose r and s fit in the order's length are converted and must be refused (r
 *       or s zero or not below the order, or a wrong value).
 *   <li>Invalid ones whose DER does not give two such integers are passed as they are: as a P1363
 *       signature they have a wrong length (or are meaningless bytes) and must be refused.
 *   <li>Invalid ones whose flaw is in the DER encoding only (BER lengths, padded integers...) while
 *       r and s are a good signature are not covered: P1363 has no such encoding.
 * </ul>
 */
final class WycheproofP1363Subject implements WycheproofSubject {
  private static final HexFormat HEX = HexFormat.of();
  private static final Map<String, String> CURVES =
      Map.of("secp256r1", "P-256", "secp384r1", "P-384", "secp521r1", "P-521");
  private static final Map<String, String> HASHES =
      Map.of("SHA-256", "SHA256", "SHA-384", "SHA384", "SHA-512", "SHA512");

  private final KeyringProvider provider;
  private int converted;
  private int passedAsGiven;

  WycheproofP1363Subject(KeyringProvider provider) {
    this.provider = provider;
  }

  @Override
  public String groupType() {
    return "EcdsaVerify";
  }

  @Override
  public String notCovered(JsonNode group, JsonNode test) {
    String curve = group.path("publicKey").path("curve").asText();
    if (!CURVES.containsKey(curve)) {
      return "curve " + curve + ": the provider verifies ECDSA on P-256, P-384 and P-521";
    }
    if (!HASHES.containsKey(group.path("sha").asText())) {
      return "ECDSA with " + group.path("sha").asText() + " in P1363 format is not offered";
    }
    try {
      BigInteger order = publicKey(group).getParams().getOrder();
      byte[] der = HEX.parseHex(test.path("sig").asText());
      BigInteger[] rs = lenientDer(der);
      if (!"valid".equals(test.path("result").asText())
          && rs != null
          && inRange(rs[0], order)
          && inRange(rs[1], order)
          && !Arrays.equals(strictDer(rs), der)) {
        return "a flaw in the DER encoding only: P1363 (r || s) has no such encoding";
      }
    } catch (Exception e) {
      return null;
    }
    return null;
  }

  @Override
  public Case prepare(JsonNode group, JsonNode test) throws Exception {
    ECPublicKey pub = publicKey(group);
    int n = (pub.getParams().getOrder().bitLength() + 7) / 8;
    byte[] der = HEX.parseHex(test.path("sig").asText());
    BigInteger[] rs = lenientDer(der);
    byte[] sig;
    if (rs != null && fits(rs[0], n) && fits(rs[1], n)) {
      sig = new byte[2 * n];
      put(rs[0], sig, 0, n);
      put(rs[1], sig, n, n);
      converted++;
    } else {
      sig = der;
      passedAsGiven++;
    }
    String algorithm = HASHES.get(group.path("sha").asText()) + "withECDSAinP1363Format";
    byte[] msg = HEX.parseHex(test.path("msg").asText());
    return new Case() {
      @Override
      public void run() throws Exception {
        long before = provider.operationCount(ProviderOperation.VERIFY);
        Signature s = Signature.getInstance(algorithm, provider);
        s.initVerify(pub);
        s.update(msg);
        boolean ok;
        try {
          ok = s.verify(sig);
        } catch (SignatureException e) {
          throw WycheproofRejection.by("verify", WycheproofProviderFamily.unlessUnreachable(e));
        }
        if (!ok) {
          throw new WycheproofRejection("verify() = false");
        }
        if (provider.operationCount(ProviderOperation.VERIFY) <= before) {
          throw new AssertionError("verified without asking the cluster");
        }
      }

      @Override
      public Exception cleanUp() {
        return null;
      }
    };
  }

  @Override
  public String report() {
    return "\n  signatures converted to P1363: "
        + converted
        + ", passed as given (no two integers of the order's length): "
        + passedAsGiven;
  }

  private static ECPublicKey publicKey(JsonNode group) throws Exception {
    PublicKey k =
        KeyFactory.getInstance("EC")
            .generatePublic(
                new X509EncodedKeySpec(HEX.parseHex(group.path("publicKeyDer").asText())));
    return (ECPublicKey) k;
  }

  /** r and s as BouncyCastle reads the DER (it accepts some BER), or null when it cannot. */
  private static BigInteger[] lenientDer(byte[] der) {
    try {
      ASN1Primitive p = ASN1Primitive.fromByteArray(der);
      if (!(p instanceof ASN1Sequence) || ((ASN1Sequence) p).size() != 2) {
        return null;
      }
      ASN1Sequence seq = (ASN1Sequence) p;
      return new BigInteger[] {
        ASN1Integer.getInstance(seq.getObjectAt(0)).getValue(),
        ASN1Integer.getInstance(seq.getObjectAt(1)).getValue()
      };
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static byte[] strictDer(BigInteger[] rs) throws IOException {
    return new DERSequence(new ASN1Integer[] {new ASN1Integer(rs[0]), new ASN1Integer(rs[1])})
        .getEncoded();
  }

  private static boolean inRange(BigInteger v, BigInteger order) {
    return v.signum() > 0 && v.compareTo(order) < 0;
  }

  private static boolean fits(BigInteger v, int n) {
    return v.signum() >= 0 && v.bitLength() <= 8 * n;
  }

  private static void put(BigInteger v, byte[] out, int off, int n) {
    byte[] b = v.toByteArray();
    int start = b.length > n ? b.length - n : 0;
    System.arraycopy(b, start, out, off + n - (b.length - start), b.length - start);
  }
}
