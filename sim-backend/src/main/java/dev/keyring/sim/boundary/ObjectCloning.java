package dev.keyring.sim.boundary;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ObjectRecord;
import java.io.IOException;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * Cloning keyring objects between HSMs of one cloning domain (the format is {@link ObjectClone}):
 * the target offers its cluster's cloning public key, the source encrypts an object for it, the
 * target opens the clone and stores the object under its own SMK with the same object id. The value
 * of a private or secret key is plaintext only inside the two boundaries.
 *
 * <p>Policies (partition 0 and 4, HSM 7) are the caller's to check: they belong to the HSM, which
 * the boundary does not see. Cloning is not creation: a keyring whose key-management policy forbids
 * generating keys still receives clones.
 */
final class ObjectCloning {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final SmkVault vault;
  private final SecureRandom random;
  private final Provider gcmProvider;
  private final KeyringObjects objects;
  private final KeyringStore store;
  private volatile CloningKey cloningKey;

  /** The cluster's cloning key pair, derived from the SMK whose fingerprint it carries. */
  private record CloningKey(String smkFingerprint, PrivateKey privateKey, byte[] publicKey) {}

  ObjectCloning(
      SmkVault vault,
      SecureRandom random,
      Provider gcmProvider,
      KeyringObjects objects,
      KeyringStore store) {
    this.vault = vault;
    this.random = random;
    this.gcmProvider = gcmProvider;
    this.objects = objects;
    this.store = store;
  }

