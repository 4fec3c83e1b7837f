package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.TransportException;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.provider.api.ProviderOperation;
import java.io.ByteArrayOutputStream;
import java.security.AlgorithmParameters;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.InvalidParameterSpecException;
import javax.crypto.AEADBadTagException;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.CipherSpi;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;

/**
 * AES with a keyring key: GCM and CBC with PKCS#5 padding (encrypt and decrypt on the cluster), and
 * KWP (RFC 5649) and KW (RFC 3394) to wrap and unwrap keyring keys. Input is gathered here and sent
 * with {@code doFinal}; no output appears before it. An IV the caller does not give is made here
 * from a {@link SecureRandom} and is available from {@code getIV()} at once. As with the JDK, a GCM
 * cipher that encrypted must be initialized again (with another IV) before it encrypts again, and
 * initializing it to encrypt with the key and IV it last encrypted with is refused.
 */
public abstract class KeyringAesCipherSpi extends CipherSpi {
  private static final int BLOCK = 16;

  /** Input past this goes to the member as a multi-part operation. */
  private static final int MAX_ONE_SHOT = 8 << 20;

  enum Mode {
    GCM,
    CBC,
    KWP,
    KW;

    boolean wraps() {
      return this == KWP || this == KW;
    }
  }

  private final Mode mode;
  private final ByteArrayOutputStream input = new ByteArrayOutputStream();
  private final ByteArrayOutputStream aad = new ByteArrayOutputStream();
  private SecretKeyHandle key;
  private int opmode;
  private byte[] iv;
  private int tagBits = 128;
  private boolean needsReinit;
  private SecureRandom random;

  /** The key and IV of the last GCM encryption this cipher was initialized for. */
  private SecretKeyHandle lastEncryptionKey;

  private byte[] lastEncryptionIv;

  KeyringAesCipherSpi(Mode mode) {
    this.mode = mode;
  }

  @Override
  protected void engineSetMode(String m) throws NoSuchAlgorithmException {
    if (!m.equalsIgnoreCase(mode.name()) && !(mode == Mode.KWP && m.equalsIgnoreCase("KWP"))) {
      throw new NoSuchAlgorithmException("this cipher is AES/" + mode + ", not mode " + m);
    }
  }

  @Override
  protected void engineSetPadding(String padding) throws NoSuchPaddingException {
    String want = mode == Mode.CBC ? "PKCS5Padding" : "NoPadding";
    if (!padding.equalsIgnoreCase(want)) {
      throw new NoSuchPaddingException("AES/" + mode + " takes " + want + ", not " + padding);
    }
  }

  @Override
  protected int engineGetBlockSize() {
    return mode.wraps() ? 8 : BLOCK;
  }

  @Override
  protected int engineGetOutputSize(int inputLen) {
    int total = input.size() + inputLen;
    boolean enc = opmode == Cipher.ENCRYPT_MODE;
    switch (mode) {
      case GCM:
        return enc ? total + tagBits / 8 : Math.max(0, total - tagBits / 8);
      case CBC:
        return enc ? (total / BLOCK + 1) * BLOCK : total;
      default:
        return total + 16;
    }
  }

  @Override
  protected byte[] engineGetIV() {
    return iv == null ? null : iv.clone();
  }

  @Override
  protected AlgorithmParameters engineGetParameters() {
    if (iv == null) {
      return null;
    }
    try {
      if (mode == Mode.GCM) {
        AlgorithmParameters p = AlgorithmParameters.getInstance("GCM");
        p.init(new GCMParameterSpec(tagBits, iv));
        return p;
      }
      AlgorithmParameters p = AlgorithmParameters.getInstance("AES");
      p.init(new IvParameterSpec(iv));
      return p;
    } catch (NoSuchAlgorithmException | InvalidParameterSpecException e) {
      return null;
    }
  }

