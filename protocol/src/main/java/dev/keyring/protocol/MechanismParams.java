package dev.keyring.protocol;

import java.util.Objects;

/** Parameters of a mechanism. Byte arrays are copied in and out. */
public interface MechanismParams {

  /** No parameters. */
  MechanismParams NONE =
      new MechanismParams() {
        @Override
        public String toString() {
          return "none";
        }
      };

  /**
   * AES-GCM: an IV (null or empty asks the HSM to generate 12 random bytes and prepend them to the
   * ciphertext), additional data and the tag length in bits (96 to 128, a multiple of 8).
   */
  final class Gcm implements MechanismParams {
    private final byte[] iv;
    private final byte[] aad;
    private final int tagBits;

    public Gcm(byte[] iv, byte[] aad, int tagBits) {
      this.iv = iv == null ? new byte[0] : iv.clone();
      this.aad = aad == null ? new byte[0] : aad.clone();
      this.tagBits = tagBits;
    }

    public static Gcm generatedIv(byte[] aad) {
      return new Gcm(null, aad, 128);
    }

    public byte[] iv() {
      return iv.clone();
    }

    public boolean hasIv() {
      return iv.length > 0;
    }

    public byte[] aad() {
      return aad.clone();
    }

    public int tagBits() {
      return tagBits;
    }

    @Override
    public String toString() {
      return "Gcm[iv=" + iv.length + "B, aad=" + aad.length + "B, tag=" + tagBits + "b]";
    }
  }

  /** AES-CBC-PAD: a 16-byte IV (null or empty asks the HSM to generate and prepend one). */
  final class Cbc implements MechanismParams {
    private final byte[] iv;

    public Cbc(byte[] iv) {
      this.iv = iv == null ? new byte[0] : iv.clone();
    }

    public byte[] iv() {
      return iv.clone();
    }

    public boolean hasIv() {
      return iv.length > 0;
    }

    @Override
    public String toString() {
      return "Cbc[iv=" + iv.length + "B]";
    }
  }

  /** RSA-OAEP: hash, MGF1 hash and label (may be empty). */
  final class Oaep implements MechanismParams {
    private final Digest hash;
    private final Digest mgfHash;
    private final byte[] label;

    public Oaep(Digest hash, Digest mgfHash, byte[] label) {
      this.hash = Objects.requireNonNull(hash, "hash");
      this.mgfHash = Objects.requireNonNull(mgfHash, "mgfHash");
      this.label = label == null ? new byte[0] : label.clone();
    }

    public Digest hash() {
      return hash;
    }

    public Digest mgfHash() {
      return mgfHash;
    }

    public byte[] label() {
      return label.clone();
    }

    @Override
    public String toString() {
      return "Oaep[" + hash + ", mgf1 " + mgfHash + ", label=" + label.length + "B]";
    }
  }

  /** RSA-PSS: hash, MGF1 hash and salt length in bytes. */
  final class Pss implements MechanismParams {
    private final Digest hash;
    private final Digest mgfHash;
    private final int saltLength;

    public Pss(Digest hash, Digest mgfHash, int saltLength) {
      this.hash = Objects.requireNonNull(hash, "hash");
      this.mgfHash = Objects.requireNonNull(mgfHash, "mgfHash");
      this.saltLength = saltLength;
    }

    /** The parameters TLS 1.3 and most users want: MGF1 with the same hash, salt = hash length. */
    public static Pss of(Digest hash) {
      return new Pss(hash, hash, hash.length());
    }

    public Digest hash() {
      return hash;
    }

    public Digest mgfHash() {
      return mgfHash;
    }

    public int saltLength() {
      return saltLength;
    }

    @Override
    public String toString() {
      return "Pss[" + hash + ", mgf1 " + mgfHash + ", salt=" + saltLength + "]";
    }
  }

  /** ECDH: the peer's public key, as an X.509 SubjectPublicKeyInfo or an uncompressed EC point. */
  final class Ecdh implements MechanismParams {
    private final byte[] peerPublicKey;

    public Ecdh(byte[] peerPublicKey) {
      this.peerPublicKey = Objects.requireNonNull(peerPublicKey, "peerPublicKey").clone();
    }

    public byte[] peerPublicKey() {
      return peerPublicKey.clone();
    }

    @Override
    public String toString() {
      return "Ecdh[peer=" + peerPublicKey.length + "B]";
    }
  }

  /**
   * RSA PKCS#1 v1.5 decryption of a TLS RSA premaster secret (TLS 1.2 and earlier key exchange):
   * the versions are the 16-bit TLS protocol numbers, {@code clientVersion} the one the client
   * offered in its ClientHello and {@code serverVersion} the one negotiated, each 0x0300 (SSL 3.0)
   * to 0x0304 (TLS 1.3). With these parameters a CKM_RSA_PKCS decryption always answers 48 bytes
   * and never says whether the padding was valid; see the member's crypto API documentation.
   */
  final class TlsPremaster implements MechanismParams {
    /** The lowest version taken: SSL 3.0. */
    public static final int MIN_VERSION = 0x0300;

    /** The highest version taken: TLS 1.3. */
    public static final int MAX_VERSION = 0x0304;

    private final int clientVersion;
    private final int serverVersion;

    /**
     * @throws HsmException CKR_MECHANISM_PARAM_INVALID when a version is outside 0x0300..0x0304
     */
    public TlsPremaster(int clientVersion, int serverVersion) {
      this.clientVersion = check("clientVersion", clientVersion);
      this.serverVersion = check("serverVersion", serverVersion);
    }

    private static int check(String name, int version) {
      if (version < MIN_VERSION || version > MAX_VERSION) {
        throw new HsmException(
            ResultCode.CKR_MECHANISM_PARAM_INVALID,
            String.format(
                "TLS premaster %s must be a TLS protocol version from 0x%04x (SSL 3.0) to 0x%04x"
                    + " (TLS 1.3), got %d (0x%x)",
                name, MIN_VERSION, MAX_VERSION, version, version));
      }
      return version;
    }

    public int clientVersion() {
      return clientVersion;
    }

    public int serverVersion() {
      return serverVersion;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof TlsPremaster
          && ((TlsPremaster) o).clientVersion == clientVersion
          && ((TlsPremaster) o).serverVersion == serverVersion;
    }

    @Override
    public int hashCode() {
      return clientVersion * 31 + serverVersion;
    }

    @Override
    public String toString() {
      return String.format(
          "TlsPremaster[client=0x%04x, server=0x%04x]", clientVersion, serverVersion);
    }
  }
}
