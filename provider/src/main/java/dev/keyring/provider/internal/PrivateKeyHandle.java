package dev.keyring.provider.internal;

import dev.keyring.protocol.Curve;
import dev.keyring.provider.api.KeyringPrivateKey;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;

/** The private half of a key pair on a keyring. */
abstract class PrivateKeyHandle extends KeyHandle implements KeyringPrivateKey {
  private static final long serialVersionUID = 1L;

  private final transient PublicKey publicKey;

  PrivateKeyHandle(
      SlotSession slot, long handle, String algorithm, int bits, String label, PublicKey pub) {
    super(slot, handle, algorithm, bits, label);
    this.publicKey = pub;
  }

  @Override
  public PublicKey publicKey() {
    return publicKey;
  }

  @Override
  String kind() {
    return "private key";
  }

  /** An RSA private key: the modulus is public, so {@link RSAKey} is offered (JSSE needs it). */
  static final class Rsa extends PrivateKeyHandle implements RSAKey {
    private static final long serialVersionUID = 1L;

    Rsa(SlotSession slot, long handle, String label, RSAPublicKey pub) {
      super(slot, handle, "RSA", pub.getModulus().bitLength(), label, pub);
    }

    @Override
    public BigInteger getModulus() {
      return ((RSAPublicKey) publicKey()).getModulus();
    }
  }

  /** An EC private key on a NIST curve; its domain parameters are public. */
  static final class Ec extends PrivateKeyHandle implements ECKey {
    private static final long serialVersionUID = 1L;
    private final transient Curve curve;

    Ec(SlotSession slot, long handle, String label, ECPublicKey pub, Curve curve) {
      super(slot, handle, "EC", pub.getParams().getCurve().getField().getFieldSize(), label, pub);
      this.curve = curve;
    }

    Curve curve() {
      return curve;
    }

    @Override
    public ECParameterSpec getParams() {
      return ((ECPublicKey) publicKey()).getParams();
    }
  }

  /** An Ed25519 private key. */
  static final class Ed25519 extends PrivateKeyHandle {
    private static final long serialVersionUID = 1L;

    Ed25519(SlotSession slot, long handle, String label, PublicKey pub) {
      super(slot, handle, "Ed25519", 255, label, pub);
    }
  }
}