  /** The HSM's cloning domain key ({@link CloningDomainKey}), held by the SMK vault. */
  private SecretBytes requireDomainKey() {
    SecretBytes k = vault.domainKey();
    if (k == null) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "this partition holds no cloning domain key (it was initialized before objects could be"
              + " cloned): objects cannot be cloned to or from it");
    }
    return k;
  }

  /** The cluster's cloning public key (X.509 DER, EC P-256): what a target offers to sources. */
  byte[] cloningPublicKey() {
    return cloningKey().publicKey().clone();
  }

  /**
   * Encrypts object {@code handle} of the keyring for the target whose cloning public key is {@code
   * targetPublicKey}, bound to this HSM's cloning domain.
   */
  byte[] cloneOut(UUID keyringId, long handle, byte[] targetPublicKey, String domainFingerprint) {
    PublicKey target = SmkClone.parsePublicKey(targetPublicKey, "the target's cloning key");
    byte[] plain;
    try (LoadedKey k = objects.use(keyringId, handle)) {
      byte[] attrs = json(k.record.attributes());
      byte[] secret = k.hasSecret() ? k.secret().reveal(SecretKeyAccess.INSTANCE) : null;
      try {
        plain =
            ObjectClone.encodePayload(
                new ObjectClone.Payload(
                    k.record.objectId(),
                    k.hasSecret() ? k.record.blob()[5] : 0,
                    k.origin().code(),
                    k.objectClass.name(),
                    attrs,
                    secret));
      } finally {
        if (secret != null) {
          Arrays.fill(secret, (byte) 0);
        }
      }
    }
    KeyPair source = SmkClone.newKeyPair(random);
    byte[] sourcePublic = source.getPublic().getEncoded();
    byte[] iv = new byte[SmkClone.IV_LENGTH];
    random.nextBytes(iv);
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", gcmProvider);
      gcm.init(
          Cipher.ENCRYPT_MODE,
          transportKey(source.getPrivate(), target, requireDomainKey()),
          new GCMParameterSpec(128, iv));
      gcm.updateAAD(ObjectClone.associatedData(domainFingerprint, sourcePublic, targetPublicKey));
      return ObjectClone.encode(sourcePublic, targetPublicKey, iv, gcm.doFinal(plain));
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "encrypting the object clone failed");
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /**
   * Opens a clone made for this cluster's cloning key and stores the object in the keyring under
   * its own object id. The same object already there with the same attributes is answered as it is
   * (a repeated clone changes nothing); with other attributes it is a conflict, refused with
   * CKR_FUNCTION_FAILED and never overwritten. {@code admit} sees the object's class before it is
   * stored and throws to refuse it (the HSM's cloning policies).
   */
  ObjectRecord cloneIn(
      UUID keyringId,
      byte[] bundle,
      String domainFingerprint,
      java.util.function.Consumer<ObjectClass> admit) {
    ObjectClone.Parsed parsed = ObjectClone.parse(bundle);
    CloningKey own = cloningKey();
    if (!MessageDigest.isEqual(parsed.targetPublicKey(), own.publicKey())) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "the object clone was made for another cluster's cloning key: ask this keyring for its"
              + " cloning offer and clone again");
    }
    PublicKey source = SmkClone.parsePublicKey(parsed.sourcePublicKey(), null);
    byte[] plain;
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding", gcmProvider);
      gcm.init(
          Cipher.DECRYPT_MODE,
          transportKey(own.privateKey(), source, requireDomainKey()),
          new GCMParameterSpec(128, parsed.iv()));
      gcm.updateAAD(
          ObjectClone.associatedData(
              domainFingerprint, parsed.sourcePublicKey(), parsed.targetPublicKey()));
      plain = gcm.doFinal(parsed.ciphertext());
    } catch (javax.crypto.AEADBadTagException e) {
      throw ObjectClone.failed(ResultCode.CKR_FUNCTION_FAILED);
    } catch (GeneralSecurityException e) {
      throw ObjectClone.failed(ResultCode.CKR_ARGUMENTS_BAD);
    }
    ObjectClone.Payload p;
    try {
      p = ObjectClone.decodePayload(plain);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
    SecretBytes secret = p.secret() == null ? null : SecretBytes.adopt(p.secret());
    try {
      ObjectClass c = ObjectClass.parse(p.objectClass());
      Attributes attrs = attributes(p.attributesJson());
      KeyOrigin origin = KeyOrigin.fromCode(p.origin());
      if (c.hasSecretPart() != (secret != null) || origin == null) {
        throw ObjectClone.failed(ResultCode.CKR_ARGUMENTS_BAD);
      }
      admit.accept(c);
      for (ObjectRecord existing : store.findObjects(keyringId, Attributes.empty())) {
        if (existing.objectId().equals(p.objectId())) {
          if (existing.attributes().equals(attrs) && existing.objectClass() == c) {
            if (secret != null) {
              secret.destroy();
            }
            return existing;
          }
          throw new HsmException(
              ResultCode.CKR_FUNCTION_FAILED,
              "object "
                  + p.objectId()
                  + " is already on this keyring with other attributes (handle "
                  + existing.handle()
                  + "): conflicting versions are reported, not overwritten; destroy one of"
                  + " them first");
        }
      }
      ObjectRecord rec =
          objects.insertCloned(keyringId, p.objectId(), c, attrs, p.kind(), origin, secret);
      secret = null; // owned by the cache now
      return rec;
    } finally {
      if (secret != null) {
        secret.destroy();
      }
    }
  }

  private CloningKey cloningKey() {
    String fp = vault.fingerprint();
    CloningKey k = cloningKey;
    if (k != null && k.smkFingerprint().equals(fp)) {
      return k;
    }
    byte[] okm = vault.deriveFromSmk(ObjectClone.CLONING_KEY_INFO, 48);
    try {
      X9ECParameters x9 = ECNamedCurveTable.getByName(Curve.P256.jcaName());
      BigInteger n = x9.getN();
      BigInteger d = new BigInteger(1, okm).mod(n.subtract(BigInteger.ONE)).add(BigInteger.ONE);
      AlgorithmParameters params = AlgorithmParameters.getInstance("EC", "SunEC");
      params.init(new ECGenParameterSpec(Curve.P256.jcaName()));
      ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
      KeyFactory f = KeyFactory.getInstance("EC", "SunEC");
      PrivateKey priv = f.generatePrivate(new ECPrivateKeySpec(d, spec));
      org.bouncycastle.math.ec.ECPoint q = x9.getG().multiply(d).normalize();
      PublicKey pub =
          f.generatePublic(
              new ECPublicKeySpec(
                  new ECPoint(
                      q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()),
                  spec));
      k = new CloningKey(fp, priv, pub.getEncoded());
      cloningKey = k;
      return k;
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "deriving the cloning key failed");
    } finally {
      Arrays.fill(okm, (byte) 0);
    }
  }

  /** HKDF-SHA256 over the ECDH secret followed by the cloning domain key. */
  private static SecretKeySpec transportKey(PrivateKey own, PublicKey peer, SecretBytes domain)
      throws GeneralSecurityException {
    KeyAgreement ka = KeyAgreement.getInstance("ECDH", "SunEC");
    ka.init(own);
    ka.doPhase(peer, true);
    byte[] shared = ka.generateSecret();
    byte[] domainBytes = domain.reveal(SecretKeyAccess.INSTANCE);
    byte[] ikm = new byte[shared.length + domainBytes.length];
    System.arraycopy(shared, 0, ikm, 0, shared.length);
    System.arraycopy(domainBytes, 0, ikm, shared.length, domainBytes.length);
    Arrays.fill(domainBytes, (byte) 0);
    byte[] okm = new byte[32];
    try {
      HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
      hkdf.init(new HKDFParameters(ikm, ObjectClone.LABEL, ObjectClone.HKDF_INFO));
      hkdf.generateBytes(okm, 0, okm.length);
      return new SecretKeySpec(okm, "AES");
    } finally {
      Arrays.fill(shared, (byte) 0);
      Arrays.fill(ikm, (byte) 0);
      Arrays.fill(okm, (byte) 0);
    }
  }

  private static byte[] json(Attributes a) {
    try {
      return JSON.writeValueAsBytes(a.toJsonMap());
    } catch (IOException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "encoding the object's attributes failed");
    }
  }

  private static Attributes attributes(byte[] json) {
    try {
      return Attributes.fromJsonMap(JSON.readValue(json, MAP));
    } catch (IOException | HsmException e) {
      throw ObjectClone.failed(ResultCode.CKR_ARGUMENTS_BAD);
    }
  }
}
