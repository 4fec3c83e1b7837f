package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The member PKI's identities as stored: a certificate in clear and its private key sealed, in the
 * member's {@code hsm_state} rows {@value #APPLIANCE}, {@value #CLUSTER_CA} and {@value #MEMBER}.
 * The appliance and member keys are sealed under the device key, the cluster CA key under the SMK
 * (so every member holding the SMK can use it); each sealed key is bound to its row, its owner and
 * its certificate's public key. Private keys exist in clear only inside this package.
 */
final class SealedIdentities {
  static final String APPLIANCE = "pki.appliance";
  static final String CLUSTER_CA = "pki.cluster-ca";
  static final String MEMBER = "pki.member";

  private static final byte[] ROW_MAGIC = "KPKI".getBytes(StandardCharsets.US_ASCII);
  private static final byte ROW_VERSION = 1;

  private final KeyringStore store;
  private final SmkVault vault;

  SealedIdentities(KeyringStore store, SmkVault vault) {
    this.store = store;
    this.vault = vault;
  }

  /** A certificate with its key sealed; {@code owner} names what it was made for. */
  static final class Identity {
    final String owner;
    final X509Certificate certificate;
    final byte[] sealedKey;

    Identity(String owner, X509Certificate certificate, byte[] sealedKey) {
      this.owner = owner;
      this.certificate = certificate;
      this.sealedKey = sealedKey;
    }

    Identity withSealed(byte[] sealed) {
      return new Identity(owner, certificate, sealed);
    }

    @Override
    public String toString() {
      return "Identity[" + owner + ", " + certificate.getSubjectX500Principal() + "]";
    }
  }

  /** The identity stored in row {@code name}, if any; CKR_DEVICE_ERROR when it is damaged. */
  Optional<Identity> read(String name) {
    Optional<byte[]> raw = store.hsmState(name);
    if (raw.isEmpty() || raw.get().length == 0) {
      return Optional.empty();
    }
    return Optional.of(decode(name, raw.get()));
  }

  /**
   * Seals {@code key} for {@code owner} and {@code certificate} (under the SMK or the device key)
   * and stores the identity in row {@code name}.
   */
  Identity store(
      String name, String owner, X509Certificate certificate, PrivateKey key, boolean underSmk) {
    Identity id = new Identity(owner, certificate, null);
    id = id.withSealed(seal(name, id, key, underSmk));
    write(name, id);
    return id;
  }

  /** Stores an identity sealed elsewhere (the cluster CA exported by another member). */
  void write(String name, Identity id) {
    byte[] encoded = encode(id);
    store.write(
        tx -> {
          tx.putHsmState(name, encoded);
          return null;
        });
  }

  static byte[] encode(Identity id) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.write(ROW_MAGIC);
      out.writeByte(ROW_VERSION);
      out.writeUTF(id.owner);
      byte[] cert = id.certificate.getEncoded();
      out.writeInt(cert.length);
      out.write(cert);
      out.writeInt(id.sealedKey.length);
      out.write(id.sealedKey);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException | CertificateException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "encoding a certificate failed");
    }
  }

  static Identity decode(String name, byte[] raw) {
    try {
      if (raw == null) {
        throw new IOException("null");
      }
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw));
      byte[] magic = in.readNBytes(4);
      if (!Arrays.equals(magic, ROW_MAGIC) || in.readByte() != ROW_VERSION) {
        throw new IOException("unknown format");
      }
      String owner = in.readUTF();
      byte[] cert = readBlock(in);
      byte[] sealed = readBlock(in);
      if (in.available() != 0) {
        throw new IOException("trailing bytes");
      }
      X509Certificate c =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(new ByteArrayInputStream(cert));
      return new Identity(owner, c, sealed);
    } catch (IOException | CertificateException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "the stored " + name + " is damaged and cannot be read");
    }
  }

  private static byte[] readBlock(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 1 << 20) {
      throw new IOException("bad length");
    }
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new IOException("truncated");
    }
    return b;
  }

  /** Binds a sealed key to its row name, its owner and its certificate's public key. */
  static String sealLabel(String name, Identity id) {
    return name + "|" + id.owner + "|" + spkiHash(id.certificate.getPublicKey());
  }

  private byte[] seal(String name, Identity id, PrivateKey key, boolean underSmk) {
    SecretBytes pkcs8 = SecretBytes.adopt(key.getEncoded());
    try {
      return underSmk
          ? vault.sealWithSmk(sealLabel(name, id), pkcs8)
          : vault.sealWithDeviceKey(sealLabel(name, id), pkcs8);
    } finally {
      pkcs8.destroy();
    }
  }

  /** Opens a stored key; it exists only inside this package. */
  PrivateKey openKey(String name, Identity id, boolean underSmk) {
    if (underSmk) {
      requireSmk();
    }
    SecretBytes pkcs8 =
        underSmk
            ? vault.openWithSmk(sealLabel(name, id), id.sealedKey)
            : vault.openWithDeviceKey(sealLabel(name, id), id.sealedKey);
    byte[] raw = pkcs8.reveal(SecretKeyAccess.INSTANCE);
    try {
      return KeyFactory.getInstance("EC", CertificateIssuer.sunEc())
          .generatePrivate(new PKCS8EncodedKeySpec(raw));
    } catch (GeneralSecurityException e) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_ERROR, "the sealed key of " + name + " is not an EC private key");
    } finally {
      Arrays.fill(raw, (byte) 0);
      pkcs8.destroy();
    }
  }

  /** CKR_ARGUMENTS_BAD unless {@code key} signs what {@code cert}'s public key verifies. */
  static void requireKeyMatches(PrivateKey key, X509Certificate cert, String what) {
    try {
      byte[] probe = "keyring pki key match".getBytes(StandardCharsets.US_ASCII);
      String alg = "SHA256withECDSA";
      Signature s = Signature.getInstance(alg, CertificateIssuer.sunEc());
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg, CertificateIssuer.sunEc());
      v.initVerify(cert.getPublicKey());
      v.update(probe);
      if (v.verify(sig)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // falls through
    }
    throw new HsmException(
        ResultCode.CKR_ARGUMENTS_BAD, what + ": its key does not match its certificate");
  }

  /** CKR_FUNCTION_FAILED unless the partition's SMK is loaded. */
  void requireSmk() {
    if (!vault.loaded()) {
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "this HSM's partition holds no SMK yet: create or join a cluster first");
    }
  }

  private static String spkiHash(PublicKey key) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "SHA-256 is not available");
    }
  }
}
