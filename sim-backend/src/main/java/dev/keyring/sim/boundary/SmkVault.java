package dev.keyring.sim.boundary;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.ResultCode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.UUID;
import java.util.function.LongSupplier;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Holds the SMK and the device key that protects it at rest, and seals and opens SKS blobs.
 *
 * <p>The device key stands for the HSM's own internal key storage: a 32-byte file in the HSM's
 * directory, separate from the member's database, created on first start. The SMK is generated
 * here, persisted by the partition only wrapped (AES-KWP) under the device key, and kept in memory
 * only inside this class.
 */
final class SmkVault {
  private static final byte[] FINGERPRINT_LABEL =
      "keyring smk fingerprint".getBytes(StandardCharsets.US_ASCII);

  private final SecretKeySpec deviceKey;
  // this HSM's cloning domain key (CloningDomainKey), or null before its partition is initialized
  private volatile SecretBytes domainKey;
  private final SecureRandom random;
  private final Provider gcmProvider;
  private final LongSupplier nanoClock;
  private volatile ActiveSmk smk;

  /** The joiner's half of an SMK clone under way, or null; guarded by {@code this}. */
  private PendingClone pendingClone;

  private static final class ActiveSmk {
    final SecretKeySpec key;
    final byte[] fingerprint;

    ActiveSmk(SecretKeySpec key, byte[] fingerprint) {
      this.key = key;
      this.fingerprint = fingerprint;
    }
  }

  /** A one-time EC P-256 key pair made by {@link #beginClone()}; the private half stays here. */
  private static final class PendingClone {
    final PrivateKey privateKey;
    final byte[] publicKey;
    final long startedNanos;

    PendingClone(PrivateKey privateKey, byte[] publicKey, long startedNanos) {
      this.privateKey = privateKey;
      this.publicKey = publicKey;
      this.startedNanos = startedNanos;
    }
  }

  private SmkVault(
      SecretKeySpec deviceKey, SecureRandom random, Provider gcmProvider, LongSupplier nanoClock) {
    this.deviceKey = deviceKey;
    this.random = random;
    this.gcmProvider = gcmProvider;
    this.nanoClock = nanoClock;
  }

  /** Loads the device key from {@code deviceKeyFile}, creating it (mode 600) when absent. */
  static SmkVault open(Path deviceKeyFile, SecureRandom random, Provider gcmProvider) {
    return open(deviceKeyFile, random, gcmProvider, System::nanoTime);
  }

  /** As {@link #open(Path, SecureRandom, Provider)}, with the clock that expires pending clones. */
  static SmkVault open(
      Path deviceKeyFile, SecureRandom random, Provider gcmProvider, LongSupplier nanoClock) {
    try {
      byte[] key;
      if (Files.exists(deviceKeyFile)) {
        key = Files.readAllBytes(deviceKeyFile);
        if (key.length != 32) {
          throw new HsmException(
              ResultCode.CKR_DEVICE_ERROR,
              "the HSM device key file " + deviceKeyFile + " is damaged (wrong length)");
        }
      } else {
        key = new byte[32];
        random.nextBytes(key);
        Files.createDirectories(deviceKeyFile.toAbsolutePath().getParent());
        Path tmp = deviceKeyFile.resolveSibling(deviceKeyFile.getFileName() + ".tmp");
        Files.write(tmp, key);
        try {
          Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
          // not a POSIX file system: the file keeps the default permissions
        }
        Files.move(tmp, deviceKeyFile, StandardCopyOption.ATOMIC_MOVE);
      }
      SmkVault v = new SmkVault(new SecretKeySpec(key, "AES"), random, gcmProvider, nanoClock);
      Arrays.fill(key, (byte) 0);
      return v;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read or create the HSM device key " + deviceKeyFile, e);
    }
  }

