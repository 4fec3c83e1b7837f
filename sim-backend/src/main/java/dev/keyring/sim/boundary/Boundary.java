package dev.keyring.sim.boundary;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ObjectRecord;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.math.ec.ECPoint;

/**
 * The HSM boundary: the only place where plaintext key material exists. Keys are generated here or
 * enter here wrapped; their secret parts leave only as SKS blobs sealed under the SMK. Callers name
 * objects by keyring and handle and get back public records, signatures, ciphertexts and plaintexts
 * of their data — never key material.
 *
 * <p>Unwrapped keys are cached (bounded); an object's entry is dropped when it is destroyed or
 * changed, a keyring's when {@link #evictKeyring(UUID)} is called (last session logged out).
 *
 * <p>Permissions follow the object's attributes: signing needs CKA_SIGN, decryption CKA_DECRYPT,
 * wrapping CKA_WRAP, unwrapping CKA_UNWRAP. Keyrings have no CKA_ENCRYPT, CKA_VERIFY or CKA_DERIVE
 * attributes: a symmetric key with CKA_DECRYPT may also encrypt; verification and public-key
 * encryption need no flag; any EC private key may derive. Private keys are never wrapped out.
 */
public final class Boundary implements AutoCloseable {
  private static final int MAX_RANDOM = 1 << 16;

  private final KeyringStore store;
  private final dev.keyring.store.ReplicatedWriter writer;
  private final CryptoEngines engines;
  private final SmkVault vault;
  private final SecureRandom random;
  private final Cache<CacheKey, LoadedKey> cache;
  private final AtomicReference<UUID> clusterId = new AtomicReference<>();
  private MemberPki pki;

  private record CacheKey(UUID keyringId, long handle) {}

  private Boundary(
      BoundaryConfig config, KeyringStore store, dev.keyring.store.ReplicatedWriter writer) {
    this.writer = writer;
    this.store = Objects.requireNonNull(store, "store");
    this.engines = CryptoEngines.select(config.engineOverrides());
    this.random = newRandom();
    this.vault =
        SmkVault.open(config.deviceKeyFile(), random, engines.provider(EngineFamily.AES_GCM));
    this.cache = Caffeine.newBuilder().maximumSize(config.maxCachedKeys()).recordStats().build();
  }

  /** Opens the boundary over a member's store; picks the crypto engines (once per JVM). */
  public static Boundary open(BoundaryConfig config, KeyringStore store) {
    return new Boundary(config, store, dev.keyring.store.ReplicatedWriter.local(store));
  }

  /**
   * Opens the boundary over a member's store, writing keyring objects through {@code writer} (the
   * member's cluster service, which replicates them).
   */
  public static Boundary open(
      BoundaryConfig config, KeyringStore store, dev.keyring.store.ReplicatedWriter writer) {
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

  /** Forgets the SMK and every cached key (factory reset of the cluster service). */
  public void clearSmk() {
    cache.invalidateAll();
    vault.clear();
    clusterId.set(null);
  }

  // ---------------------------------------------------------------- SMK cloning

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
    this.clusterId.set(null);
    return smk;
  }

  /**
   * This member's PKI (appliance TLS identity, cluster CA, member and client certificates,
   * revocation), whose keys stay inside the boundary.
   */
  public synchronized MemberPki pki() {
    if (pki == null) {
      pki = new MemberPki(store, vault, random);
    }
    return pki;
  }

  /** Which engine serves each family, and why faster ones were passed over. */
  public EngineReport engines() {
    return engines.report();
  }

  public CacheStats cacheStats() {
    var s = cache.stats();
    return new CacheStats(s.hitCount(), s.missCount(), cache.estimatedSize());
  }

  // ---------------------------------------------------------------- objects

