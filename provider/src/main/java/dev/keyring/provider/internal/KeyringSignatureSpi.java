package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringOperation;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Digest;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.provider.api.ProviderOperation;
import java.io.ByteArrayOutputStream;
import java.security.AlgorithmParameters;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.InvalidParameterSpecException;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;

/**
 * Signatures made (and checked) on the cluster. Hash-and-sign ECDSA hashes locally and sends the
 * digest; the other algorithms gather the message and send it whole with the sign request, or in
 * parts of a multi-part operation once it passes {@value #STREAM_THRESHOLD} bytes. Verification
 * with an ordinary public key also runs on the cluster (see {@link TransientPublicKey}).
 *
 * <p>One nested class per algorithm passes the constants.
 */
public abstract class KeyringSignatureSpi extends SignatureSpi {
  /** Messages longer than this go to the member as a multi-part operation. */
  static final int STREAM_THRESHOLD = 1 << 20;

  private final ProviderContext ctx;
  private final String algorithm;
  private final Mechanism fixedMechanism;

  /** ECDSA: the digest computed here (null for NONEwithECDSA and the other algorithms). */
  private final String localDigest;

  /** RSASSA-PSS: the hash the algorithm name fixes, or null for plain RSASSA-PSS. */
  private final Digest pssHash;

  private final boolean pss;
  private final Class<? extends PrivateKeyHandle> keyClass;
  private PSSParameterSpec pssSpec;

  private PrivateKeyHandle signKey;
  private PublicKey verifyKey;
  private Attributes verifyTemplate;
  private MessageDigest md;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private KeyringOperation streaming;

  KeyringSignatureSpi(
      ProviderContext ctx,
      String algorithm,
      Class<? extends PrivateKeyHandle> keyClass,
      Mechanism mechanism,
      String localDigest,
      boolean pss,
      Digest pssHash) {
    this.ctx = ctx;
    this.algorithm = algorithm;
    this.keyClass = keyClass;
    this.fixedMechanism = mechanism;
    this.localDigest = localDigest;
    this.pss = pss;
    this.pssHash = pssHash;
    if (pssHash != null) {
      this.pssSpec =
          new PSSParameterSpec(
              pssHash.jcaName(),
              "MGF1",
              new MGF1ParameterSpec(pssHash.jcaName()),
              pssHash.length(),
              PSSParameterSpec.TRAILER_FIELD_BC);
    }
  }

  // ---- initialisation

  @Override
  protected void engineInitSign(PrivateKey key) throws InvalidKeyException {
    PrivateKeyHandle h =
        KeyHandles.require(key, keyClass, algorithm + " needs a keyring " + keyName());
    checkSignKey(h);
    reset();
    signKey = h;
    verifyKey = null;
  }

  @Override
  protected void engineInitVerify(PublicKey key) throws InvalidKeyException {
    if (key == null) {
      throw new InvalidKeyException("the public key is null");
    }
    String want = keyName();
    // the JDK's Ed25519 public keys report the family name "EdDSA" (the keyring then checks the
    // curve); RSA-PSS keys are RSA keys
    if (!key.getAlgorithm().equals(want)
        && !(want.equals("RSA") && key.getAlgorithm().equals("RSASSA-PSS"))
        && !(want.equals("Ed25519") && key.getAlgorithm().equals("EdDSA"))) {
      throw new InvalidKeyException(
          algorithm + " verifies with an " + want + " public key, got " + key.getAlgorithm());
    }
    verifyTemplate = TransientPublicKey.attributesOf(key);
    reset();
    verifyKey = key;
    signKey = null;
  }

  private String keyName() {
    if (keyClass == PrivateKeyHandle.Rsa.class) {
      return "RSA";
    }
    return keyClass == PrivateKeyHandle.Ec.class ? "EC" : "Ed25519";
  }

  private void reset() throws InvalidKeyException {
    buffer.reset();
    streaming = null;
    if (localDigest != null) {
      try {
        md = MessageDigest.getInstance(localDigest);
      } catch (NoSuchAlgorithmException e) {
        throw new InvalidKeyException("the JDK offers no " + localDigest, e);
      }
    }
  }

  // ---- data

  @Override
  protected void engineUpdate(byte b) throws SignatureException {
    engineUpdate(new byte[] {b}, 0, 1);
  }

