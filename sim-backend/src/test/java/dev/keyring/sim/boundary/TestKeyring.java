package dev.keyring.sim.boundary;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Digest;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.ObjectRecord;
import dev.keyring.store.ReplicatedWriter;
import dev.keyring.store.StoreConfig;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;

/**
 * A boundary over a fresh H2 store with one cluster and one keyring, and the import path tests use
 * to bring known keys in: an AES-256 transport key unwrapped into the keyring under an RSA-OAEP key
 * generated inside, then every test key wrapped (AES-KWP) under that transport key and unwrapped.
 */
public final class TestKeyring implements AutoCloseable {
  public final KeyringStore store;
  public final Boundary boundary;
  public final UUID clusterId = UUID.randomUUID();
  public final UUID keyringId;

  /** The SMK as the HSM keeps it (wrapped under the device key), for tests that seal blobs. */
  final ProtectedSmk smk;

  private final byte[] transportKey = new byte[32];
  private final long transportHandle;

  public TestKeyring(Path dir) {
    this(dir, BoundaryConfig.builder().deviceKeyFile(dir.resolve("hsm/device.key")).build());
  }

  public TestKeyring(Path dir, BoundaryConfig config) {
    this(KeyringStore.open(StoreConfig.h2File(dir.resolve("store"))), config);
  }

  public TestKeyring(KeyringStore store, BoundaryConfig config) {
    this(store, config, ReplicatedWriter.local(store));
  }

  /** A keyring whose replicated writes go through {@code writer}. */
  public TestKeyring(KeyringStore store, BoundaryConfig config, ReplicatedWriter writer) {
    this.store = store;
    this.boundary = Boundary.open(config, store, writer);
    this.smk = boundary.createSmk();
    KeyringRecord kr =
        new KeyringRecord(
            UUID.randomUUID(),
            clusterId,
            "test-" + UUID.randomUUID(),
            "unused-verifier",
            false,
            true,
            false,
            0,
            Instant.now());
    store.write(
        tx -> {
          tx.createCluster(clusterId, "test-cluster");
          return tx.createKeyrings(clusterId, List.of(kr));
        });
    this.keyringId = kr.id();
    new SecureRandom().nextBytes(transportKey);
    this.transportHandle = importTransportKey();
  }

  private long importTransportKey() {
    KeyPairObjects rsa =
        boundary.generateKeyPair(
            keyringId,
            KeyGenParams.rsa(2048),
            Attributes.builder().label("transport-wrap-pub").build(),
            Attributes.builder()
                .label("transport-wrap")
                .flag(AttributeType.CKA_UNWRAP, true)
                .flag(AttributeType.CKA_SIGN, false)
                .build());
    try {
      PublicKey pub = PublicKeyAttributes.toPublicKey(rsa.publicKey().attributes());
      Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
      oaep.init(
          Cipher.ENCRYPT_MODE,
          pub,
          new OAEPParameterSpec(
              "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
      byte[] wrapped = oaep.doFinal(transportKey);
      return boundary
          .unwrapKey(
              keyringId,
              rsa.privateKey().handle(),
              Mechanism.CKM_RSA_PKCS_OAEP,
              new MechanismParams.Oaep(Digest.SHA256, Digest.SHA256, null),
              wrapped,
              Attributes.builder()
                  .objectClass(ObjectClass.SECRET_KEY)
                  .keyType(KeyType.AES)
                  .label("transport")
                  .flag(AttributeType.CKA_UNWRAP, true)
                  .flag(AttributeType.CKA_DECRYPT, false)
                  .build())
          .handle();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Wraps {@code keyBytes} (PKCS#8 for private keys, raw for secret keys) the way a client would.
   */
  public byte[] wrapForImport(byte[] keyBytes) {
    try {
      Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding", "SunJCE");
      kwp.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(transportKey, "AES"));
      return kwp.doFinal(keyBytes);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Imports a private key (PKCS#8 DER) with the given extra attributes. */
  public ObjectRecord importPrivateKey(KeyType type, byte[] pkcs8, Attributes extra) {
    return boundary.unwrapKey(
        keyringId,
        transportHandle,
        Mechanism.CKM_AES_KEY_WRAP_KWP,
        MechanismParams.NONE,
        wrapForImport(pkcs8),
        extra.toBuilder().objectClass(ObjectClass.PRIVATE_KEY).keyType(type).build());
  }

  /** Imports a secret key (raw bytes) with the given extra attributes. */
  public ObjectRecord importSecretKey(KeyType type, byte[] raw, Attributes extra) {
    return boundary.unwrapKey(
        keyringId,
        transportHandle,
        Mechanism.CKM_AES_KEY_WRAP_KWP,
        MechanismParams.NONE,
        wrapForImport(raw),
        extra.toBuilder().objectClass(ObjectClass.SECRET_KEY).keyType(type).build());
  }

  /** Creates a public key object from a JDK public key. */
  public ObjectRecord importPublicKey(PublicKey key) {
    return importPublicKey(key, Attributes.empty());
  }

  /** Creates a public key object from a JDK public key, with the given extra attributes. */
  public ObjectRecord importPublicKey(PublicKey key, Attributes extra) {
    return boundary.createObject(
        keyringId,
        extra.merge(PublicKeyAttributes.of(key)).toBuilder()
            .objectClass(ObjectClass.PUBLIC_KEY)
            .build());
  }

  @Override
  public void close() {
    boundary.close();
    store.close();
  }
}