  /** Generates a new SMK, makes it the active one and returns its protected form. */
  ProtectedSmk create() {
    byte[] raw = new byte[32];
    random.nextBytes(raw);
    try {
      SecretKeySpec key = new SecretKeySpec(raw, "AES");
      byte[] fp = fingerprint(key);
      ProtectedSmk p = protect(key, fp);
      smk = new ActiveSmk(key, fp);
      return p;
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "SMK generation failed", e);
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  /** The SMK wrapped (AES-KWP) under this HSM's device key, as the partition persists it. */
  private ProtectedSmk protect(SecretKeySpec key, byte[] fingerprint)
      throws GeneralSecurityException {
    Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding", "SunJCE");
    kwp.init(Cipher.WRAP_MODE, deviceKey);
    return new ProtectedSmk(kwp.wrap(key), SksBlob.hex(fingerprint));
  }

  /** Unwraps a protected SMK with the device key and makes it the active one. */
  void load(ProtectedSmk protectedSmk) {
    try {
      Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding", "SunJCE");
      kwp.init(Cipher.UNWRAP_MODE, deviceKey);
      SecretKeySpec key =
          (SecretKeySpec) kwp.unwrap(protectedSmk.wrapped(), "AES", Cipher.SECRET_KEY);
      byte[] fp = fingerprint(key);
      if (!SksBlob.hex(fp).equals(protectedSmk.fingerprint())) {
        throw new HsmException(
            ResultCode.CKR_DEVICE_ERROR,
            "the stored SMK does not match its fingerprint " + protectedSmk.fingerprint());
      }
      smk = new ActiveSmk(key, fp);
    } catch (GeneralSecurityException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "the stored SMK cannot be unwrapped with this HSM's device key (was the device key"
              + " replaced?)");
    }
  }

  boolean loaded() {
    return smk != null;
  }

  /** The active SMK's fingerprint, or null when none is loaded. */
  String fingerprint() {
    ActiveSmk s = smk;
    return s == null ? null : SksBlob.hex(s.fingerprint);
  }

  /** Forgets the SMK (factory reset of the cluster service). */
  void clear() {
    smk = null;
  }

