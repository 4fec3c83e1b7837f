package dev.keyring.sim.boundary;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ObjectRecord;
import dev.keyring.store.ReplicatedWriter;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The HSM boundary: the only place where plaintext key material exists. Keys are generated here or
 * enter here wrapped; their secret parts leave only as SKS blobs sealed under the SMK. Callers name
 * objects by keyring and handle and get back public records, signatures, ciphertexts and plaintexts
 * of their data — never key material.
 *
 * <p>This class is the façade of the room; each family of operations is its own class: {@link
 * KeyGeneration}, {@link SignOperations}, {@link CipherOperations}, {@link KeyWrapOperations},
 * {@link KeyDerivation}, over {@link KeyringObjects} (objects loaded and sealed), {@link
 * ObjectTemplates} (attribute rules) and {@link KeyImport} (plaintext becoming an object).
 *
 * <p>Unwrapped keys are cached (bounded, {@link UnwrappedKeyCache}); an object's entry is dropped
 * when it is destroyed or changed, a keyring's when {@link #evictKeyring(UUID)} is called (last
 * session logged out), and every dropped key is wiped.
 *
 * <p>Permissions follow the object's attributes: signing needs CKA_SIGN, decryption CKA_DECRYPT,
 * wrapping CKA_WRAP, unwrapping CKA_UNWRAP. Keyrings have no CKA_ENCRYPT, CKA_VERIFY or CKA_DERIVE
 * attributes: a symmetric key with CKA_DECRYPT may also encrypt; verification and public-key
 * encryption need no flag; an EC private key without CKA_SIGN derives. The key model that keeps
 * every key's value from callers (only AES keys generated here wrap, wrapping keys do not decrypt,
 * private and wrapping keys never leave) is {@link KeyUseRules}.
 */
public final class Boundary implements AutoCloseable {
  private static final int MAX_RANDOM = 1 << 16;

  private final CryptoEngines engines;
  private final Drbg drbg;
  private final SmkVault vault;
  private final UnwrappedKeyCache cache;
  private final KeyringObjects objects;
  private final KeyGeneration generation;
  private final SignOperations signing;
  private final CipherOperations ciphers;
  private final KeyWrapOperations wrapping;
  private final KeyDerivation derivation;
  private final ObjectCloning cloning;

  private Boundary(BoundaryConfig config, KeyringStore store, ReplicatedWriter writer) {
    Objects.requireNonNull(store, "store");
    this.engines = CryptoEngines.select(config.engineOverrides());
    this.drbg = Drbg.open();
    this.vault =
        SmkVault.open(
            config.deviceKeyFile(), drbg.secureRandom(), engines.provider(EngineFamily.AES_GCM));
    this.cache = new UnwrappedKeyCache(config.maxCachedKeys());
    this.objects = new KeyringObjects(store, writer, vault, cache);
    KeyImport imports = new KeyImport(objects);
    RsaCiphers rsa = new RsaCiphers(engines);
    this.generation = new KeyGeneration(engines, drbg, objects);
    this.signing = new SignOperations(engines, objects);
    this.ciphers = new CipherOperations(engines, drbg, objects, rsa);
    this.wrapping = new KeyWrapOperations(engines, objects, imports, rsa);
    this.derivation = new KeyDerivation(engines, objects, imports);
    this.cloning =
        new ObjectCloning(
            vault, drbg.secureRandom(), engines.provider(EngineFamily.AES_GCM), objects, store);
  }

  /** Opens the boundary over a member's store; picks the crypto engines (once per JVM). */
  public static Boundary open(BoundaryConfig config, KeyringStore store) {
    return new Boundary(config, store, ReplicatedWriter.local(store));
  }

  /**
   * Opens the boundary over a member's store, writing keyring objects through {@code writer} (the
   * member's cluster service, which replicates them).
   */
  public static Boundary open(BoundaryConfig config, KeyringStore store, ReplicatedWriter writer) {
    return new Boundary(config, store, writer);
  }

  // ---------------------------------------------------------------- SMK

  /** Generates a new SMK inside, makes it active and returns its protected form to persist. */
  public ProtectedSmk createSmk() {
    cache.invalidateAll();
    return vault.create();
  }

  /** Loads the partition's protected SMK. */
  public void loadSmk(ProtectedSmk protectedSmk) {
    cache.invalidateAll();
    vault.load(protectedSmk);
  }

  public boolean hasSmk() {
    return vault.loaded();
  }

