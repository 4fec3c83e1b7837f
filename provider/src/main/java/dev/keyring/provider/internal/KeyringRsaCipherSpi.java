package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Digest;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.provider.api.KeyringKey;
import dev.keyring.provider.api.ProviderOperation;
import java.io.ByteArrayOutputStream;
import java.security.AlgorithmParameters;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.InvalidParameterSpecException;
import java.security.spec.MGF1ParameterSpec;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.CipherSpi;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * RSA encryption on the cluster. OAEP: decrypt and unwrap with a keyring private key; encrypt with
 * a public key (an ordinary JDK one, created on the keyring for the operation). PKCS#1 v1.5:
 * decrypt and unwrap, as JSSE uses it for the TLS_RSA key exchange; keyrings make no new PKCS#1
 * v1.5 ciphertexts. Encrypt mode with a keyring private key is the raw PKCS#1 v1.5 signature (type
 * 1 padding, the same as {@code NONEwithRSA}), which a TLS 1.2 stack asks for when it signs a
 * DigestInfo it built; its result opens with the public key in any provider. Keyring keys are never
 * wrapped under an RSA public key: whoever holds its private half would have them ({@code
 * AES/KWP/NoPadding} wraps them, under a keyring AES key).
 *
 * <p>OAEP's MGF1 hash is the OAEP hash unless an {@link OAEPParameterSpec} says otherwise (the JDK
 * defaults to MGF1-SHA1, which keyrings do not offer; see DIFFERENCES.md).
 */
public abstract class KeyringRsaCipherSpi extends CipherSpi {
  private final ProviderContext ctx;
  private final Digest oaepHash; // null: PKCS#1 v1.5
  private final ByteArrayOutputStream input = new ByteArrayOutputStream();
  private int opmode;
  private PrivateKeyHandle privateKey;
  private PublicKey publicKey;
  private Attributes publicTemplate;
  private MechanismParams.Oaep oaep;
  private int modulusBytes;

  KeyringRsaCipherSpi(ProviderContext ctx, Digest oaepHash) {
    this.ctx = ctx;
    this.oaepHash = oaepHash;
  }

  private String name() {
    return oaepHash == null
        ? "RSA/ECB/PKCS1Padding"
        : "RSA/ECB/OAEPWith" + oaepHash.jcaName() + "AndMGF1Padding";
  }

  @Override
  protected void engineSetMode(String mode) throws NoSuchAlgorithmException {
    if (!mode.equalsIgnoreCase("ECB") && !mode.equalsIgnoreCase("NONE")) {
      throw new NoSuchAlgorithmException("RSA takes mode ECB, not " + mode);
    }
  }

  @Override
  protected void engineSetPadding(String padding) throws NoSuchPaddingException {
    String p = padding.toUpperCase(java.util.Locale.ROOT).replace("-", "");
    String want =
        oaepHash == null ? "PKCS1PADDING" : ("OAEPWITH" + oaepHash.name() + "ANDMGF1PADDING");
    if (!p.equals(want)) {
      throw new NoSuchPaddingException(name() + " does not take padding " + padding);
    }
  }

  @Override
  protected int engineGetBlockSize() {
    return 0;
  }

  @Override
  protected int engineGetOutputSize(int inputLen) {
    return modulusBytes;
  }

  @Override
  protected byte[] engineGetIV() {
    return null;
  }

  @Override
  protected AlgorithmParameters engineGetParameters() {
    if (oaep == null) {
      return null;
    }
    try {
      AlgorithmParameters p = AlgorithmParameters.getInstance("OAEP");
      p.init(
          new OAEPParameterSpec(
              oaep.hash().jcaName(),
              "MGF1",
              new MGF1ParameterSpec(oaep.mgfHash().jcaName()),
              new PSource.PSpecified(oaep.label())));
      return p;
    } catch (NoSuchAlgorithmException | InvalidParameterSpecException e) {
      return null;
    }
  }

