package dev.keyring.sim.server;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.CryptoMessages;
import dev.keyring.store.ObjectRecord;
import java.util.Map;

/** Between the wire records and the domain types. */
final class WireMapping {
  private WireMapping() {}

  static Attributes attributes(Map<String, Object> json, String what) {
    if (json == null) {
      return Attributes.empty();
    }
    try {
      return Attributes.fromJsonMap(json);
    } catch (HsmException e) {
      throw new HsmException(e.code(), what + ": " + e.detail());
    }
  }

  static CryptoMessages.ObjectInfo object(ObjectRecord r) {
    return new CryptoMessages.ObjectInfo(
        r.handle(), r.objectClass().name(), r.attributes().toJsonMap());
  }

  static KeyGenParams keyGen(CryptoMessages.KeySpec spec) {
    if (spec == null || spec.type() == null) {
      throw new HsmException(ResultCode.CKR_TEMPLATE_INCOMPLETE, "spec.type is required");
    }
    KeyType type = KeyType.parse(spec.type());
    switch (type) {
      case RSA:
        return KeyGenParams.rsa(requireBits(spec, type));
      case AES:
        return KeyGenParams.aes(requireBits(spec, type));
      case GENERIC_SECRET:
        return KeyGenParams.genericSecret(requireBits(spec, type));
      default:
        if (spec.curve() == null) {
          throw new HsmException(
              ResultCode.CKR_TEMPLATE_INCOMPLETE, "spec.curve is required for " + type + " keys");
        }
        if (spec.bits() != null) {
          throw new HsmException(
              ResultCode.CKR_TEMPLATE_INCONSISTENT,
              "spec.bits does not apply to " + type + " keys");
        }
        Curve curve = Curve.parse(spec.curve());
        if (curve.isEdwards() != (type == KeyType.EC_EDWARDS)) {
          throw new HsmException(
              ResultCode.CKR_TEMPLATE_INCONSISTENT,
              "curve " + curve + " does not go with key type " + type);
        }
        return KeyGenParams.ec(curve);
    }
  }

  private static int requireBits(CryptoMessages.KeySpec spec, KeyType type) {
    if (spec.bits() == null) {
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCOMPLETE, "spec.bits is required for " + type + " keys");
    }
    if (spec.curve() != null) {
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCONSISTENT, "spec.curve does not apply to " + type + " keys");
    }
    return spec.bits();
  }
}