  // ---- init

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
        spec =
            mode == Mode.GCM
                ? params.getParameterSpec(GCMParameterSpec.class)
                : params.getParameterSpec(IvParameterSpec.class);
      } catch (InvalidParameterSpecException e) {
        throw new InvalidAlgorithmParameterException("unusable parameters for AES/" + mode, e);
      }
    }
    engineInit(opmode, key, spec, random);
  }

  @Override
  protected void engineInit(int opmode, Key key, AlgorithmParameterSpec params, SecureRandom random)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    SecretKeyHandle h = KeyHandles.require(key, SecretKeyHandle.class, "a keyring AES key");
    if (!h.getAlgorithm().equals("AES")) {
      throw new InvalidKeyException("AES/" + mode + " needs an AES key, got " + h);
    }
    boolean wrapping = opmode == Cipher.WRAP_MODE || opmode == Cipher.UNWRAP_MODE;
    if (mode.wraps()) {
      if (!wrapping) {
        throw new InvalidKeyException(
            "AES/"
                + mode
                + "/NoPadding on a keyring wraps and unwraps keys only (WRAP_MODE, UNWRAP_MODE):"
                + " a key that wraps never decrypts");
      }
      if (params != null) {
        throw new InvalidAlgorithmParameterException(
            "AES/" + mode + " takes no parameters (the RFC's default IV)");
      }
    } else if (wrapping) {
      throw new InvalidKeyException(
          "AES/"
              + mode
              + " encrypts and decrypts; wrap and unwrap keys with AES/KWP/NoPadding or"
              + " AES/KW/NoPadding");
    }
    byte[] newIv = null;
    int newTag = 128;
    if (mode == Mode.GCM) {
      if (params != null) {
        if (!(params instanceof GCMParameterSpec)) {
          throw new InvalidAlgorithmParameterException(
              "AES/GCM takes a GCMParameterSpec, got " + params.getClass().getName());
        }
        GCMParameterSpec g = (GCMParameterSpec) params;
        newIv = g.getIV();
        newTag = g.getTLen();
        if (newTag < 96 || newTag > 128 || newTag % 8 != 0) {
          throw new InvalidAlgorithmParameterException(
              "the GCM tag length must be 96-128 bits in steps of 8, got " + newTag);
        }
        if (newIv.length == 0) {
          throw new InvalidAlgorithmParameterException("the GCM IV must not be empty");
        }
      }
    } else if (mode == Mode.CBC && params != null) {
      if (!(params instanceof IvParameterSpec)) {
        throw new InvalidAlgorithmParameterException(
            "AES/CBC takes an IvParameterSpec, got " + params.getClass().getName());
      }
      newIv = ((IvParameterSpec) params).getIV();
      if (newIv.length != BLOCK) {
        throw new InvalidAlgorithmParameterException(
            "the CBC IV must be 16 bytes, got " + newIv.length);
      }
    }
    if (newIv == null && !mode.wraps()) {
      if (opmode == Cipher.DECRYPT_MODE) {
        throw new InvalidAlgorithmParameterException(
            "decryption with AES/" + mode + " needs the IV used to encrypt");
      }
      this.random =
          random != null ? random : this.random != null ? this.random : new SecureRandom();
      newIv = new byte[mode == Mode.GCM ? 12 : BLOCK];
      this.random.nextBytes(newIv);
    }
    if (mode == Mode.GCM && opmode == Cipher.ENCRYPT_MODE) {
      if (h.equals(lastEncryptionKey) && java.util.Arrays.equals(newIv, lastEncryptionIv)) {
        throw new InvalidAlgorithmParameterException(
            "AES/GCM encrypts once with a key and IV: give a new IV, or none to have one made");
      }
      lastEncryptionKey = h;
      lastEncryptionIv = newIv.clone();
    }
    this.key = h;
    this.opmode = opmode;
    this.iv = newIv;
    this.tagBits = newTag;
    this.needsReinit = false;
    input.reset();
    aad.reset();
  }

  // ---- data

  @Override
  protected byte[] engineUpdate(byte[] in, int off, int len) {
    requireData();
    input.write(in, off, len);
    return new byte[0];
  }

  @Override
  protected int engineUpdate(byte[] in, int off, int len, byte[] out, int outOff) {
    requireData();
    input.write(in, off, len);
    return 0;
  }

  /** Takes all of {@code in} and gives no output, so it needs no room in {@code out}. */
  @Override
  protected int engineUpdate(java.nio.ByteBuffer in, java.nio.ByteBuffer out) {
    requireData();
    byte[] b = new byte[in.remaining()];
    in.get(b);
    input.write(b, 0, b.length);
    return 0;
  }

  @Override
  protected void engineUpdateAAD(byte[] src, int off, int len) {
    requireData();
    if (mode != Mode.GCM) {
      throw new IllegalStateException("AES/" + mode + " takes no additional data");
    }
    if (input.size() > 0) {
      throw new IllegalStateException("additional data must come before the text (GCM)");
    }
    aad.write(src, off, len);
  }

  @Override
  protected void engineUpdateAAD(java.nio.ByteBuffer src) {
    byte[] b = new byte[src.remaining()];
    src.duplicate().get(b);
    engineUpdateAAD(b, 0, b.length);
    src.position(src.limit());
  }

  @Override
  protected byte[] engineDoFinal(byte[] in, int off, int len)
      throws IllegalBlockSizeException, BadPaddingException {
    requireData();
    byte[] data;
    if (input.size() == 0) {
      data = in == null ? new byte[0] : java.util.Arrays.copyOfRange(in, off, off + len);
    } else {
      if (in != null) {
        input.write(in, off, len);
      }
      data = input.toByteArray();
      input.reset();
    }
    try {
      return run(data);
    } finally {
      aad.reset();
      if (opmode == Cipher.ENCRYPT_MODE && mode == Mode.GCM) {
        needsReinit = true;
      }
    }
  }

  @Override
  protected int engineDoFinal(byte[] in, int off, int len, byte[] out, int outOff)
      throws ShortBufferException, IllegalBlockSizeException, BadPaddingException {
    // the output's size is known before the call, but for CBC decryption (the padding)
    boolean exact = opmode == Cipher.ENCRYPT_MODE || mode == Mode.GCM;
    int need = engineGetOutputSize(len);
    if (exact && out.length - outOff < need) {
      throw new ShortBufferException("the output needs " + need + " bytes");
    }
    byte[] held = exact ? new byte[0] : input.toByteArray();
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

  private byte[] run(byte[] data) throws IllegalBlockSizeException, BadPaddingException {
    boolean enc = opmode == Cipher.ENCRYPT_MODE;
    if (!enc && mode == Mode.GCM && data.length < tagBits / 8) {
      throw new AEADBadTagException("decryption failed: the input is shorter than the tag");
    }
    if (!enc && mode == Mode.CBC && (data.length == 0 || data.length % BLOCK != 0)) {
      throw new IllegalBlockSizeException(
          "AES/CBC decryption needs a multiple of 16 bytes, got " + data.length);
    }
    MechanismParams p =
        mode == Mode.GCM
            ? new MechanismParams.Gcm(iv, aad.toByteArray(), tagBits)
            : new MechanismParams.Cbc(iv);
    Mechanism m = mode == Mode.GCM ? Mechanism.CKM_AES_GCM : Mechanism.CKM_AES_CBC_PAD;
    SecretKeyHandle k = key;
    try {
      if (data.length > MAX_ONE_SHOT) {
        return multiPart(k, m, p, data, enc);
      }
      return k.slot()
          .call(
              enc ? ProviderOperation.ENCRYPT : ProviderOperation.DECRYPT,
              s ->
                  enc
                      ? s.encrypt(k.objectHandle(), m, p, data)
                      : s.decrypt(k.objectHandle(), m, p, data));
    } catch (TransportException | RuntimeException e) {
      throw Errors.cipher(
          k.slot(),
          "AES/" + mode + (enc ? " encryption" : " decryption") + " with " + k,
          !enc,
          mode == Mode.GCM,
          e);
    }
  }

  private byte[] multiPart(
      SecretKeyHandle k, Mechanism m, MechanismParams p, byte[] data, boolean enc)
      throws TransportException {
    dev.keyring.client.api.KeyringOperation op =
        k.slot()
            .call(
                enc ? ProviderOperation.ENCRYPT : ProviderOperation.DECRYPT,
                s ->
                    s.startOperation(
                        enc
                            ? dev.keyring.client.api.KeyringOperation.Kind.ENCRYPT
                            : dev.keyring.client.api.KeyringOperation.Kind.DECRYPT,
                        k.objectHandle(),
                        m,
                        p));
    op.update(data);
    return op.finish();
  }

  private void requireData() {
    if (key == null) {
      throw new IllegalStateException("the cipher is not initialized");
    }
    if (mode.wraps()) {
      throw new IllegalStateException("AES/" + mode + " wraps keys: use wrap() and unwrap()");
    }
    if (needsReinit) {
      throw new IllegalStateException(
          "this AES/GCM cipher has encrypted once with its IV: initialize it again with a new IV");
    }
  }

  // ---- keys

  @Override
  protected byte[] engineWrap(Key toWrap) throws IllegalBlockSizeException, InvalidKeyException {
    if (key == null || opmode != Cipher.WRAP_MODE) {
      throw new IllegalStateException("the cipher is not initialized for WRAP_MODE");
    }
    SecretKeyHandle target =
        KeyHandles.require(toWrap, SecretKeyHandle.class, "a keyring secret key to wrap");
    if (!target.keyringId().equals(key.keyringId())) {
      throw new InvalidKeyException(
          "the key to wrap and the wrapping key must be on the same keyring");
    }
    SecretKeyHandle k = key;
    try {
      return k.slot()
          .call(
              ProviderOperation.WRAP,
              s ->
                  s.wrapKey(
                      k.objectHandle(),
                      wrapMechanism(),
                      MechanismParams.NONE,
                      target.objectHandle()));
    } catch (TransportException | RuntimeException e) {
      throw Errors.withCause(
          new InvalidKeyException(Errors.message(k.slot(), "wrapping " + target, e)), e);
    }
  }

  @Override
  protected Key engineUnwrap(byte[] wrapped, String algorithm, int type)
      throws InvalidKeyException, NoSuchAlgorithmException {
    if (key == null || opmode != Cipher.UNWRAP_MODE) {
      throw new IllegalStateException("the cipher is not initialized for UNWRAP_MODE");
    }
    SecretKeyHandle k = key;
    var template = Unwrapping.template(algorithm, type);
    try {
      KeyringObject o =
          k.slot()
              .call(
                  ProviderOperation.UNWRAP,
                  s ->
                      s.unwrapKey(
                          k.objectHandle(),
                          wrapMechanism(),
                          MechanismParams.NONE,
                          wrapped,
                          template));
      return KeyHandles.of(k.slot(), o, algorithm, -1);
    } catch (TransportException | RuntimeException e) {
      throw Errors.withCause(
          new InvalidKeyException(
              Errors.message(k.slot(), "unwrapping a " + algorithm + " key", e)),
          e);
    }
  }

  private Mechanism wrapMechanism() {
    return mode == Mode.KW ? Mechanism.CKM_AES_KEY_WRAP : Mechanism.CKM_AES_KEY_WRAP_KWP;
  }

  @Override
  protected int engineGetKeySize(Key key) throws InvalidKeyException {
    return KeyHandles.require(key, SecretKeyHandle.class, "a keyring AES key").bits();
  }

  @Override
  public String toString() {
    return "AES/" + mode + (key == null ? "" : " with " + key);
  }

  /** AES/GCM/NoPadding. */
  public static final class Gcm extends KeyringAesCipherSpi {
    public Gcm(ProviderContext c) {
      super(Mode.GCM);
    }
  }

  /** AES/CBC/PKCS5Padding. */
  public static final class Cbc extends KeyringAesCipherSpi {
    public Cbc(ProviderContext c) {
      super(Mode.CBC);
    }
  }

  /** AES/KWP/NoPadding (RFC 5649): wrap and unwrap only. */
  public static final class Kwp extends KeyringAesCipherSpi {
    public Kwp(ProviderContext c) {
      super(Mode.KWP);
    }
  }

  /** AES/KW/NoPadding (RFC 3394, alias AESWrap): wrap and unwrap only. */
  public static final class Kw extends KeyringAesCipherSpi {
    public Kw(ProviderContext c) {
      super(Mode.KW);
    }
  }
}