  @Override
  protected void engineUpdate(byte[] b, int off, int len) throws SignatureException {
    requireInit();
    if (md != null) {
      md.update(b, off, len);
      return;
    }
    if (streaming != null) {
      feed(b, off, len);
      return;
    }
    checkGathered(buffer.size() + len);
    buffer.write(b, off, len);
    if (buffer.size() > STREAM_THRESHOLD && signKey != null) {
      startStreaming();
    }
  }

  private void startStreaming() throws SignatureException {
    try {
      streaming =
          signKey
              .slot()
              .call(
                  s ->
                      s.startOperation(
                          KeyringOperation.Kind.SIGN,
                          signKey.objectHandle(),
                          mechanism(),
                          params()));
    } catch (TransportException | RuntimeException e) {
      throw Errors.signature(signKey.slot(), algorithm + " signing", e);
    }
    byte[] head = buffer.toByteArray();
    buffer.reset();
    feed(head, 0, head.length);
  }

  private void feed(byte[] b, int off, int len) throws SignatureException {
    try {
      streaming.update(b, off, len);
    } catch (TransportException | RuntimeException e) {
      streaming = null;
      throw Errors.signature(signKey.slot(), algorithm + " signing", e);
    }
  }

  // ---- results

  @Override
  protected byte[] engineSign() throws SignatureException {
    requireInit();
    if (signKey == null) {
      throw new SignatureException("initialized for verification, not signing");
    }
    PrivateKeyHandle key = signKey;
    try {
      if (streaming != null) {
        KeyringOperation op = streaming;
        streaming = null;
        byte[] sig = op.finish();
        ctx.counters().add(ProviderOperation.SIGN);
        return fromMemberSignature(sig);
      }
      byte[] data = memberData(takeData());
      Mechanism m = mechanism();
      MechanismParams p = params();
      return fromMemberSignature(
          key.slot().call(ProviderOperation.SIGN, s -> s.sign(key.objectHandle(), m, p, data)));
    } catch (TransportException | RuntimeException e) {
      throw Errors.signature(key.slot(), algorithm + " signing with " + key, e);
    } finally {
      softReset();
    }
  }

