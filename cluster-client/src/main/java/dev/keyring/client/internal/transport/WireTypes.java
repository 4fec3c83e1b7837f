package dev.keyring.client.internal.transport;

import dev.keyring.client.api.KeyringObject;
import dev.keyring.client.api.Slot;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.wire.CryptoMessages;
import dev.keyring.protocol.wire.MechanismSpec;
import java.util.Map;
import java.util.Objects;

/** Between the client's API types and the wire records. */
final class WireTypes {
  private WireTypes() {}

  static CryptoMessages.KeySpec keySpec(KeyGenParams p) {
    Objects.requireNonNull(p, "params");
    if (p.curve() != null) {
      return new CryptoMessages.KeySpec(p.keyType().name(), null, p.curve().name());
    }
    return new CryptoMessages.KeySpec(p.keyType().name(), p.bits(), null);
  }

  static Map<String, Object> template(Attributes a) {
    return a == null ? Map.of() : a.toJsonMap();
  }

  static MechanismSpec mechanism(Mechanism m, MechanismParams p) {
    Objects.requireNonNull(m, "mechanism");
    return p == null ? MechanismSpec.of(m) : MechanismSpec.of(m, p);
  }

  static KeyringObject object(CryptoMessages.ObjectInfo info) {
    if (info == null || info.objectClass() == null) {
      throw new HsmException(
          ResultCode.CKR_GENERAL_ERROR, "the member described an object without its class");
    }
    Map<String, Object> attrs = info.attributes() == null ? Map.of() : info.attributes();
    return new KeyringObject(
        info.handle(), ObjectClass.parse(info.objectClass()), Attributes.fromJsonMap(attrs));
  }

  static Slot slot(CryptoMessages.Slot s) {
    return new Slot(
        s.slotId(),
        s.keyringId(),
        s.label(),
        s.locked(),
        s.krcoInitialized(),
        s.passwordChangeRequired());
  }
}