  /** Generates a key pair inside and stores both halves in one transaction. */
  public KeyPairObjects generateKeyPair(
      UUID keyringId, KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate) {
    KeyType type = params.keyType();
    if (type.isSecret()) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_INVALID, type + " keys are generated with generateKey");
    }
    KeyPair kp;
    try {
      switch (type) {
        case RSA:
          {
            KeyPairGenerator g =
                KeyPairGenerator.getInstance("RSA", engines.provider(EngineFamily.RSA_KEYGEN));
            g.initialize(
                new RSAKeyGenParameterSpec(params.bits(), RSAKeyGenParameterSpec.F4), random);
            kp = g.generateKeyPair();
            break;
          }
        case EC:
          {
            KeyPairGenerator g =
                KeyPairGenerator.getInstance("EC", engines.provider(EngineFamily.EC_KEYGEN));
            g.initialize(new ECGenParameterSpec(params.curve().jcaName()), random);
            kp = g.generateKeyPair();
            break;
          }
        default:
          kp =
              KeyPairGenerator.getInstance("Ed25519", engines.provider(EngineFamily.ED25519_KEYGEN))
                  .generateKeyPair();
      }
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "key pair generation failed", e);
    }
    Attributes pubAttrs = PublicKeyAttributes.of(jdkPublic(kp.getPublic(), type));
    SecretBytes pkcs8 = SecretBytes.adopt(kp.getPrivate().getEncoded());
    List<ObjectRecord> recs;
    try {
      Attributes pub =
          keyTemplate(publicTemplate, ObjectClass.PUBLIC_KEY, type, pubAttrs, defaultId(pubAttrs));
      Attributes priv =
          keyTemplate(
              privateTemplate, ObjectClass.PRIVATE_KEY, type, pubAttrs, defaultId(pubAttrs));
      UUID pubId = UUID.randomUUID();
      UUID privId = UUID.randomUUID();
      byte[] blob =
          vault.seal(SksBlob.KIND_PKCS8, type, pkcs8, clusterId(), keyringId, privId, priv);
      recs =
          writer.write(
              tx ->
                  List.of(
                      tx.insertObject(keyringId, pubId, ObjectClass.PUBLIC_KEY, pub, null),
                      tx.insertObject(keyringId, privId, ObjectClass.PRIVATE_KEY, priv, blob)));
    } catch (RuntimeException e) {
      pkcs8.destroy(); // the key pair was not stored
      throw e;
    }
    cache.put(key(recs.get(1)), new LoadedKey(recs.get(1), pkcs8));
    return new KeyPairObjects(recs.get(0), recs.get(1));
  }

  /** Generates an AES or generic secret key inside. */
  public ObjectRecord generateKey(UUID keyringId, KeyGenParams params, Attributes template) {
    KeyType type = params.keyType();
    if (!type.isSecret()) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_INVALID, type + " keys are generated with generateKeyPair");
    }
    byte[] raw = new byte[params.bits() / 8];
    random.nextBytes(raw);
    Attributes attrs =
        keyTemplate(template, ObjectClass.SECRET_KEY, type, Attributes.empty(), null);
    return insertSecret(keyringId, ObjectClass.SECRET_KEY, type, attrs, SecretBytes.adopt(raw));
  }

  /**
   * Creates an object with no secret part: a public key (RSA: CKA_MODULUS and CKA_PUBLIC_EXPONENT;
   * EC and Ed25519: CKA_ECDSA_PARAMS and CKA_EC_POINT), a certificate (CKA_VALUE: DER X.509) or a
   * data object (CKA_VALUE). Private and secret keys enter only through {@link #unwrapKey}.
   */
  public ObjectRecord createObject(UUID keyringId, Attributes template) {
    ObjectClass c =
        template
            .objectClass()
            .orElseThrow(
                () ->
                    new HsmException(ResultCode.CKR_TEMPLATE_INCOMPLETE, "CKA_CLASS is required"));
    Attributes attrs = template;
    switch (c) {
      case PRIVATE_KEY:
      case SECRET_KEY:
        throw new HsmException(
            ResultCode.CKR_TEMPLATE_INCONSISTENT,
            "private and secret keys cannot be created in the clear; generate them inside the"
                + " keyring or import them wrapped (unwrapKey)");
      case PUBLIC_KEY:
        {
          PublicKey pk = PublicKeyAttributes.toPublicKey(template); // validates
          for (AttributeType t :
              List.of(
                  AttributeType.CKA_SIGN, AttributeType.CKA_DECRYPT, AttributeType.CKA_UNWRAP)) {
            if (template.flag(t, false)) {
              throw new HsmException(
                  ResultCode.CKR_TEMPLATE_INCONSISTENT, t + " cannot be set on a public key");
            }
          }
          if (template.has(AttributeType.CKA_VALUE)) {
            throw new HsmException(
                ResultCode.CKR_TEMPLATE_INCONSISTENT, "a public key object takes no CKA_VALUE");
          }
          Attributes pubAttrs = PublicKeyAttributes.of(pk);
          attrs = template.merge(pubAttrs);
          if (!attrs.has(AttributeType.CKA_ID)) {
            attrs = attrs.with(AttributeType.CKA_ID, defaultId(pubAttrs));
          }
          break;
        }
      case CERTIFICATE:
        {
          byte[] der =
              template
                  .bytes(AttributeType.CKA_VALUE)
                  .orElseThrow(
                      () ->
                          new HsmException(
                              ResultCode.CKR_TEMPLATE_INCOMPLETE,
                              "a certificate needs CKA_VALUE (DER X.509)"));
          try {
            CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(der));
          } catch (CertificateException e) {
            throw new HsmException(
                ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
                "CKA_VALUE is not a DER X.509 certificate: " + e.getMessage());
          }
          rejectKeyAttributes(template, "a certificate");
          break;
        }
      default:
        rejectKeyAttributes(template, "a data object");
    }
    if (!attrs.has(AttributeType.CKA_TOKEN)) {
      attrs = attrs.with(AttributeType.CKA_TOKEN, true);
    }
    Attributes fin = attrs;
    UUID id = UUID.randomUUID();
    return writer.write(tx -> tx.insertObject(keyringId, id, c, fin, null));
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
    ObjectClass c =
        template
            .objectClass()
            .orElseThrow(
                () ->
                    new HsmException(ResultCode.CKR_TEMPLATE_INCOMPLETE, "CKA_CLASS is required"));
    KeyType type =
        template
            .keyType()
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_TEMPLATE_INCOMPLETE, "CKA_KEY_TYPE is required"));
    if (!c.hasSecretPart() || (c == ObjectClass.SECRET_KEY) != type.isSecret()) {
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCONSISTENT,
          "unwrap makes private keys (RSA, EC, EC_EDWARDS) or secret keys (AES, GENERIC_SECRET);"
              + " got "
              + c
              + " "
              + type);
    }
    LoadedKey k = load(keyringId, unwrappingKey);
    requireFlag(k, AttributeType.CKA_UNWRAP, "unwrap");
    byte[] plain;
    try {
      switch (mechanism) {
        case CKM_AES_KEY_WRAP_KWP:
          requireType(k, ObjectClass.SECRET_KEY, KeyType.AES, mechanism);
          {
            Cipher kwp =
                Cipher.getInstance("AES/KWP/NoPadding", engines.provider(EngineFamily.AES_KWP));
            kwp.init(Cipher.DECRYPT_MODE, k.secretKey("AES"));
            plain = kwp.doFinal(wrapped);
          }
          break;
        case CKM_RSA_PKCS_OAEP:
          requireType(k, ObjectClass.PRIVATE_KEY, KeyType.RSA, mechanism);
          plain = rsaOaep(Cipher.DECRYPT_MODE, k, oaep(params), wrapped);
          break;
        case CKM_RSA_PKCS:
          requireType(k, ObjectClass.PRIVATE_KEY, KeyType.RSA, mechanism);
          if (params instanceof MechanismParams.TlsPremaster) {
            throw new HsmException(
                ResultCode.CKR_MECHANISM_PARAM_INVALID,
                "TLS premaster parameters belong to CKM_RSA_PKCS decrypt, not to unwrap");
          }
          {
            Cipher rsa =
                Cipher.getInstance(
                    "RSA/ECB/PKCS1Padding", engines.provider(EngineFamily.RSA_PKCS1_DECRYPT));
            rsa.init(
                Cipher.DECRYPT_MODE,
                k.privateKey(engines.provider(EngineFamily.RSA_PKCS1_DECRYPT)));
            plain = rsa.doFinal(wrapped);
          }
          break;
        default:
          throw new HsmException(
              ResultCode.CKR_MECHANISM_INVALID, mechanism + " cannot unwrap keys");
      }
    } catch (HsmException e) {
      throw e;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_WRAPPED_KEY_INVALID,
          "the wrapped key could not be unwrapped with " + k.describe());
    }
    SecretBytes secret = SecretBytes.adopt(plain);
    if (c == ObjectClass.SECRET_KEY) {
      try {
        checkSecretLength(type, secret.length());
        Attributes attrs = keyTemplate(template, c, type, Attributes.empty(), null);
        return insertSecret(keyringId, c, type, attrs, secret);
      } catch (RuntimeException e) {
        secret.destroy();
        throw e;
      }
    }
    ImportedPrivateKey imported;
    try {
      imported = parsePrivate(type, secret);
    } finally {
      secret.destroy();
    }
    Attributes attrs;
    try {
      attrs = keyTemplate(template, c, type, imported.publicAttrs, defaultId(imported.publicAttrs));
    } catch (RuntimeException e) {
      imported.pkcs8.destroy();
      throw e;
    }
    return insertSecret(keyringId, c, type, attrs, imported.pkcs8);
  }

  /** Wraps a secret key (raw bytes) under a key with CKA_WRAP: AES-KWP or RSA-OAEP. */
  public byte[] wrapKey(
      UUID keyringId, long wrappingKey, Mechanism mechanism, MechanismParams params, long key) {
    LoadedKey w = load(keyringId, wrappingKey);
    LoadedKey target = load(keyringId, key);
    requireFlag(w, AttributeType.CKA_WRAP, "wrap");
    if (target.objectClass != ObjectClass.SECRET_KEY) {
      throw new HsmException(
          ResultCode.CKR_KEY_UNEXTRACTABLE,
          target.describe()
              + " is a "
              + target.objectClass
              + "; only secret keys can be wrapped"
              + " out of a keyring, private keys never leave it");
    }
    byte[] raw = target.secret().reveal(SecretKeyAccess.INSTANCE);
    try {
      switch (mechanism) {
        case CKM_AES_KEY_WRAP_KWP:
          {
            requireType(w, ObjectClass.SECRET_KEY, KeyType.AES, mechanism);
            Cipher kwp =
                Cipher.getInstance("AES/KWP/NoPadding", engines.provider(EngineFamily.AES_KWP));
            kwp.init(Cipher.ENCRYPT_MODE, w.secretKey("AES"));
            return kwp.doFinal(raw);
          }
        case CKM_RSA_PKCS_OAEP:
          if (w.keyType != KeyType.RSA) {
            throw typeMismatch(w, mechanism);
          }
          return rsaOaep(Cipher.ENCRYPT_MODE, w, oaep(params), raw);
        default:
          throw new HsmException(ResultCode.CKR_MECHANISM_INVALID, mechanism + " cannot wrap keys");
      }
    } catch (HsmException e) {
      throw e;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(ResultCode.CKR_FUNCTION_FAILED, "wrapping failed: " + e.getMessage());
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  /**
   * ECDH (CKM_ECDH1_DERIVE, no KDF): derives a secret key from an EC private key and the peer's
   * public key. The template's CKA_KEY_TYPE may be GENERIC_SECRET (default) or AES when the shared
   * secret is 16, 24 or 32 bytes.
   */
  public ObjectRecord deriveKey(
      UUID keyringId,
      long baseKey,
      Mechanism mechanism,
      MechanismParams params,
      Attributes template) {
    if (mechanism != Mechanism.CKM_ECDH1_DERIVE) {
      throw new HsmException(ResultCode.CKR_MECHANISM_INVALID, mechanism + " cannot derive keys");
    }
    if (!(params instanceof MechanismParams.Ecdh)) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "ECDH needs the peer's public key");
    }
    LoadedKey k = load(keyringId, baseKey);
    requireType(k, ObjectClass.PRIVATE_KEY, KeyType.EC, mechanism);
    Curve curve =
        Curve.fromOidDer(k.record.attributes().bytes(AttributeType.CKA_ECDSA_PARAMS).get());
    Provider p = engines.provider(EngineFamily.ECDH);
    PublicKey peer = parsePeer(((MechanismParams.Ecdh) params).peerPublicKey(), curve, p);
    byte[] shared;
    try {
      KeyAgreement ka = KeyAgreement.getInstance("ECDH", p);
      ka.init(k.privateKey(p));
      ka.doPhase(peer, true);
      shared = ka.generateSecret();
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "ECDH with this peer key failed");
    }
    KeyType type = template.keyType().orElse(KeyType.GENERIC_SECRET);
    if (!type.isSecret()) {
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCONSISTENT, "ECDH derives AES or GENERIC_SECRET keys");
    }
    SecretBytes secret = SecretBytes.adopt(shared);
    Attributes attrs;
    try {
      checkSecretLength(type, secret.length());
      attrs =
          keyTemplate(
              template.without(AttributeType.CKA_CLASS).without(AttributeType.CKA_KEY_TYPE),
              ObjectClass.SECRET_KEY,
              type,
              Attributes.empty(),
              null);
    } catch (RuntimeException e) {
      secret.destroy();
      throw e;
    }
    return insertSecret(keyringId, ObjectClass.SECRET_KEY, type, attrs, secret);
  }

  /** Changes CKA_LABEL, CKA_ID or CKA_TOKEN; the blob is sealed again over the new attributes. */
  public ObjectRecord setAttributes(UUID keyringId, long handle, Attributes changes) {
    for (AttributeType t : changes.types()) {
      if (t != AttributeType.CKA_LABEL
          && t != AttributeType.CKA_ID
          && t != AttributeType.CKA_TOKEN) {
        throw new HsmException(
            ResultCode.CKR_ATTRIBUTE_READ_ONLY,
            t + " cannot be changed after creation; only CKA_LABEL, CKA_ID and CKA_TOKEN can");
      }
    }
    LoadedKey k = load(keyringId, handle);
    Attributes next = k.record.attributes().merge(changes);
    byte[] blob =
        k.hasSecret()
            ? vault.seal(
                k.record.blob()[5],
                k.keyType,
                k.secret(),
                clusterId(),
                keyringId,
                k.record.objectId(),
                next)
            : null;
    ObjectRecord updated = k.record.withAttributesAndBlob(next, blob);
    writer.write(
        tx -> {
          tx.updateObject(updated);
          return null;
        });
    cache.invalidate(key(k.record));
    return updated;
  }

  /** Destroys an object. */
  public void destroyObject(UUID keyringId, long handle) {
    boolean deleted = writer.write(tx -> tx.deleteObject(keyringId, handle));
    cache.invalidate(new CacheKey(keyringId, handle));
    if (!deleted) {
      throw new HsmException(
          ResultCode.CKR_OBJECT_HANDLE_INVALID,
          "keyring " + keyringId + " has no object with handle " + handle);
    }
  }

  /** Drops every cached key of the keyring (its last session logged out, or it was deleted). */
  public void evictKeyring(UUID keyringId) {
    cache.asMap().keySet().removeIf(k -> k.keyringId().equals(keyringId));
  }

  /** Drops one cached key (the object changed or was deleted elsewhere). */
  public void evictObject(UUID keyringId, long handle) {
    cache.invalidate(new CacheKey(keyringId, handle));
  }

  // ---------------------------------------------------------------- operations

  /** Signs (or MACs, with an HMAC mechanism) {@code data}. */
  public byte[] sign(
      UUID keyringId, long key, Mechanism mechanism, MechanismParams params, byte[] data) {
    LoadedKey k = load(keyringId, key);
    requireFlag(k, AttributeType.CKA_SIGN, "sign");
    try {
      if (mechanism.use() == Mechanism.Use.MAC) {
        requireType(k, ObjectClass.SECRET_KEY, KeyType.GENERIC_SECRET, mechanism);
        return mac(k, mechanism, data);
      }
      requireType(k, ObjectClass.PRIVATE_KEY, signKeyType(mechanism), mechanism);
      EngineFamily f = signFamily(mechanism);
      Provider p = engines.provider(f);
      Signature s = signature(mechanism, params, p);
      s.initSign(k.privateKey(p));
      s.update(data);
      return s.sign();
    } catch (HsmException e) {
      throw e;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "signing with " + k.describe() + " failed: " + e.getMessage());
    }
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
    LoadedKey k = load(keyringId, key);
    boolean ok;
    try {
      if (mechanism.use() == Mechanism.Use.MAC) {
        requireType(k, ObjectClass.SECRET_KEY, KeyType.GENERIC_SECRET, mechanism);
        requireFlag(k, AttributeType.CKA_SIGN, "verify a MAC");
        byte[] mac = mac(k, mechanism, data);
        if (signature.length != mac.length) {
          throw new HsmException(
              ResultCode.CKR_SIGNATURE_LEN_RANGE,
              "MAC must be " + mac.length + " bytes, got " + signature.length);
        }
        ok = MessageDigest.isEqual(mac, signature);
      } else {
        if (k.keyType != signKeyType(mechanism)
            || (k.objectClass != ObjectClass.PUBLIC_KEY
                && k.objectClass != ObjectClass.PRIVATE_KEY)) {
          throw typeMismatch(k, mechanism);
        }
        Provider p = engines.provider(signFamily(mechanism));
        PublicKey pub = k.publicKey(p);
        if (k.keyType == KeyType.RSA) {
          int modLen = (k.record.attributes().bytes(AttributeType.CKA_MODULUS).get().length);
          if (signature.length != modLen) {
            throw new HsmException(
                ResultCode.CKR_SIGNATURE_LEN_RANGE,
                "an RSA signature with this key is " + modLen + " bytes, got " + signature.length);
          }
        }
        Signature s = signature(mechanism, params, p);
        s.initVerify(pub);
        s.update(data);
        try {
          ok = s.verify(signature);
        } catch (SignatureException | RuntimeException e) {
          ok = false;
        }
      }
    } catch (HsmException e) {
      throw e;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "verifying with " + k.describe() + " failed: " + e.getMessage());
    }
    if (!ok) {
      throw new HsmException(ResultCode.CKR_SIGNATURE_INVALID, "the signature does not verify");
    }
  }

  /**
   * Encrypts. AES-GCM and AES-CBC-PAD with no IV in the parameters generate one inside and return
   * it in front of the ciphertext; RSA-OAEP uses the public part of the key.
   */
  public byte[] encrypt(
      UUID keyringId, long key, Mechanism mechanism, MechanismParams params, byte[] data) {
    LoadedKey k = load(keyringId, key);
    try {
      switch (mechanism) {
        case CKM_AES_GCM:
          {
            requireType(k, ObjectClass.SECRET_KEY, KeyType.AES, mechanism);
            requireFlag(k, AttributeType.CKA_DECRYPT, "encrypt (keyring keys have no CKA_ENCRYPT)");
            MechanismParams.Gcm g = gcm(params);
            boolean generated = !g.hasIv();
            byte[] iv = generated ? randomBytes(12) : g.iv();
            Cipher c = gcmCipher(iv.length);
            c.init(Cipher.ENCRYPT_MODE, k.secretKey("AES"), new GCMParameterSpec(g.tagBits(), iv));
            c.updateAAD(g.aad());
            byte[] ct = c.doFinal(data);
            return generated ? concat(iv, ct) : ct;
          }
        case CKM_AES_CBC_PAD:
          {
            requireType(k, ObjectClass.SECRET_KEY, KeyType.AES, mechanism);
            requireFlag(k, AttributeType.CKA_DECRYPT, "encrypt (keyring keys have no CKA_ENCRYPT)");
            MechanismParams.Cbc cbc = cbc(params);
            boolean generated = !cbc.hasIv();
            byte[] iv = generated ? randomBytes(16) : cbc.iv();
            Cipher c =
                Cipher.getInstance("AES/CBC/PKCS5Padding", engines.provider(EngineFamily.AES_CBC));
            c.init(Cipher.ENCRYPT_MODE, k.secretKey("AES"), new IvParameterSpec(iv));
            byte[] ct = c.doFinal(data);
            return generated ? concat(iv, ct) : ct;
          }
        case CKM_RSA_PKCS_OAEP:
          if (k.keyType != KeyType.RSA) {
            throw typeMismatch(k, mechanism);
          }
          return rsaOaep(Cipher.ENCRYPT_MODE, k, oaep(params), data);
        default:
          throw new HsmException(
              ResultCode.CKR_MECHANISM_INVALID,
              mechanism + " cannot encrypt; use CKM_AES_GCM, CKM_AES_CBC_PAD or CKM_RSA_PKCS_OAEP");
      }
    } catch (javax.crypto.IllegalBlockSizeException e) {
      throw new HsmException(
          ResultCode.CKR_DATA_LEN_RANGE, "the data is too long for " + mechanism);
    } catch (HsmException e) {
      throw e;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED, "encryption failed: " + e.getMessage());
    }
  }

  /**
   * Decrypts; every authentication or padding failure is the same CKR_ENCRYPTED_DATA_INVALID,
   * except CKM_RSA_PKCS with {@link MechanismParams.TlsPremaster} parameters, which never fails on
   * the ciphertext's content: it answers 48 bytes whatever the padding was.
   */
  public byte[] decrypt(
      UUID keyringId, long key, Mechanism mechanism, MechanismParams params, byte[] data) {
    LoadedKey k = load(keyringId, key);
    requireFlag(k, AttributeType.CKA_DECRYPT, "decrypt");
    try {
      switch (mechanism) {
        case CKM_AES_GCM:
          {
            requireType(k, ObjectClass.SECRET_KEY, KeyType.AES, mechanism);
            MechanismParams.Gcm g = gcm(params);
            byte[] iv = g.hasIv() ? g.iv() : prefix(data, 12);
            int off = g.hasIv() ? 0 : 12;
            Cipher c = gcmCipher(iv.length);
            c.init(Cipher.DECRYPT_MODE, k.secretKey("AES"), new GCMParameterSpec(g.tagBits(), iv));
            c.updateAAD(g.aad());
            return c.doFinal(data, off, data.length - off);
          }
        case CKM_AES_CBC_PAD:
          {
            requireType(k, ObjectClass.SECRET_KEY, KeyType.AES, mechanism);
            MechanismParams.Cbc cbc = cbc(params);
            byte[] iv = cbc.hasIv() ? cbc.iv() : prefix(data, 16);
            int off = cbc.hasIv() ? 0 : 16;
            if ((data.length - off) % 16 != 0 || data.length - off == 0) {
              throw new HsmException(
                  ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE,
                  "AES-CBC ciphertext must be a non-empty multiple of 16 bytes");
            }
            Cipher c =
                Cipher.getInstance("AES/CBC/PKCS5Padding", engines.provider(EngineFamily.AES_CBC));
            c.init(Cipher.DECRYPT_MODE, k.secretKey("AES"), new IvParameterSpec(iv));
            return c.doFinal(data, off, data.length - off);
          }
        case CKM_RSA_PKCS_OAEP:
          requireType(k, ObjectClass.PRIVATE_KEY, KeyType.RSA, mechanism);
          return rsaOaep(Cipher.DECRYPT_MODE, k, oaep(params), data);
        case CKM_RSA_PKCS:
          {
            requireType(k, ObjectClass.PRIVATE_KEY, KeyType.RSA, mechanism);
            if (params instanceof MechanismParams.TlsPremaster) {
              return tlsPremaster(k, (MechanismParams.TlsPremaster) params, data);
            }
            Provider p = engines.provider(EngineFamily.RSA_PKCS1_DECRYPT);
            Cipher c = Cipher.getInstance("RSA/ECB/PKCS1Padding", p);
            c.init(Cipher.DECRYPT_MODE, k.privateKey(p));
            return c.doFinal(data);
          }
        default:
          throw new HsmException(
              ResultCode.CKR_MECHANISM_INVALID,
              mechanism
                  + " cannot decrypt; use CKM_AES_GCM, CKM_AES_CBC_PAD, CKM_RSA_PKCS_OAEP or"
                  + " CKM_RSA_PKCS");
      }
    } catch (HsmException e) {
      throw e;
    } catch (java.security.InvalidKeyException
        | java.security.InvalidAlgorithmParameterException e) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID,
          mechanism + " parameters are invalid: " + e.getMessage());
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(ResultCode.CKR_ENCRYPTED_DATA_INVALID, "decryption failed");
    }
  }

  /** The length of a TLS premaster secret. */
  private static final int TLS_PREMASTER_LENGTH = 48;

  /**
   * RSA PKCS#1 v1.5 decryption of a TLS RSA premaster secret with implicit rejection, as RFC 5246
   * section 7.4.7.1 asks, so that the answer never tells whether the padding was valid (no
   * Bleichenbacher oracle over the network). It always returns 48 bytes:
   *
   * <ol>
   *   <li>first, before decrypting, 48 random bytes R from the DRBG, with R[0..1] set to {@code
   *       clientVersion} (big-endian);
   *   <li>then the decryption with the engine CKM_RSA_PKCS decryption uses; any failure of it (bad
   *       padding, a value not below the modulus) counts as a plaintext of the wrong length;
   *   <li>the plaintext M is returned when it is 48 bytes long and its first two bytes are {@code
   *       clientVersion}, or, only when {@code clientVersion} is TLS 1.0 (0x0301) or older, when
   *       they are {@code serverVersion} (the JDK's allowance for old clients that put the
   *       negotiated version there); in every other case R is returned.
   * </ol>
   *
   * <p>This is the JDK 17 {@code KeyUtil.checkTlsPreMasterSecretKey} rule, with one difference: the
   * JDK's replacement is 48 random bytes, this one starts with {@code clientVersion} as RFC 5246
   * builds it. Either way the handshake then fails at the Finished messages, the same for every
   * kind of bad ciphertext.
   *
   * <p>The choice between M and R is made with masks over all 48 bytes, not with branches on M.
   * What stays data-dependent is inside the engine: whether it throws on bad padding. The only
   * refusals are about public facts: the key (checked by the caller) and a ciphertext whose length
   * is not the modulus length.
   */
  private byte[] tlsPremaster(LoadedKey k, MechanismParams.TlsPremaster t, byte[] data) {
    byte[] modulus =
        k.record
            .attributes()
            .bytes(AttributeType.CKA_MODULUS)
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_DEVICE_ERROR, k.describe() + " has no CKA_MODULUS"));
    int modLen = (new BigInteger(1, modulus).bitLength() + 7) / 8;
    if (data.length != modLen) {
      throw new HsmException(
          ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE,
          "a CKM_RSA_PKCS ciphertext for this key is "
              + modLen
              + " bytes (the modulus length), got "
              + data.length);
    }
    int client = t.clientVersion();
    byte[] replacement = randomBytes(TLS_PREMASTER_LENGTH);
    replacement[0] = (byte) (client >>> 8);
    replacement[1] = (byte) client;

    Provider p = engines.provider(EngineFamily.RSA_PKCS1_DECRYPT);
    Cipher c;
    try {
      c = Cipher.getInstance("RSA/ECB/PKCS1Padding", p);
      c.init(Cipher.DECRYPT_MODE, k.privateKey(p));
    } catch (GeneralSecurityException e) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "the RSA engine could not be set up for " + k.describe() + ": " + e.getMessage());
    }
    byte[] plain = new byte[modLen];
    int length;
    try {
      length = c.doFinal(data, 0, data.length, plain, 0);
    } catch (GeneralSecurityException | RuntimeException e) {
      length = -1;
    }
    try {
      int version = ((plain[0] & 0xff) << 8) | (plain[1] & 0xff);
      int versionOk = equalMask(version, client);
      if (client <= 0x0301) {
        versionOk |= equalMask(version, t.serverVersion());
      }
      byte keep = (byte) (equalMask(length, TLS_PREMASTER_LENGTH) & versionOk);
      byte[] out = new byte[TLS_PREMASTER_LENGTH];
      for (int i = 0; i < TLS_PREMASTER_LENGTH; i++) {
        out[i] = (byte) ((plain[i] & keep) | (replacement[i] & ~keep));
      }
      return out;
    } finally {
      Arrays.fill(plain, (byte) 0);
      Arrays.fill(replacement, (byte) 0);
    }
  }

  /** -1 (all bits set) when {@code a == b}, else 0, without a branch. */
  private static int equalMask(int a, int b) {
    int d = a ^ b;
    return ~((d | -d) >> 31);
  }

  /** Random bytes from the HSM's DRBG (1 to 65,536 per call). */
  public byte[] random(int length) {
    if (length < 1 || length > MAX_RANDOM) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "random length must be 1 to " + MAX_RANDOM + ", got " + length);
    }
    return randomBytes(length);
  }

  @Override
  public void close() {
    cache.invalidateAll();
  }

  // ---------------------------------------------------------------- internals

  private LoadedKey load(UUID keyringId, long handle) {
    CacheKey ck = new CacheKey(keyringId, handle);
    LoadedKey k = cache.getIfPresent(ck);
    if (k != null) {
      return k;
    }
    ObjectRecord rec =
        store
            .object(keyringId, handle)
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_OBJECT_HANDLE_INVALID,
                        "keyring " + keyringId + " has no object with handle " + handle));
    SecretBytes secret = null;
    if (rec.objectClass().hasSecretPart()) {
      KeyType type =
          rec.attributes()
              .keyType()
              .orElseThrow(
                  () ->
                      new HsmException(
                          ResultCode.CKR_ENCRYPTED_DATA_INVALID,
                          "object " + handle + " has no CKA_KEY_TYPE"));
      secret =
          vault.open(
              rec.blob(),
              clusterId(),
              keyringId,
              rec.objectId(),
              rec.attributes(),
              type,
              "object " + handle + " in keyring " + keyringId);
    }
    LoadedKey loaded = new LoadedKey(rec, secret);
    cache.put(ck, loaded);
    return loaded;
  }

  private ObjectRecord insertSecret(
      UUID keyringId, ObjectClass c, KeyType type, Attributes attrs, SecretBytes secret) {
    UUID id = UUID.randomUUID();
    byte kind = c == ObjectClass.PRIVATE_KEY ? SksBlob.KIND_PKCS8 : SksBlob.KIND_RAW_SECRET;
    ObjectRecord rec;
    try {
      byte[] blob = vault.seal(kind, type, secret, clusterId(), keyringId, id, attrs);
      rec = writer.write(tx -> tx.insertObject(keyringId, id, c, attrs, blob));
    } catch (RuntimeException e) {
      secret.destroy(); // nothing refers to it: the object was not stored
      throw e;
    }
    cache.put(key(rec), new LoadedKey(rec, secret));
    return rec;
  }

  private UUID clusterId() {
    UUID id = clusterId.get();
    if (id == null) {
      id =
          store
              .cluster()
              .orElseThrow(
                  () ->
                      new HsmException(
                          ResultCode.CKR_FUNCTION_FAILED,
                          "this member has no cluster yet: create or join one first"))
              .id();
      clusterId.set(id);
    }
    return id;
  }

  private static CacheKey key(ObjectRecord r) {
    return new CacheKey(r.keyringId(), r.handle());
  }

  /** The template with defaults filled and the HSM-set attributes checked and added. */
  private static Attributes keyTemplate(
      Attributes template, ObjectClass c, KeyType type, Attributes publicAttrs, byte[] defaultId) {
    for (AttributeType t :
        List.of(
            AttributeType.CKA_VALUE,
            AttributeType.CKA_MODULUS,
            AttributeType.CKA_PUBLIC_EXPONENT,
            AttributeType.CKA_EC_POINT)) {
      if (template.has(t)) {
        throw new HsmException(
            ResultCode.CKR_TEMPLATE_INCONSISTENT,
            t + " of a key is set by the HSM, not the caller");
      }
    }
    if (template.objectClass().isPresent() && template.objectClass().get() != c) {
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCONSISTENT,
          "template says CKA_CLASS " + template.objectClass().get() + " but this makes a " + c);
    }
    if (template.keyType().isPresent() && template.keyType().get() != type) {
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCONSISTENT,
          "template says CKA_KEY_TYPE " + template.keyType().get() + " but this makes " + type);
    }
    if (template.has(AttributeType.CKA_ECDSA_PARAMS)
        && !Arrays.equals(
            template.bytes(AttributeType.CKA_ECDSA_PARAMS).get(),
            publicAttrs.bytes(AttributeType.CKA_ECDSA_PARAMS).orElse(new byte[0]))) {
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCONSISTENT,
          "CKA_ECDSA_PARAMS in the template does not match the key's curve");
    }
    if (c == ObjectClass.PUBLIC_KEY) {
      for (AttributeType t :
          List.of(AttributeType.CKA_SIGN, AttributeType.CKA_DECRYPT, AttributeType.CKA_UNWRAP)) {
        if (template.flag(t, false)) {
          throw new HsmException(
              ResultCode.CKR_TEMPLATE_INCONSISTENT, t + " cannot be set on a public key");
        }
      }
    }
    Attributes.Builder b = Attributes.builder().set(AttributeType.CKA_TOKEN, true);
    switch (c) {
      case PRIVATE_KEY:
        b.flag(AttributeType.CKA_SIGN, true)
            .flag(AttributeType.CKA_DECRYPT, type == KeyType.RSA)
            .flag(AttributeType.CKA_UNWRAP, false);
        break;
      case SECRET_KEY:
        b.flag(AttributeType.CKA_SIGN, type == KeyType.GENERIC_SECRET)
            .flag(AttributeType.CKA_DECRYPT, type == KeyType.AES)
            .flag(AttributeType.CKA_WRAP, false)
            .flag(AttributeType.CKA_UNWRAP, false);
        break;
      default:
        b.flag(AttributeType.CKA_WRAP, false);
    }
    if (defaultId != null) {
      b.id(defaultId);
    }
    Attributes merged = b.build().merge(template).merge(publicAttrs);
    return merged.toBuilder().objectClass(c).keyType(type).build();
  }

  private static void rejectKeyAttributes(Attributes template, String what) {
    for (AttributeType t :
        List.of(
            AttributeType.CKA_KEY_TYPE,
            AttributeType.CKA_SIGN,
            AttributeType.CKA_DECRYPT,
            AttributeType.CKA_WRAP,
            AttributeType.CKA_UNWRAP,
            AttributeType.CKA_MODULUS,
            AttributeType.CKA_PUBLIC_EXPONENT,
            AttributeType.CKA_ECDSA_PARAMS,
            AttributeType.CKA_EC_POINT)) {
      if (template.has(t)) {
        throw new HsmException(
            ResultCode.CKR_TEMPLATE_INCONSISTENT, t + " does not belong on " + what);
      }
    }
  }

  /** CKA_ID default: the first 20 bytes of SHA-256 over the public attributes. */
  private static byte[] defaultId(Attributes publicAttrs) {
    try {
      return Arrays.copyOf(
          MessageDigest.getInstance("SHA-256").digest(publicAttrs.canonicalEncoding()), 20);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void checkSecretLength(KeyType type, int length) {
    if (type == KeyType.AES && length != 16 && length != 24 && length != 32) {
      throw new HsmException(
          ResultCode.CKR_WRAPPED_KEY_INVALID,
          "an AES key must be 16, 24 or 32 bytes, this one is " + length);
    }
    if (type == KeyType.GENERIC_SECRET && (length < 1 || length > 512)) {
      throw new HsmException(
          ResultCode.CKR_WRAPPED_KEY_INVALID,
          "a generic secret must be 1 to 512 bytes, this one is " + length);
    }
  }

  private record ImportedPrivateKey(SecretBytes pkcs8, Attributes publicAttrs) {}

  /** Parses an imported PKCS#8 key, checks it matches the type, and derives its public part. */
  private static ImportedPrivateKey parsePrivate(KeyType type, SecretBytes secret) {
    byte[] der = secret.reveal(SecretKeyAccess.INSTANCE);
    try {
      PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
      switch (type) {
        case RSA:
          {
            PrivateKey k = KeyFactory.getInstance("RSA", "SunRsaSign").generatePrivate(spec);
            if (!(k instanceof RSAPrivateCrtKey)) {
              throw new HsmException(
                  ResultCode.CKR_WRAPPED_KEY_INVALID,
                  "an RSA private key must carry its CRT parameters");
            }
            RSAPrivateCrtKey crt = (RSAPrivateCrtKey) k;
            int bits = crt.getModulus().bitLength();
            if (bits < 2048 || bits > 4096) {
              throw new HsmException(
                  ResultCode.CKR_KEY_SIZE_RANGE,
                  "RSA keys must be 2048 to 4096 bits, this one is " + bits);
            }
            PublicKey pub =
                KeyFactory.getInstance("RSA", "SunRsaSign")
                    .generatePublic(
                        new java.security.spec.RSAPublicKeySpec(
                            crt.getModulus(), crt.getPublicExponent()));
            return new ImportedPrivateKey(
                SecretBytes.adopt(k.getEncoded()), PublicKeyAttributes.of(pub));
          }
        case EC:
          {
            ECPrivateKey k =
                (ECPrivateKey) KeyFactory.getInstance("EC", "SunEC").generatePrivate(spec);
            Curve curve = PublicKeyAttributes.curveOf(k.getParams());
            X9ECParameters x9 = ECNamedCurveTable.getByName(curve.jcaName());
            BigInteger s = k.getS();
            if (s.signum() <= 0 || s.compareTo(x9.getN()) >= 0) {
              throw new HsmException(
                  ResultCode.CKR_WRAPPED_KEY_INVALID, "the EC private scalar is out of range");
            }
            ECPoint q = x9.getG().multiply(s).normalize();
            byte[] point = q.getEncoded(false);
            Attributes pub =
                Attributes.builder()
                    .keyType(KeyType.EC)
                    .set(AttributeType.CKA_ECDSA_PARAMS, curve.oidDer())
                    .set(AttributeType.CKA_EC_POINT, PublicKeyAttributes.octetString(point))
                    .build();
            return new ImportedPrivateKey(SecretBytes.adopt(k.getEncoded()), pub);
          }
        case EC_EDWARDS:
          {
            EdECPrivateKey k =
                (EdECPrivateKey) KeyFactory.getInstance("Ed25519", "SunEC").generatePrivate(spec);
            byte[] seed =
                k.getBytes()
                    .orElseThrow(
                        () ->
                            new HsmException(
                                ResultCode.CKR_WRAPPED_KEY_INVALID, "Ed25519 key has no seed"));
            byte[] pubBytes =
                new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
            Arrays.fill(seed, (byte) 0);
            Attributes pub =
                Attributes.builder()
                    .keyType(KeyType.EC_EDWARDS)
                    .set(AttributeType.CKA_ECDSA_PARAMS, Curve.ED25519.oidDer())
                    .set(AttributeType.CKA_EC_POINT, PublicKeyAttributes.octetString(pubBytes))
                    .build();
            return new ImportedPrivateKey(SecretBytes.adopt(k.getEncoded()), pub);
          }
        default:
          throw new HsmException(
              ResultCode.CKR_TEMPLATE_INCONSISTENT, type + " is not a key pair type");
      }
    } catch (HsmException e) {
      throw e;
    } catch (GeneralSecurityException | ClassCastException | IllegalArgumentException e) {
      throw new HsmException(
          ResultCode.CKR_WRAPPED_KEY_INVALID,
          "the unwrapped bytes are not a PKCS#8 " + type + " private key");
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  /** A JDK public key from an engine's public key (so attributes are computed one way). */
  private static PublicKey jdkPublic(PublicKey k, KeyType type) {
    try {
      return KeyFactory.getInstance(LoadedKey.jcaKeyAlgorithm(type))
          .generatePublic(new X509EncodedKeySpec(k.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "cannot read a generated public key", e);
    }
  }

  /**
   * Parses the ECDH peer key (SPKI or uncompressed point) and checks it is on the base key's curve.
   */
  private static PublicKey parsePeer(byte[] encoded, Curve curve, Provider p) {
    try {
      ECPublicKey jdk;
      if (encoded.length > 0 && encoded[0] == 0x04) {
        java.security.spec.ECPoint w = PublicKeyAttributes.decodeUncompressed(encoded, curve);
        jdk =
            (ECPublicKey)
                KeyFactory.getInstance("EC", "SunEC")
                    .generatePublic(
                        new java.security.spec.ECPublicKeySpec(
                            w, PublicKeyAttributes.ecParams(curve)));
      } else {
        PublicKey k =
            KeyFactory.getInstance("EC", "SunEC").generatePublic(new X509EncodedKeySpec(encoded));
        if (!(k instanceof ECPublicKey)) {
          throw new GeneralSecurityException("not an EC key");
        }
        jdk = (ECPublicKey) k;
        if (!Arrays.equals(jdk.getEncoded(), encoded)) {
          throw new GeneralSecurityException("peer key is not strict DER with a named curve");
        }
      }
      if (PublicKeyAttributes.curveOf(jdk.getParams()) != curve) {
        throw new GeneralSecurityException("peer key is on another curve");
      }
      X9ECParameters x9 = ECNamedCurveTable.getByName(curve.jcaName());
      ECPoint q = x9.getCurve().createPoint(jdk.getW().getAffineX(), jdk.getW().getAffineY());
      if (!q.isValid()) {
        throw new GeneralSecurityException("peer point is not on the curve");
      }
      return CryptoEngines.keyFactory("EC", p)
          .generatePublic(new X509EncodedKeySpec(jdk.getEncoded()));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID,
          "the ECDH peer public key is not a valid " + curve + " key: " + e.getMessage());
    }
  }

  private byte[] mac(LoadedKey k, Mechanism mechanism, byte[] data)
      throws GeneralSecurityException {
    String alg = "Hmac" + mechanism.digest().name();
    Mac m = Mac.getInstance(alg, engines.provider(EngineFamily.HMAC));
    m.init(k.secretKey(alg));
    return m.doFinal(data);
  }

  private static KeyType signKeyType(Mechanism m) {
    switch (m) {
      case CKM_SHA256_RSA_PKCS:
      case CKM_SHA384_RSA_PKCS:
      case CKM_SHA512_RSA_PKCS:
      case CKM_SHA256_RSA_PKCS_PSS:
      case CKM_SHA384_RSA_PKCS_PSS:
      case CKM_SHA512_RSA_PKCS_PSS:
        return KeyType.RSA;
      case CKM_ECDSA:
      case CKM_ECDSA_SHA256:
      case CKM_ECDSA_SHA384:
      case CKM_ECDSA_SHA512:
        return KeyType.EC;
      case CKM_EDDSA:
        return KeyType.EC_EDWARDS;
      default:
        throw new HsmException(
            ResultCode.CKR_MECHANISM_INVALID, m + " is not a signature mechanism");
    }
  }

  private static EngineFamily signFamily(Mechanism m) {
    switch (signKeyType(m)) {
      case RSA:
        return m.name().endsWith("_PSS") ? EngineFamily.RSA_PSS_SIGN : EngineFamily.RSA_PKCS1_SIGN;
      case EC:
        return EngineFamily.ECDSA;
      default:
        return EngineFamily.ED25519;
    }
  }

  private static Signature signature(Mechanism m, MechanismParams params, Provider p)
      throws GeneralSecurityException {
    switch (m) {
      case CKM_SHA256_RSA_PKCS:
        return Signature.getInstance("SHA256withRSA", p);
      case CKM_SHA384_RSA_PKCS:
        return Signature.getInstance("SHA384withRSA", p);
      case CKM_SHA512_RSA_PKCS:
        return Signature.getInstance("SHA512withRSA", p);
      case CKM_SHA256_RSA_PKCS_PSS:
      case CKM_SHA384_RSA_PKCS_PSS:
      case CKM_SHA512_RSA_PKCS_PSS:
        {
          MechanismParams.Pss pss =
              params instanceof MechanismParams.Pss
                  ? (MechanismParams.Pss) params
                  : MechanismParams.Pss.of(m.digest());
          if (pss.hash() != m.digest()) {
            throw new HsmException(
                ResultCode.CKR_MECHANISM_PARAM_INVALID,
                m + " hashes with " + m.digest() + " but the PSS parameters name " + pss.hash());
          }
          if (pss.saltLength() < 0 || pss.saltLength() > 512) {
            throw new HsmException(
                ResultCode.CKR_MECHANISM_PARAM_INVALID, "PSS salt length must be 0 to 512 bytes");
          }
          Signature s = Signature.getInstance("RSASSA-PSS", p);
          s.setParameter(
              new PSSParameterSpec(
                  pss.hash().jcaName(),
                  "MGF1",
                  new MGF1ParameterSpec(pss.mgfHash().jcaName()),
                  pss.saltLength(),
                  1));
          return s;
        }
      case CKM_ECDSA:
        return Signature.getInstance("NONEwithECDSA", p);
      case CKM_ECDSA_SHA256:
        return Signature.getInstance("SHA256withECDSA", p);
      case CKM_ECDSA_SHA384:
        return Signature.getInstance("SHA384withECDSA", p);
      case CKM_ECDSA_SHA512:
        return Signature.getInstance("SHA512withECDSA", p);
      case CKM_EDDSA:
        return Signature.getInstance("Ed25519", p);
      default:
        throw new HsmException(
            ResultCode.CKR_MECHANISM_INVALID, m + " is not a signature mechanism");
    }
  }

  private byte[] rsaOaep(int mode, LoadedKey k, MechanismParams.Oaep o, byte[] data)
      throws GeneralSecurityException {
    OAEPParameterSpec spec =
        new OAEPParameterSpec(
            o.hash().jcaName(),
            "MGF1",
            new MGF1ParameterSpec(o.mgfHash().jcaName()),
            new PSource.PSpecified(o.label()));
    Provider p = engines.provider(EngineFamily.RSA_OAEP);
    Cipher c;
    try {
      c = initOaep(mode, k, spec, p);
    } catch (java.security.InvalidAlgorithmParameterException e) {
      // ACCP takes only some OAEP parameters (no label); the JDK's engine takes the rest
      if (CryptoEngines.engineName(p).equals("JDK")) {
        throw e;
      }
      c = initOaep(mode, k, spec, Security.getProvider("SunJCE"));
    }
    return c.doFinal(data);
  }

  private static Cipher initOaep(int mode, LoadedKey k, OAEPParameterSpec spec, Provider p)
      throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding", p);
    if (mode == Cipher.DECRYPT_MODE) {
      c.init(mode, k.privateKey(p), spec);
    } else {
      c.init(mode, k.publicKey(p), spec);
    }
    return c;
  }

  private Cipher gcmCipher(int ivLength) throws GeneralSecurityException {
    // ACCP takes 12-byte IVs only; other lengths go to the JDK's GCM
    Provider p = engines.provider(EngineFamily.AES_GCM);
    if (ivLength != 12 && CryptoEngines.engineName(p).equals("ACCP")) {
      p = Security.getProvider("SunJCE");
    }
    return Cipher.getInstance("AES/GCM/NoPadding", p);
  }

  private static MechanismParams.Gcm gcm(MechanismParams params) {
    if (params == null || params == MechanismParams.NONE) {
      return MechanismParams.Gcm.generatedIv(null);
    }
    if (!(params instanceof MechanismParams.Gcm)) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "AES-GCM needs GCM parameters");
    }
    MechanismParams.Gcm g = (MechanismParams.Gcm) params;
    if (g.tagBits() < 96 || g.tagBits() > 128 || g.tagBits() % 8 != 0) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID,
          "GCM tag length must be 96 to 128 bits in steps of 8, got " + g.tagBits());
    }
    return g;
  }

  private static MechanismParams.Cbc cbc(MechanismParams params) {
    if (params == null || params == MechanismParams.NONE) {
      return new MechanismParams.Cbc(null);
    }
    if (!(params instanceof MechanismParams.Cbc)) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "AES-CBC needs an IV parameter");
    }
    MechanismParams.Cbc c = (MechanismParams.Cbc) params;
    if (c.hasIv() && c.iv().length != 16) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID,
          "AES-CBC IV must be 16 bytes, got " + c.iv().length);
    }
    return c;
  }

  private static MechanismParams.Oaep oaep(MechanismParams params) {
    if (!(params instanceof MechanismParams.Oaep)) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_PARAM_INVALID, "RSA-OAEP needs its hash, MGF1 hash and label");
    }
    return (MechanismParams.Oaep) params;
  }

  private static void requireFlag(LoadedKey k, AttributeType flag, String what) {
    if (!k.record.attributes().flag(flag, false)) {
      throw new HsmException(
          ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED,
          k.describe() + " may not " + what + ": " + flag + " is not set");
    }
  }

  private static void requireType(LoadedKey k, ObjectClass c, KeyType t, Mechanism m) {
    if (k.objectClass != c || k.keyType != t) {
      throw typeMismatch(k, m);
    }
  }

  private static HsmException typeMismatch(LoadedKey k, Mechanism m) {
    return new HsmException(
        ResultCode.CKR_KEY_TYPE_INCONSISTENT,
        k.describe()
            + " is a "
            + k.keyType
            + " "
            + k.objectClass
            + " and cannot be used with "
            + m);
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static byte[] prefix(byte[] data, int n) {
    if (data.length < n) {
      throw new HsmException(
          ResultCode.CKR_ENCRYPTED_DATA_LEN_RANGE,
          "the ciphertext is shorter than the " + n + "-byte IV it should start with");
    }
    return Arrays.copyOf(data, n);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static SecureRandom newRandom() {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (GeneralSecurityException e) {
      return new SecureRandom();
    }
  }
}
