package dev.keyring.protocol.wire;

import dev.keyring.protocol.Digest;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;

/**
 * A mechanism and its parameters on the wire. Only the fields the mechanism uses may be set: {@code
 * iv}, {@code aad}, {@code tagBits} (AES-GCM); {@code iv} (AES-CBC-PAD); {@code hash}, {@code
 * mgfHash}, {@code label} (RSA-OAEP); {@code hash}, {@code mgfHash}, {@code saltLength} (RSA-PSS);
 * {@code peerPublicKey} (ECDH); {@code tlsClientVersion} and {@code tlsServerVersion}, both or
 * neither (RSA PKCS#1 v1.5 decryption of a TLS premaster secret).
 */
public record MechanismSpec(
    String name,
    byte[] iv,
    byte[] aad,
    Integer tagBits,
    String hash,
    String mgfHash,
    byte[] label,
    Integer saltLength,
    byte[] peerPublicKey,
    Integer tlsClientVersion,
    Integer tlsServerVersion) {

  public static MechanismSpec of(Mechanism m) {
    return new MechanismSpec(m.name(), null, null, null, null, null, null, null, null, null, null);
  }

  public static MechanismSpec of(Mechanism m, MechanismParams p) {
    if (p instanceof MechanismParams.Gcm) {
      MechanismParams.Gcm g = (MechanismParams.Gcm) p;
      return new MechanismSpec(
          m.name(),
          g.hasIv() ? g.iv() : null,
          g.aad(),
          g.tagBits(),
          null,
          null,
          null,
          null,
          null,
          null,
          null);
    } else if (p instanceof MechanismParams.Cbc) {
      MechanismParams.Cbc c = (MechanismParams.Cbc) p;
      return new MechanismSpec(
          m.name(),
          c.hasIv() ? c.iv() : null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null);
    } else if (p instanceof MechanismParams.Oaep) {
      MechanismParams.Oaep o = (MechanismParams.Oaep) p;
      return new MechanismSpec(
          m.name(),
          null,
          null,
          null,
          o.hash().name(),
          o.mgfHash().name(),
          o.label(),
          null,
          null,
          null,
          null);
    } else if (p instanceof MechanismParams.Pss) {
      MechanismParams.Pss s = (MechanismParams.Pss) p;
      return new MechanismSpec(
          m.name(),
          null,
          null,
          null,
          s.hash().name(),
          s.mgfHash().name(),
          null,
          s.saltLength(),
          null,
          null,
          null);
    } else if (p instanceof MechanismParams.Ecdh) {
      return new MechanismSpec(
          m.name(),
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          ((MechanismParams.Ecdh) p).peerPublicKey(),
          null,
          null);
    } else if (p instanceof MechanismParams.TlsPremaster) {
      MechanismParams.TlsPremaster t = (MechanismParams.TlsPremaster) p;
      return new MechanismSpec(
          m.name(),
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          t.clientVersion(),
          t.serverVersion());
    }
    return of(m);
  }

  public Mechanism mechanism() {
    if (name == null) {
      throw new HsmException(ResultCode.CKR_MECHANISM_INVALID, "mechanism.name is required");
    }
    return Mechanism.parse(name);
  }

  /**
   * The parameters, checked against the mechanism: a field the mechanism does not use is refused.
   */
  public MechanismParams params() {
    Mechanism m = mechanism();
    switch (m) {
      case CKM_AES_GCM:
        only(
            m,
            iv != null || aad != null || tagBits != null,
            hash,
            mgfHash,
            label,
            saltLength,
            peerPublicKey,
            tlsClientVersion,
            tlsServerVersion);
        return new MechanismParams.Gcm(iv, aad, tagBits == null ? 128 : tagBits);
      case CKM_AES_CBC_PAD:
        only(
            m,
            iv != null,
            hash,
            mgfHash,
            label,
            saltLength,
            peerPublicKey,
            aad,
            tagBits,
            tlsClientVersion,
            tlsServerVersion);
        return new MechanismParams.Cbc(iv);
      case CKM_RSA_PKCS_OAEP:
        only(
            m,
            true,
            iv,
            aad,
            tagBits,
            saltLength,
            peerPublicKey,
            tlsClientVersion,
            tlsServerVersion);
        Digest h = hash == null ? Digest.SHA256 : Digest.parse(hash);
        return new MechanismParams.Oaep(h, mgfHash == null ? h : Digest.parse(mgfHash), label);
      case CKM_SHA256_RSA_PKCS_PSS:
      case CKM_SHA384_RSA_PKCS_PSS:
      case CKM_SHA512_RSA_PKCS_PSS:
        only(m, true, iv, aad, tagBits, label, peerPublicKey, tlsClientVersion, tlsServerVersion);
        if (hash == null && mgfHash == null && saltLength == null) {
          return MechanismParams.Pss.of(m.digest());
        }
        Digest ph = hash == null ? m.digest() : Digest.parse(hash);
        return new MechanismParams.Pss(
            ph,
            mgfHash == null ? ph : Digest.parse(mgfHash),
            saltLength == null ? ph.length() : saltLength);
      case CKM_ECDH1_DERIVE:
        only(
            m,
            true,
            iv,
            aad,
            tagBits,
            hash,
            mgfHash,
            label,
            saltLength,
            tlsClientVersion,
            tlsServerVersion);
        if (peerPublicKey == null) {
          throw new HsmException(
              ResultCode.CKR_MECHANISM_PARAM_INVALID, "CKM_ECDH1_DERIVE needs peerPublicKey");
        }
        return new MechanismParams.Ecdh(peerPublicKey);
      case CKM_RSA_PKCS:
        only(m, true, iv, aad, tagBits, hash, mgfHash, label, saltLength, peerPublicKey);
        if (tlsClientVersion == null && tlsServerVersion == null) {
          return MechanismParams.NONE;
        }
        if (tlsClientVersion == null || tlsServerVersion == null) {
          throw new HsmException(
              ResultCode.CKR_MECHANISM_PARAM_INVALID,
              "CKM_RSA_PKCS takes tlsClientVersion and tlsServerVersion together or neither; got"
                  + " only "
                  + (tlsClientVersion == null ? "tlsServerVersion" : "tlsClientVersion"));
        }
        return new MechanismParams.TlsPremaster(tlsClientVersion, tlsServerVersion);
      default:
        only(
            m,
            true,
            iv,
            aad,
            tagBits,
            hash,
            mgfHash,
            label,
            saltLength,
            peerPublicKey,
            tlsClientVersion,
            tlsServerVersion);
        return MechanismParams.NONE;
    }
  }

  private static void only(Mechanism m, boolean unused, Object... mustBeNull) {
    for (Object o : mustBeNull) {
      if (o != null) {
        throw new HsmException(
            ResultCode.CKR_MECHANISM_PARAM_INVALID, m + " was given a parameter it does not take");
      }
    }
  }
}