  /** The active SMK's fingerprint (16 hex digits), or null. */
  public String smkFingerprint() {
    return vault.fingerprint();
  }

  // ---------------------------------------------------------------- cluster backups

  /**
   * The key of a backup file, derived from {@code password} with scrypt (see {@link BackupCipher}).
   * The password is not kept.
   */
  public BackupCipher backupCipher(String password, byte[] salt, int logN, int r, int p) {
    return BackupCipher.derive(password, salt, logN, r, p);
  }

  /**
   * Seals a backup password under this HSM's device key, bound to {@code label}: what a member
   * keeps of the password of its scheduled backups. Only this HSM can open it.
   */
  public byte[] sealBackupPassword(String label, String password) {
    return vault.sealWithDeviceKey(
        label, SecretBytes.adopt(password.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  /**
   * The key of a backup file, derived from a password sealed by {@link #sealBackupPassword}; the
   * password is opened and used here only.
   */
  public BackupCipher backupCipherFromSealedPassword(
      String label, byte[] sealed, byte[] salt, int logN, int r, int p) {
    SecretBytes password = vault.openWithDeviceKey(label, sealed);
    byte[] pw = password.reveal(SecretKeyAccess.INSTANCE);
    try {
      return BackupCipher.derive(pw, salt, logN, r, p);
    } finally {
      java.util.Arrays.fill(pw, (byte) 0);
      password.destroy();
    }
  }

  /**
   * An object's SKS blob made in another cluster with the same SMK, sealed again for this member's
   * cluster (restoring a backup onto another cluster). The key stays inside; a blob that does not
   * open (another SMK, altered) fails with CKR_ENCRYPTED_DATA_INVALID.
   */
  public byte[] rebindBlob(
      byte[] blob,
      UUID fromCluster,
      UUID toCluster,
      UUID keyringId,
      UUID objectId,
      Attributes attributes) {
    KeyType type =
        attributes
            .keyType()
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_ENCRYPTED_DATA_INVALID,
                        "object " + objectId + " has a blob but no CKA_KEY_TYPE"));
    return vault.rebind(
        blob,
        fromCluster,
        toCluster,
        keyringId,
        objectId,
        attributes,
        type,
        "object " + objectId + " of keyring " + keyringId);
  }

  /** Forgets the SMK and every cached key (factory reset of the cluster service). */
  public void clearSmk() {
    cache.invalidateAll();
    vault.clear();
    objects.forgetClusterId();
  }

  // ---------------------------------------------------------------- SMK cloning

  /**
   * Derives the key of cloning domain {@code domain} (the partition's domain secret) inside the
   * boundary, makes it this HSM's, and returns it sealed under the device key for the partition to
   * persist. Every clone's transport key includes it.
   */
  public String sealCloningDomain(String domain) {
    return vault.sealDomain(domain);
  }

  /** Loads the partition's sealed cloning domain key ({@link #sealCloningDomain}). */
  public void loadCloningDomain(String sealed) {
    vault.loadDomain(sealed);
  }

  /**
   * Joiner side of an SMK clone: makes a one-time EC P-256 key pair inside and returns its public
   * half (X.509 DER). The private half never leaves; there is one pending clone at a time (a new
   * call replaces it), used by one {@link #importSmkClone} and expiring after 10 minutes.
   */
  public byte[] beginSmkClone() {
    return vault.beginClone();
  }

  /**
   * Cluster side of an SMK clone: encrypts the active SMK for the joiner's one-time public key,
   * bound to the cluster id and the cloning domain fingerprint (see {@link SmkClone}). Needs a
   * loaded SMK; a joiner key that is not an EC P-256 public key in X.509 DER is refused with
   * CKR_ARGUMENTS_BAD. The bundle reveals nothing without the joiner's pending private key.
   */
  public byte[] exportSmkClone(
      byte[] joinerPublicKey, UUID clusterId, String cloningDomainFingerprint) {
    return vault.exportClone(joinerPublicKey, clusterId, cloningDomainFingerprint);
  }

  /**
   * Joiner side of an SMK clone: opens the bundle with the pending private key, which is destroyed
   * whatever the outcome. Another cluster id or cloning domain, or an altered bundle, is refused
   * (CKR_FUNCTION_FAILED, or CKR_ARGUMENTS_BAD when malformed) with "the SMK could not be cloned:
   * cloning domains differ or the bundle was altered"; no pending clone, or another SMK already
   * active here, with CKR_FUNCTION_FAILED. On success the SMK becomes active (as {@link #loadSmk})
   * and its protected form under this HSM's device key is returned for the partition to persist.
   */
  public ProtectedSmk importSmkClone(
      byte[] bundle, UUID clusterId, String cloningDomainFingerprint) {
    ProtectedSmk smk = vault.importClone(bundle, clusterId, cloningDomainFingerprint);
    cache.invalidateAll();
    objects.forgetClusterId();
    return smk;
  }

  /** The SMK vault, for the member PKI, which seals its keys under the SMK or the device key. */
  SmkVault vault() {
    return vault;
  }

  /** The HSM's random bit generator. */
  Drbg drbg() {
    return drbg;
  }

  /** Which engine serves each family, and why faster ones were passed over. */
  public EngineReport engines() {
    return engines.report();
  }

  public CacheStats cacheStats() {
    return cache.stats();
  }

  // ---------------------------------------------------------------- objects

  /** Generates a key pair inside and stores both halves in one transaction. */
  public KeyPairObjects generateKeyPair(
      UUID keyringId, KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate) {
    return generation.generateKeyPair(keyringId, params, publicTemplate, privateTemplate);
  }

  /**
   * Generates one key pair inside per template (applied to both halves, as {@link
   * #generateKeyPair}'s templates are) and stores them all in one transaction: a keyring filled
   * with real keys at the cost of one batch of inserts. The new private keys are not cached. 1 to
   * 128 pairs (CKR_ARGUMENTS_BAD otherwise); refused whole with CKR_DEVICE_MEMORY when the keyring
   * would hold more than 256 objects.
   */
  public List<KeyPairObjects> generateKeyPairs(
      UUID keyringId, KeyGenParams params, List<Attributes> templates) {
    return generation.generateKeyPairs(keyringId, params, List.copyOf(templates));
  }

  /** Generates an AES or generic secret key inside. */
  public ObjectRecord generateKey(UUID keyringId, KeyGenParams params, Attributes template) {
    return generation.generateKey(keyringId, params, template);
  }

  /**
   * Creates an object with no secret part: a public key (RSA: CKA_MODULUS and CKA_PUBLIC_EXPONENT;
   * EC and Ed25519: CKA_ECDSA_PARAMS and CKA_EC_POINT), a certificate (CKA_VALUE: DER X.509) or a
   * data object (CKA_VALUE). Private and secret keys enter only through {@link #unwrapKey}.
   */
  public ObjectRecord createObject(UUID keyringId, Attributes template) {
    ObjectClass c = ObjectTemplates.requireClass(template);
    return objects.insertPublic(keyringId, c, ObjectTemplates.objectWithoutSecret(c, template));
  }

  /**
   * Imports a wrapped private key (PKCS#8) or secret key (raw bytes), unwrapping it with a key of
   * the keyring: AES-KWP under an AES key, or RSA-OAEP / RSA PKCS#1 v1.5 under an RSA private key.
   * The template must give CKA_CLASS and CKA_KEY_TYPE.
   */
  public ObjectRecord unwrapKey(
      UUID keyringId,
      long unwrappingKey,
      Mechanism mechanism,
      MechanismParams params,
      byte[] wrapped,
      Attributes template) {
    return wrapping.unwrapKey(keyringId, unwrappingKey, mechanism, params, wrapped, template);
  }

  /**
   * Wraps a secret key (raw bytes) with AES-KWP under an AES key generated on the keyring with
   * CKA_WRAP; see {@link KeyUseRules} for which keys wrap and which leave.
   */
  public byte[] wrapKey(
      UUID keyringId, long wrappingKey, Mechanism mechanism, MechanismParams params, long key) {
    return wrapping.wrapKey(keyringId, wrappingKey, mechanism, params, key);
  }

  /**
   * ECDH (CKM_ECDH1_DERIVE, no KDF): derives a secret key from an EC private key without CKA_SIGN
   * and the peer's public key. The template's CKA_KEY_TYPE may be GENERIC_SECRET (default) or AES
   * when the shared secret is 16, 24 or 32 bytes; the derived key never wraps.
   */
  public ObjectRecord deriveKey(
      UUID keyringId,
      long baseKey,
      Mechanism mechanism,
      MechanismParams params,
      Attributes template) {
    return derivation.deriveKey(keyringId, baseKey, mechanism, params, template);
  }

  /** Changes CKA_LABEL, CKA_ID or CKA_TOKEN; the blob is sealed again over the new attributes. */
  public ObjectRecord setAttributes(UUID keyringId, long handle, Attributes changes) {
    return objects.setAttributes(keyringId, handle, changes);
  }

  /** Destroys an object. */
  public void destroyObject(UUID keyringId, long handle) {
    objects.destroy(keyringId, handle);
  }

  /** Drops every cached key of the keyring (its last session logged out, or it was deleted). */
  public void evictKeyring(UUID keyringId) {
    cache.invalidateKeyring(keyringId);
  }

  /** Drops one cached key (the object changed or was deleted elsewhere). */
  public void evictObject(UUID keyringId, long handle) {
    cache.invalidate(keyringId, handle);
  }

  // ---------------------------------------------------------------- object cloning

  /**
   * The cluster's cloning public key (X.509 DER, EC P-256), derived from the SMK: every member of
   * the cluster offers the same one, and opens clones made for it ({@link ObjectClone}).
   */
  public byte[] cloningPublicKey() {
    return cloning.cloningPublicKey();
  }

  /**
   * Encrypts object {@code handle} of the keyring for the cluster whose cloning public key is
   * {@code targetPublicKey}, bound to {@code cloningDomainFingerprint} (this HSM's): only a member
   * of that cluster and of the same cloning domain opens it.
   */
  public byte[] cloneObjectOut(
      UUID keyringId, long handle, byte[] targetPublicKey, String cloningDomainFingerprint) {
    return cloning.cloneOut(keyringId, handle, targetPublicKey, cloningDomainFingerprint);
  }

  /**
   * Opens an object clone made for this cluster and stores the object in the keyring, sealed under
   * this cluster's SMK, with its object id, attributes and origin; refused with "the object clone
   * could not be opened: …" when the cloning domains differ or the bundle was altered. {@code
   * admit} is shown the object's class before it is stored and throws to refuse it.
   */
  public ObjectRecord cloneObjectIn(
      UUID keyringId,
      byte[] bundle,
      String cloningDomainFingerprint,
      java.util.function.Consumer<ObjectClass> admit) {
    return cloning.cloneIn(keyringId, bundle, cloningDomainFingerprint, admit);
  }

  // ---------------------------------------------------------------- operations

  /** Signs (or MACs, with an HMAC mechanism) {@code data}. */
  public byte[] sign(
      UUID keyringId, long key, Mechanism mechanism, MechanismParams params, byte[] data) {
    return signing.sign(keyringId, key, mechanism, params, data);
  }

  /**
   * Verifies a signature (or MAC) with a public key object, the public part of a private key, or an
   * HMAC key. A bad signature throws CKR_SIGNATURE_INVALID (CKR_SIGNATURE_LEN_RANGE when its length
   * cannot be right).
   */
  public void verify(
      UUID keyringId,
      long key,
      Mechanism mechanism,
      MechanismParams params,
      byte[] data,
      byte[] signature) {
    signing.verify(keyringId, key, mechanism, params, data, signature);
  }

  /**
   * Encrypts. AES-GCM and AES-CBC-PAD with no IV in the parameters generate one inside and return
   * it in front of the ciphertext; RSA-OAEP uses the public part of the key.
   */
  public byte[] encrypt(
      UUID keyringId, long key, Mechanism mechanism, MechanismParams params, byte[] data) {
    return ciphers.encrypt(keyringId, key, mechanism, params, data);
  }

  /**
   * Decrypts; every authentication or padding failure is the same CKR_ENCRYPTED_DATA_INVALID,
   * except CKM_RSA_PKCS with {@link MechanismParams.TlsPremaster} parameters, which never fails on
   * the ciphertext's content: it answers 48 bytes whatever the padding was ({@link
   * TlsPremasterDecrypt}).
   */
  public byte[] decrypt(
      UUID keyringId, long key, Mechanism mechanism, MechanismParams params, byte[] data) {
    return ciphers.decrypt(keyringId, key, mechanism, params, data);
  }

  /** Random bytes from the HSM's DRBG (1 to 65,536 per call). */
  public byte[] random(int length) {
    if (length < 1 || length > MAX_RANDOM) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "random length must be 1 to " + MAX_RANDOM + ", got " + length);
    }
    return drbg.bytes(length);
  }

  @Override
  public void close() {
    cache.invalidateAll();
  }
}