  @Override
  protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
    requireInit();
    if (verifyKey == null) {
      throw new SignatureException("initialized for signing, not verification");
    }
    byte[] data = takeData();
    softReset();
    data = memberData(data);
    byte[] signature = toMemberSignature(sigBytes);
    Mechanism m;
    MechanismParams p;
    try {
      m = mechanism();
      p = params();
    } catch (RuntimeException e) {
      throw new SignatureException(e.getMessage(), e);
    }
    SlotSession slot = null;
    byte[] memberBytes = data;
    try {
      slot = ctx.activeSlot();
      return slot.call(
          ProviderOperation.VERIFY,
          s ->
              TransientPublicKey.with(
                  s, verifyTemplate, h -> s.verify(h, m, p, memberBytes, signature)));
    } catch (TransportException | RuntimeException e) {
      throw Errors.signature(slot, algorithm + " verification", e);
    }
  }

  // ---- what variants of an algorithm change (P1363 encoding, a DigestInfo built here)

  /** Refuses a signing key beyond its class (SHA-1 signing, for one). */
  void checkSignKey(PrivateKeyHandle key) throws InvalidKeyException {}

  /** Refuses a message that has grown to {@code total} bytes (raw RSA's length limit). */
  void checkGathered(int total) throws SignatureException {}

  /** The bytes the member signs or verifies, from the digest or message gathered here. */
  byte[] memberData(byte[] gathered) throws SignatureException {
    return gathered;
  }

  /** The caller's form of a signature the member made. */
  byte[] fromMemberSignature(byte[] signature) throws SignatureException {
    return signature;
  }

  /** The member's form of a signature the caller gave to verify. */
  byte[] toMemberSignature(byte[] signature) throws SignatureException {
    return signature;
  }

  /** The public key of the key in use: the signing key's public half, or the verification key. */
  PublicKey keyInUse() {
    return signKey != null ? signKey.publicKey() : verifyKey;
  }

  String algorithm() {
    return algorithm;
  }

  private byte[] takeData() {
    if (md != null) {
      return md.digest();
    }
    byte[] data = buffer.toByteArray();
    buffer.reset();
    return data;
  }

  private void softReset() {
    buffer.reset();
    streaming = null;
    if (md != null) {
      md.reset();
    }
  }

  private void requireInit() throws SignatureException {
    if (signKey == null && verifyKey == null) {
      throw new SignatureException(algorithm + " is not initialized: call initSign or initVerify");
    }
  }

  private Mechanism mechanism() {
    if (!pss) {
      return fixedMechanism;
    }
    PSSParameterSpec spec = requirePss();
    switch (Digest.parse(spec.getDigestAlgorithm())) {
      case SHA256:
        return Mechanism.CKM_SHA256_RSA_PKCS_PSS;
      case SHA384:
        return Mechanism.CKM_SHA384_RSA_PKCS_PSS;
      default:
        return Mechanism.CKM_SHA512_RSA_PKCS_PSS;
    }
  }

  private MechanismParams params() {
    if (!pss) {
      return MechanismParams.NONE;
    }
    PSSParameterSpec spec = requirePss();
    MGF1ParameterSpec mgf = (MGF1ParameterSpec) spec.getMGFParameters();
    return new MechanismParams.Pss(
        Digest.parse(spec.getDigestAlgorithm()),
        Digest.parse(mgf.getDigestAlgorithm()),
        spec.getSaltLength());
  }

  private PSSParameterSpec requirePss() {
    if (pssSpec == null) {
      throw new IllegalStateException(
          "RSASSA-PSS needs its parameters: call setParameter(PSSParameterSpec) first");
    }
    return pssSpec;
  }

  // ---- parameters

  @Override
  protected void engineSetParameter(AlgorithmParameterSpec params)
      throws InvalidAlgorithmParameterException {
    if (!pss) {
      if (params == null) {
        return;
      }
      throw new InvalidAlgorithmParameterException(algorithm + " takes no parameters");
    }
    if (params == null) {
      if (pssHash == null) {
        throw new InvalidAlgorithmParameterException("RSASSA-PSS needs a PSSParameterSpec");
      }
      return;
    }
    if (!(params instanceof PSSParameterSpec)) {
      throw new InvalidAlgorithmParameterException(
          algorithm + " takes a PSSParameterSpec, got " + params.getClass().getName());
    }
    PSSParameterSpec spec = (PSSParameterSpec) params;
    Digest hash;
    Digest mgfHash;
    try {
      hash = Digest.parse(spec.getDigestAlgorithm());
      if (!"MGF1".equalsIgnoreCase(spec.getMGFAlgorithm())
          || !(spec.getMGFParameters() instanceof MGF1ParameterSpec)) {
        throw new InvalidAlgorithmParameterException(
            "RSASSA-PSS on a keyring uses MGF1 only, got " + spec.getMGFAlgorithm());
      }
      mgfHash = Digest.parse(((MGF1ParameterSpec) spec.getMGFParameters()).getDigestAlgorithm());
    } catch (HsmException e) {
      throw new InvalidAlgorithmParameterException(
          "RSASSA-PSS on a keyring hashes with SHA-256, SHA-384 or SHA-512: " + e.getMessage());
    }
    if (spec.getTrailerField() != PSSParameterSpec.TRAILER_FIELD_BC) {
      throw new InvalidAlgorithmParameterException(
          "the PSS trailer field must be 1, got " + spec.getTrailerField());
    }
    if (spec.getSaltLength() < 0) {
      throw new InvalidAlgorithmParameterException(
          "the PSS salt length must be >= 0, got " + spec.getSaltLength());
    }
    if (pssHash != null && hash != pssHash) {
      throw new InvalidAlgorithmParameterException(
          algorithm
              + " hashes with "
              + pssHash.jcaName()
              + ", the parameters say "
              + hash.jcaName());
    }
    if (buffer.size() > 0 || streaming != null) {
      throw new InvalidAlgorithmParameterException(
          "the parameters cannot change while a message is being signed or verified");
    }
    pssSpec =
        new PSSParameterSpec(
            hash.jcaName(),
            "MGF1",
            new MGF1ParameterSpec(mgfHash.jcaName()),
            spec.getSaltLength(),
            PSSParameterSpec.TRAILER_FIELD_BC);
  }

  /** The PSS parameters, or null when none are set or the algorithm takes none. Never throws. */
  @Override
  protected AlgorithmParameters engineGetParameters() {
    if (!pss || pssSpec == null) {
      return null;
    }
    try {
      AlgorithmParameters ap = AlgorithmParameters.getInstance("RSASSA-PSS");
      ap.init(pssSpec);
      return ap;
    } catch (NoSuchAlgorithmException | InvalidParameterSpecException e) {
      return null;
    }
  }

  @Override
  @Deprecated
  protected void engineSetParameter(String param, Object value) {
    throw new InvalidParameterException("use setParameter(AlgorithmParameterSpec)");
  }

  @Override
  @Deprecated
  protected Object engineGetParameter(String param) {
    throw new InvalidParameterException("use getParameters()");
  }

  // ---- one class per algorithm

  /** SHA256withRSA. */
  public static final class Sha256WithRsa extends KeyringSignatureSpi {
    public Sha256WithRsa(ProviderContext c) {
      super(
          c,
          "SHA256withRSA",
          PrivateKeyHandle.Rsa.class,
          Mechanism.CKM_SHA256_RSA_PKCS,
          null,
          false,
          null);
    }
  }

  /** SHA384withRSA. */
  public static final class Sha384WithRsa extends KeyringSignatureSpi {
    public Sha384WithRsa(ProviderContext c) {
      super(
          c,
          "SHA384withRSA",
          PrivateKeyHandle.Rsa.class,
          Mechanism.CKM_SHA384_RSA_PKCS,
          null,
          false,
          null);
    }
  }

  /** SHA512withRSA. */
  public static final class Sha512WithRsa extends KeyringSignatureSpi {
    public Sha512WithRsa(ProviderContext c) {
      super(
          c,
          "SHA512withRSA",
          PrivateKeyHandle.Rsa.class,
          Mechanism.CKM_SHA512_RSA_PKCS,
          null,
          false,
          null);
    }
  }

  /** RSASSA-PSS, its parameters set by {@code setParameter}. */
  public static final class RsaPss extends KeyringSignatureSpi {
    public RsaPss(ProviderContext c) {
      super(c, "RSASSA-PSS", PrivateKeyHandle.Rsa.class, null, null, true, null);
    }
  }

  /** SHA256withRSASSA-PSS (alias SHA256withRSAandMGF1): MGF1-SHA256, salt 32 preset. */
  public static final class Sha256WithRsaPss extends KeyringSignatureSpi {
    public Sha256WithRsaPss(ProviderContext c) {
      super(c, "SHA256withRSASSA-PSS", PrivateKeyHandle.Rsa.class, null, null, true, Digest.SHA256);
    }
  }

  /** SHA384withRSASSA-PSS (alias SHA384withRSAandMGF1). */
  public static final class Sha384WithRsaPss extends KeyringSignatureSpi {
    public Sha384WithRsaPss(ProviderContext c) {
      super(c, "SHA384withRSASSA-PSS", PrivateKeyHandle.Rsa.class, null, null, true, Digest.SHA384);
    }
  }

  /** SHA512withRSASSA-PSS (alias SHA512withRSAandMGF1). */
  public static final class Sha512WithRsaPss extends KeyringSignatureSpi {
    public Sha512WithRsaPss(ProviderContext c) {
      super(c, "SHA512withRSASSA-PSS", PrivateKeyHandle.Rsa.class, null, null, true, Digest.SHA512);
    }
  }

  /** SHA256withECDSA. */
  public static final class Sha256WithEcdsa extends KeyringSignatureSpi {
    public Sha256WithEcdsa(ProviderContext c) {
      super(
          c,
          "SHA256withECDSA",
          PrivateKeyHandle.Ec.class,
          Mechanism.CKM_ECDSA,
          "SHA-256",
          false,
          null);
    }
  }

  /** SHA384withECDSA. */
  public static final class Sha384WithEcdsa extends KeyringSignatureSpi {
    public Sha384WithEcdsa(ProviderContext c) {
      super(
          c,
          "SHA384withECDSA",
          PrivateKeyHandle.Ec.class,
          Mechanism.CKM_ECDSA,
          "SHA-384",
          false,
          null);
    }
  }

  /** SHA512withECDSA. */
  public static final class Sha512WithEcdsa extends KeyringSignatureSpi {
    public Sha512WithEcdsa(ProviderContext c) {
      super(
          c,
          "SHA512withECDSA",
          PrivateKeyHandle.Ec.class,
          Mechanism.CKM_ECDSA,
          "SHA-512",
          false,
          null);
    }
  }

  /** NONEwithECDSA: the data is the digest. */
  public static final class NoneWithEcdsa extends KeyringSignatureSpi {
    public NoneWithEcdsa(ProviderContext c) {
      super(c, "NONEwithECDSA", PrivateKeyHandle.Ec.class, Mechanism.CKM_ECDSA, null, false, null);
    }
  }

  /** Ed25519 (pure EdDSA). */
  public static final class Ed25519 extends KeyringSignatureSpi {
    public Ed25519(ProviderContext c) {
      super(c, "Ed25519", PrivateKeyHandle.Ed25519.class, Mechanism.CKM_EDDSA, null, false, null);
    }
  }
}
