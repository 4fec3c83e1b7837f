package dev.keyring.benchmarks;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.Provider;
import java.security.Security;

/**
 * Amazon Corretto Crypto Provider in process: the engine the member's boundary signs with, so its
 * rows are the ceiling for the {@code keyring} rows (what the member's crypto alone can do on the
 * same cores). Keys come from ACCP's own generators where it has one ({@code KeyPairGenerator} RSA,
 * EC, Ed25519), else from the JDK's ({@code KeyGenerator} AES, HmacSHA256: ACCP has none).
 */
final class AccpRig extends ProviderRig {
  static final String NAME = "accp";

  @Override
  String name() {
    return NAME;
  }

  @Override
  String unsupported(ProviderOp op) {
    AmazonCorrettoCryptoProvider p = AmazonCorrettoCryptoProvider.INSTANCE;
    Throwable broken = p.getLoadingError();
    if (broken != null) {
      return "ACCP did not load on this machine: " + broken;
    }
    if (p.getService(op.engineType(), op.algorithm) == null) {
      return "ACCP " + p.getVersionStr() + " has no " + op.engineType() + " " + op.algorithm;
    }
    return null;
  }

  @Override
  void setUp(ProviderOp op) throws Exception {
    AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
    accp.assertHealthy();
    String generator = op.isSecret() ? "KeyGenerator" : "KeyPairGenerator";
    boolean own = accp.getService(generator, op.keyAlgorithm) != null;
    generateKeys(op, own ? accp : Security.getProvider(op.jdkProvider));
  }

  @Override
  Provider provider(ProviderOp op) {
    return AmazonCorrettoCryptoProvider.INSTANCE;
  }
}