  @Override
  protected void engineInit(int opmode, Key key, SecureRandom random) throws InvalidKeyException {
    try {
      engineInit(opmode, key, (AlgorithmParameterSpec) null, random);
    } catch (InvalidAlgorithmParameterException e) {
      throw new InvalidKeyException(e.getMessage(), e);
    }
  }

  @Override
  protected void engineInit(int opmode, Key key, AlgorithmParameters params, SecureRandom random)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    AlgorithmParameterSpec spec = null;
    if (params != null) {
      try {
        spec = params.getParameterSpec(OAEPParameterSpec.class);
      } catch (InvalidParameterSpecException e) {
        throw new InvalidAlgorithmParameterException("unusable parameters for " + name(), e);
      }
    }
    engineInit(opmode, key, spec, random);
  }

  @Override
  protected void engineInit(int opmode, Key key, AlgorithmParameterSpec params, SecureRandom random)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    if (opmode == Cipher.WRAP_MODE) {
      throw new InvalidKeyException(
          "keyring keys are not wrapped under RSA public keys: whoever holds the private half"
              + " could unwrap them; wrap with AES/KWP/NoPadding under an AES key generated on the"
              + " keyring for KEY_WRAP (KeyringKeyGenParameterSpec.Purpose)");
    }
    boolean usesPrivate =
        opmode == Cipher.DECRYPT_MODE
            || opmode == Cipher.UNWRAP_MODE
            || (opmode == Cipher.ENCRYPT_MODE && oaepHash == null && key instanceof KeyringKey);
    MechanismParams.Oaep newOaep = null;
    if (oaepHash != null) {
      newOaep = oaepParams(params);
    } else if (params != null && !isTlsPremasterSpec(params)) {
      throw new InvalidAlgorithmParameterException(
          name() + " takes no parameters, got " + params.getClass().getName());
    }
    if (usesPrivate) {
      PrivateKeyHandle h =
          KeyHandles.require(key, PrivateKeyHandle.Rsa.class, "a keyring RSA private key");
      privateKey = h;
      publicKey = null;
      modulusBytes = (h.bits() + 7) / 8;
    } else {
      if (oaepHash == null) {
        throw new InvalidKeyException(
            "keyrings make no new RSA PKCS#1 v1.5 ciphertexts: "
                + name()
                + " decrypts and unwraps with a keyring private key, and in ENCRYPT_MODE with a"
                + " keyring private key makes a PKCS#1 v1.5 signature of the data; encrypt with"
                + " OAEP or with another provider");
      }
      if (!(key instanceof RSAPublicKey)) {
        throw new InvalidKeyException(
            name()
                + " encrypts with an RSA public key, got "
                + (key == null ? "null" : key.getAlgorithm() + " " + key.getClass().getName()));
      }
      publicKey = (PublicKey) key;
      publicTemplate = TransientPublicKey.attributesOf(publicKey);
      privateKey = null;
      modulusBytes = (((RSAPublicKey) key).getModulus().bitLength() + 7) / 8;
    }
    this.opmode = opmode;
    this.oaep = newOaep;
    input.reset();
  }

  /** JSSE's TLS premaster parameters: accepted, so JSSE goes on to its decrypt-mode path. */
  private static boolean isTlsPremasterSpec(AlgorithmParameterSpec params) {
    return params.getClass().getName().endsWith(".TlsRsaPremasterSecretParameterSpec");
  }

  private MechanismParams.Oaep oaepParams(AlgorithmParameterSpec params)
      throws InvalidAlgorithmParameterException {
    if (params == null) {
      return new MechanismParams.Oaep(oaepHash, oaepHash, new byte[0]);
    }
    if (!(params instanceof OAEPParameterSpec)) {
      throw new InvalidAlgorithmParameterException(
          name() + " takes an OAEPParameterSpec, got " + params.getClass().getName());
    }
    OAEPParameterSpec o = (OAEPParameterSpec) params;
    try {
      Digest h = Digest.parse(o.getDigestAlgorithm());
      if (h != oaepHash) {
        throw new InvalidAlgorithmParameterException(
            name() + " hashes with " + oaepHash.jcaName() + ", the parameters say " + h.jcaName());
      }
      if (!"MGF1".equalsIgnoreCase(o.getMGFAlgorithm())
          || !(o.getMGFParameters() instanceof MGF1ParameterSpec)) {
        throw new InvalidAlgorithmParameterException("OAEP on a keyring uses MGF1 only");
      }
      Digest mgf = Digest.parse(((MGF1ParameterSpec) o.getMGFParameters()).getDigestAlgorithm());
      if (!(o.getPSource() instanceof PSource.PSpecified)) {
        throw new InvalidAlgorithmParameterException("the OAEP label must be a PSpecified");
      }
      return new MechanismParams.Oaep(h, mgf, ((PSource.PSpecified) o.getPSource()).getValue());
    } catch (HsmException e) {
      throw new InvalidAlgorithmParameterException(
          "OAEP on a keyring hashes with SHA-256, SHA-384 or SHA-512: " + e.getMessage());
    }
  }

  private Mechanism mechanism() {
    return oaepHash == null ? Mechanism.CKM_RSA_PKCS : Mechanism.CKM_RSA_PKCS_OAEP;
  }

  private MechanismParams params() {
    return oaepHash == null ? MechanismParams.NONE : oaep;
  }

  @Override
  protected byte[] engineUpdate(byte[] in, int off, int len) {
    requireCrypt();
    input.write(in, off, len);
    return new byte[0];
  }

  @Override
  protected int engineUpdate(byte[] in, int off, int len, byte[] out, int outOff) {
    engineUpdate(in, off, len);
    return 0;
  }

  @Override
  protected byte[] engineDoFinal(byte[] in, int off, int len)
      throws IllegalBlockSizeException, BadPaddingException {
    requireCrypt();
    if (in != null) {
      input.write(in, off, len);
    }
    byte[] data = input.toByteArray();
    input.reset();
    Mechanism m = mechanism();
    MechanismParams p = params();
    if (opmode == Cipher.ENCRYPT_MODE && privateKey != null) {
      return signRaw(privateKey, data);
    }
    if (opmode == Cipher.DECRYPT_MODE) {
      if (data.length != modulusBytes) {
        throw new IllegalBlockSizeException(
            "RSA decryption takes exactly " + modulusBytes + " bytes, got " + data.length);
      }
      PrivateKeyHandle k = privateKey;
      try {
        return k.slot()
            .call(ProviderOperation.DECRYPT, s -> s.decrypt(k.objectHandle(), m, p, data));
      } catch (TransportException | RuntimeException e) {
        throw Errors.cipher(k.slot(), name() + " decryption with " + k, true, false, e);
      }
    }
    SlotSession slot = ctx.activeSlot();
    try {
      return slot.call(
          ProviderOperation.ENCRYPT,
          s -> TransientPublicKey.with(s, publicTemplate, h -> s.encrypt(h, m, p, data)));
    } catch (TransportException | RuntimeException e) {
      if (Errors.isCode(
          e,
          dev.keyring.protocol.ResultCode.CKR_DATA_LEN_RANGE,
          dev.keyring.protocol.ResultCode.CKR_DATA_INVALID)) {
        throw Errors.withCause(
            new IllegalBlockSizeException(
                "the data is too long for " + name() + ": " + e.getMessage()),
            e);
      }
      throw Errors.cipher(slot, name() + " encryption", false, false, e);
    }
  }

  /** ENCRYPT_MODE with a keyring private key: the PKCS#1 v1.5 type 1 signature of {@code data}. */
  private byte[] signRaw(PrivateKeyHandle k, byte[] data)
      throws IllegalBlockSizeException, BadPaddingException {
    if (data.length > modulusBytes - 11) {
      throw new IllegalBlockSizeException(
          name()
              + " with a private key signs at most "
              + (modulusBytes - 11)
              + " bytes with this key (the modulus length less 11), got "
              + data.length);
    }
    try {
      return k.slot()
          .call(
              ProviderOperation.SIGN,
              s -> s.sign(k.objectHandle(), Mechanism.CKM_RSA_PKCS, MechanismParams.NONE, data));
    } catch (TransportException | RuntimeException e) {
      throw Errors.cipher(
          k.slot(), name() + " signing (ENCRYPT_MODE with " + k + ")", false, false, e);
    }
  }

  @Override
  protected int engineDoFinal(byte[] in, int off, int len, byte[] out, int outOff)
      throws ShortBufferException, IllegalBlockSizeException, BadPaddingException {
    if (opmode == Cipher.ENCRYPT_MODE && out.length - outOff < modulusBytes) {
      throw new ShortBufferException("the output needs " + modulusBytes + " bytes");
    }
    byte[] held = input.toByteArray();
    byte[] r = engineDoFinal(in, off, len);
    if (out.length - outOff < r.length) {
      // as with the JDK, the input stays for a call with a larger output
      input.write(held, 0, held.length);
      java.util.Arrays.fill(r, (byte) 0);
      throw new ShortBufferException("the output needs " + r.length + " bytes");
    }
    System.arraycopy(r, 0, out, outOff, r.length);
    return r.length;
  }

  private void requireCrypt() {
    if (privateKey == null && publicKey == null) {
      throw new IllegalStateException("the cipher is not initialized");
    }
    if (opmode != Cipher.ENCRYPT_MODE && opmode != Cipher.DECRYPT_MODE) {
      throw new IllegalStateException("the cipher is initialized to wrap or unwrap keys");
    }
  }

  @Override
  protected byte[] engineWrap(Key key) {
    throw new IllegalStateException(
        "the cipher is not initialized for WRAP_MODE: keyring keys are not wrapped under RSA"
            + " public keys");
  }

  @Override
  protected Key engineUnwrap(byte[] wrapped, String algorithm, int type)
      throws InvalidKeyException, NoSuchAlgorithmException {
    if (opmode != Cipher.UNWRAP_MODE || privateKey == null) {
      throw new IllegalStateException("the cipher is not initialized for UNWRAP_MODE");
    }
    PrivateKeyHandle k = privateKey;
    Attributes template = Unwrapping.template(algorithm, type);
    MechanismParams p = params();
    try {
      KeyringObject o =
          k.slot()
              .call(
                  ProviderOperation.UNWRAP,
                  s -> s.unwrapKey(k.objectHandle(), mechanism(), p, wrapped, template));
      return KeyHandles.of(k.slot(), o, algorithm, -1);
    } catch (TransportException | RuntimeException e) {
      throw Errors.withCause(
          new InvalidKeyException(
              Errors.message(k.slot(), "unwrapping a " + algorithm + " key", e)),
          e);
    }
  }

  @Override
  protected int engineGetKeySize(Key key) throws InvalidKeyException {
    if (key instanceof RSAPublicKey) {
      return ((RSAPublicKey) key).getModulus().bitLength();
    }
    return KeyHandles.require(key, PrivateKeyHandle.Rsa.class, "an RSA key").bits();
  }

  /** RSA/ECB/PKCS1Padding: decrypt and unwrap. */
  public static final class Pkcs1 extends KeyringRsaCipherSpi {
    public Pkcs1(ProviderContext c) {
      super(c, null);
    }
  }

  /** RSA/ECB/OAEPWithSHA-256AndMGF1Padding. */
  public static final class OaepSha256 extends KeyringRsaCipherSpi {
    public OaepSha256(ProviderContext c) {
      super(c, Digest.SHA256);
    }
  }

  /** RSA/ECB/OAEPWithSHA-384AndMGF1Padding. */
  public static final class OaepSha384 extends KeyringRsaCipherSpi {
    public OaepSha384(ProviderContext c) {
      super(c, Digest.SHA384);
    }
  }

  /** RSA/ECB/OAEPWithSHA-512AndMGF1Padding. */
  public static final class OaepSha512 extends KeyringRsaCipherSpi {
    public OaepSha512(ProviderContext c) {
      super(c, Digest.SHA512);
    }
  }
}