  /** Encrypts a secret part into a new blob bound to its place, attributes and origin. */
  byte[] seal(
      byte kind,
      KeyType keyType,
      KeyOrigin origin,
      SecretBytes plaintext,
      UUID clusterId,
      UUID keyringId,
      UUID objectId,
      Attributes attributes) {
    ActiveSmk s = requireSmk();
    byte[] nonce = new byte[12];
    random.nextBytes(nonce);
    byte[] header = SksBlob.header(kind, keyType, origin, s.fingerprint, nonce);
    byte[] aad = SksBlob.associatedData(header, clusterId, keyringId, objectId, attributes);
    byte[] pt = plaintext.reveal(SecretKeyAccess.INSTANCE);
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", gcmProvider);
      gcm.init(Cipher.ENCRYPT_MODE, s.key, new GCMParameterSpec(128, nonce));
      gcm.updateAAD(aad);
      byte[] blob = new byte[SksBlob.HEADER_LENGTH + pt.length + SksBlob.TAG_LENGTH];
      System.arraycopy(header, 0, blob, 0, SksBlob.HEADER_LENGTH);
      gcm.doFinal(pt, 0, pt.length, blob, SksBlob.HEADER_LENGTH);
      return blob;
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "sealing an SKS blob failed", e);
    } finally {
      Arrays.fill(pt, (byte) 0);
    }
  }

  /**
   * Opens a blob for the object at (cluster, keyring, object) with these attributes. Any change to
   * the blob or to what it is bound to fails with CKR_ENCRYPTED_DATA_INVALID.
   */
  SecretBytes open(
      byte[] blob,
      UUID clusterId,
      UUID keyringId,
      UUID objectId,
      Attributes attributes,
      KeyType expectedKeyType,
      String where) {
    ActiveSmk s = requireSmk();
    byte[] header = SksBlob.parseHeader(blob, where);
    if (!MessageDigest.isEqual(SksBlob.smkFingerprint(header), s.fingerprint)) {
      throw SksBlob.invalid(
          where,
          "it was sealed under another SMK (fingerprint "
              + SksBlob.hex(SksBlob.smkFingerprint(header))
              + "; this HSM holds "
              + SksBlob.hex(s.fingerprint)
              + ")");
    }
    if (SksBlob.keyTypeByte(header) != (byte) expectedKeyType.value()) {
      throw SksBlob.invalid(where, "its key type does not match the object's CKA_KEY_TYPE");
    }
    byte[] aad = SksBlob.associatedData(header, clusterId, keyringId, objectId, attributes);
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", gcmProvider);
      gcm.init(Cipher.DECRYPT_MODE, s.key, new GCMParameterSpec(128, SksBlob.nonce(header)));
      gcm.updateAAD(aad);
      byte[] pt = gcm.doFinal(blob, header.length, blob.length - header.length);
      return SecretBytes.adopt(pt);
    } catch (javax.crypto.AEADBadTagException e) {
      throw SksBlob.invalid(
          where,
          "authentication failed: the blob or the object's attributes were altered, or the blob"
              + " belongs to another object, keyring or cluster");
    } catch (GeneralSecurityException e) {
      throw SksBlob.invalid(where, "decryption failed");
    }
  }

  /**
   * Opens a blob bound to {@code fromCluster} and seals its secret again, with the same kind, key
   * type and origin, for the same keyring, object and attributes in {@code toCluster}. The secret
   * stays in this method. Fails like {@link #open} when the blob does not open.
   */
  byte[] rebind(
      byte[] blob,
      UUID fromCluster,
      UUID toCluster,
      UUID keyringId,
      UUID objectId,
      Attributes attributes,
      KeyType keyType,
      String where) {
    byte[] header = SksBlob.parseHeader(blob, where);
    SecretBytes secret = open(blob, fromCluster, keyringId, objectId, attributes, keyType, where);
    try {
      return seal(
          SksBlob.kind(header),
          keyType,
          SksBlob.origin(header),
          secret,
          toCluster,
          keyringId,
          objectId,
          attributes);
    } finally {
      secret.destroy();
    }
  }

  /**
   * Seals a secret of this HSM itself (not a keyring object) under the device key: it can be opened
   * only on this HSM, under the same label. See {@link SealedState}.
   */
  byte[] sealWithDeviceKey(String label, SecretBytes plaintext) {
    return SealedState.seal(
        SealedState.UNDER_DEVICE_KEY,
        deviceKey,
        SealedState.deviceKeyFingerprint(deviceKey),
        label,
        plaintext,
        random,
        gcmProvider);
  }

  /** Opens what {@link #sealWithDeviceKey} sealed under the same label. */
  SecretBytes openWithDeviceKey(String label, byte[] sealed) {
    return SealedState.open(
        SealedState.UNDER_DEVICE_KEY,
        deviceKey,
        SealedState.deviceKeyFingerprint(deviceKey),
        label,
        sealed,
        gcmProvider);
  }

  /**
   * Seals a secret shared by the members of a cluster (not a keyring object) under the SMK: any HSM
   * holding the same SMK can open it under the same label. Never confused with an SKS blob (other
   * magic, other associated data). See {@link SealedState}.
   */
  byte[] sealWithSmk(String label, SecretBytes plaintext) {
    ActiveSmk s = requireSmk();
    return SealedState.seal(
        SealedState.UNDER_SMK, s.key, s.fingerprint, label, plaintext, random, gcmProvider);
  }

  /** Opens what {@link #sealWithSmk} sealed under the same label. */
  SecretBytes openWithSmk(String label, byte[] sealed) {
    ActiveSmk s = requireSmk();
    return SealedState.open(
        SealedState.UNDER_SMK, s.key, s.fingerprint, label, sealed, gcmProvider);
  }

  // ---------------------------------------------------------------- SMK cloning

  /**
   * Joiner side: makes a one-time EC P-256 key pair, keeps the private half as the one pending
   * clone (replacing any earlier one) and returns the public half (X.509 DER).
   */
  byte[] beginClone() {
    KeyPair kp = SmkClone.newKeyPair(random);
    byte[] pub = kp.getPublic().getEncoded();
    synchronized (this) {
      pendingClone = new PendingClone(kp.getPrivate(), pub, nanoClock.getAsLong());
    }
    return pub.clone();
  }

  /**
   * Cluster side: encrypts the active SMK for the joiner's one-time public key. See {@link
   * SmkClone} for the bundle and what it is bound to.
   */
  byte[] exportClone(byte[] joinerPublicKey, UUID clusterId, String cloningDomainFingerprint) {
    SmkClone.requireBinding(clusterId, cloningDomainFingerprint);
    ActiveSmk s = requireSmk();
    PublicKey joiner = SmkClone.parsePublicKey(joinerPublicKey, "the joiner's public key");
    KeyPair sender = SmkClone.newKeyPair(random);
    byte[] senderPublic = sender.getPublic().getEncoded();
    byte[] iv = new byte[SmkClone.IV_LENGTH];
    random.nextBytes(iv);
    byte[] aad =
        SmkClone.associatedData(clusterId, cloningDomainFingerprint, senderPublic, joinerPublicKey);
    byte[] raw = s.key.getEncoded();
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", gcmProvider);
      gcm.init(
          Cipher.ENCRYPT_MODE,
          transportKey(sender.getPrivate(), joiner),
          new GCMParameterSpec(128, iv));
      gcm.updateAAD(aad);
      return SmkClone.encode(senderPublic, iv, gcm.doFinal(raw));
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "encrypting the SMK clone failed");
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  /**
   * Joiner side: takes the pending clone (it is gone afterwards, whatever happens), opens the
   * bundle, makes the SMK active and returns its protected form under this HSM's device key.
   * Refused when another SMK is active here: a member never silently swaps its SMK.
   */
  ProtectedSmk importClone(byte[] bundle, UUID clusterId, String cloningDomainFingerprint) {
    PendingClone pending;
    synchronized (this) {
      pending = pendingClone;
      pendingClone = null;
    }
    if (pending == null) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "no SMK clone is pending on this HSM: begin one, then import the bundle made for its"
              + " public key (each one is used once)");
    }
    if (nanoClock.getAsLong() - pending.startedNanos > SmkClone.PENDING_LIFETIME.toNanos()) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "the pending SMK clone expired ("
              + SmkClone.PENDING_LIFETIME.toMinutes()
              + " minutes after it was begun): begin a new one");
    }
    SmkClone.requireBinding(clusterId, cloningDomainFingerprint);
    SmkClone.Parsed parsed = SmkClone.parse(bundle);
    PublicKey sender = SmkClone.parsePublicKey(parsed.senderPublicKey(), null);
    byte[] aad =
        SmkClone.associatedData(
            clusterId, cloningDomainFingerprint, parsed.senderPublicKey(), pending.publicKey);
    byte[] raw;
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", gcmProvider);
      gcm.init(
          Cipher.DECRYPT_MODE,
          transportKey(pending.privateKey, sender),
          new GCMParameterSpec(128, parsed.iv()));
      gcm.updateAAD(aad);
      raw = gcm.doFinal(parsed.ciphertext());
    } catch (javax.crypto.AEADBadTagException e) {
      throw SmkClone.failed(ResultCode.CKR_FUNCTION_FAILED);
    } catch (GeneralSecurityException e) {
      throw SmkClone.failed(ResultCode.CKR_ARGUMENTS_BAD);
    }
    try {
      if (raw.length != 32) {
        throw SmkClone.failed(ResultCode.CKR_ARGUMENTS_BAD);
      }
      SecretKeySpec key = new SecretKeySpec(raw, "AES");
      byte[] fp = fingerprint(key);
      ActiveSmk current = smk;
      if (current != null && !MessageDigest.isEqual(current.fingerprint, fp)) {
        throw new HsmException(
            ResultCode.CKR_FUNCTION_FAILED,
            "this HSM already holds the SMK "
                + SksBlob.hex(current.fingerprint)
                + ", not the cluster's SMK "
                + SksBlob.hex(fp)
                + ": a factory reset of the cluster service must clear it before the member"
                + " joins another cluster");
      }
      ProtectedSmk p = protect(key, fp);
      smk = new ActiveSmk(key, fp);
      return p;
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "protecting the cloned SMK failed");
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  // ---------------------------------------------------------------- the cloning domain key

  /**
   * Derives the key of cloning domain {@code domain}, makes it this HSM's and returns it wrapped
   * (AES-KWP) under the device key, Base64, as the partition persists it.
   */
  String sealDomain(String domain) {
    byte[] key = CloningDomainKey.derive(domain);
    try {
      Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding", "SunJCE");
      kwp.init(Cipher.WRAP_MODE, deviceKey);
      String sealed =
          java.util.Base64.getEncoder().encodeToString(kwp.wrap(new SecretKeySpec(key, "AES")));
      replaceDomainKey(SecretBytes.adopt(key.clone()));
      return sealed;
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "sealing the cloning domain failed");
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /**
   * Unwraps the partition's sealed cloning domain key with the device key and makes it this HSM's.
   */
  void loadDomain(String sealed) {
    try {
      Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding", "SunJCE");
      kwp.init(Cipher.UNWRAP_MODE, deviceKey);
      replaceDomainKey(
          SecretBytes.adopt(
              kwp.unwrap(java.util.Base64.getDecoder().decode(sealed), "AES", Cipher.SECRET_KEY)
                  .getEncoded()));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "the stored cloning domain cannot be unwrapped with this HSM's device key");
    }
  }

  private void replaceDomainKey(SecretBytes next) {
    SecretBytes old = domainKey;
    domainKey = next;
    if (old != null) {
      old.destroy();
    }
  }

  /** This HSM's cloning domain key, or null before its partition was initialized. */
  SecretBytes domainKey() {
    return domainKey;
  }

  private SecretBytes requireDomainKey() {
    SecretBytes k = domainKey;
    if (k == null) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "this HSM's partition holds no cloning domain key (it was initialized before clones were"
              + " bound to the domain secret): initialize the partition again with its cloning"
              + " domain");
    }
    return k;
  }

  /**
   * AES-256 from ECDH(own private, peer public) and this HSM's cloning domain key through
   * HKDF-SHA256; the secrets are wiped.
   */
  private SecretKeySpec transportKey(PrivateKey own, PublicKey peer)
      throws GeneralSecurityException {
    byte[] domain = requireDomainKey().reveal(SecretKeyAccess.INSTANCE);
    KeyAgreement ka = KeyAgreement.getInstance("ECDH", "SunEC");
    ka.init(own);
    ka.doPhase(peer, true);
    byte[] shared = ka.generateSecret();
    byte[] okm = SmkClone.deriveKey(shared, domain);
    try {
      return new SecretKeySpec(okm, "AES");
    } finally {
      Arrays.fill(shared, (byte) 0);
      Arrays.fill(okm, (byte) 0);
    }
  }

  /**
   * {@code length} bytes derived from the active SMK with HKDF-SHA256 for one purpose ({@code
   * info}); the caller wipes them. Every member holding the SMK derives the same bytes.
   */
  byte[] deriveFromSmk(byte[] info, int length) {
    ActiveSmk s = requireSmk();
    byte[] raw = s.key.getEncoded();
    try {
      org.bouncycastle.crypto.generators.HKDFBytesGenerator hkdf =
          new org.bouncycastle.crypto.generators.HKDFBytesGenerator(
              new org.bouncycastle.crypto.digests.SHA256Digest());
      hkdf.init(new org.bouncycastle.crypto.params.HKDFParameters(raw, s.fingerprint, info));
      byte[] okm = new byte[length];
      hkdf.generateBytes(okm, 0, length);
      return okm;
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  private ActiveSmk requireSmk() {
    ActiveSmk s = smk;
    if (s == null) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR,
          "this HSM's partition holds no SMK yet: create or join a cluster first");
    }
    return s;
  }

  private static byte[] fingerprint(SecretKeySpec key) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256", "SunJCE");
    mac.init(new SecretKeySpec(key.getEncoded(), "HmacSHA256"));
    return Arrays.copyOf(mac.doFinal(FINGERPRINT_LABEL), 8);
  }
}
