package dev.keyring.sim.boundary;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;

/**
 * The key model: what a private or secret key may be made with and what it may do, so that no
 * caller learns the value of a key through a keyring. The usage flags are the seed's (CKA_SIGN,
 * CKA_DECRYPT, CKA_WRAP, CKA_UNWRAP); the one fact they cannot express, where a key's value came
 * from, is its {@link KeyOrigin}, recorded in its SKS blob.
 *
 * <ol>
 *   <li>Only an AES secret key generated inside the boundary may carry CKA_WRAP. Public keys,
 *       private keys, generic secrets, and keys that are unwrapped or derived (whose value someone
 *       outside may know) are refused it with CKR_TEMPLATE_INCONSISTENT.
 *   <li>A key that wraps does not decrypt: CKA_WRAP and CKA_DECRYPT exclude each other
 *       (CKR_TEMPLATE_INCONSISTENT). An AES key that decrypts also encrypts, and AES-CBC decryption
 *       gives the AES block decryption of any block, which undoes AES-KWP.
 *   <li>Keys are wrapped out with CKM_AES_KEY_WRAP_KWP or CKM_AES_KEY_WRAP only
 *       (CKR_MECHANISM_INVALID for another mechanism), under a key that meets rules 1 and 2 as
 *       stored; a stored key that does not, such as one written before these rules, is refused with
 *       CKR_KEY_FUNCTION_NOT_PERMITTED.
 *   <li>Only secret keys without CKA_WRAP can be wrapped out (CKR_KEY_UNEXTRACTABLE). Private keys
 *       never leave; a wrapping key never leaves, so no copy of it exists under other flags.
 *   <li>An EC private key signs or agrees, not both: with CKA_SIGN (the default) it signs and does
 *       not derive, without it it derives and does not sign (CKR_KEY_FUNCTION_NOT_PERMITTED).
 *   <li>Derived and unwrapped keys have the origin OUTSIDE: they decrypt, sign and unwrap as their
 *       flags say, and never wrap (rule 1).
 * </ol>
 *
 * A key wrapped out can therefore be opened only by its own keyring's wrapping key, whose value no
 * one has seen and which cannot decrypt.
 */
final class KeyUseRules {
  private KeyUseRules() {}

  /** The CKA_DECRYPT default of a new secret key: AES keys decrypt unless they are to wrap. */
  static boolean decryptByDefault(KeyType type, Attributes template) {
    return type == KeyType.AES && !template.flag(AttributeType.CKA_WRAP, false);
  }

  /** Rules 1 and 2 for a new object of class {@code c} with its final attributes. */
  static void checkNewObject(ObjectClass c, KeyType type, Attributes attrs, KeyOrigin origin) {
    if (!attrs.flag(AttributeType.CKA_WRAP, false)) {
      return;
    }
    if (c == ObjectClass.PUBLIC_KEY) {
      throw inconsistent(
          "CKA_WRAP cannot be set on a public key: a key wrapped under it could be opened by"
              + " whoever holds its private half; keys wrap only under AES keys generated on the"
              + " keyring");
    }
    if (c != ObjectClass.SECRET_KEY || type != KeyType.AES) {
      throw inconsistent(
          "CKA_WRAP can be set only on AES secret keys generated on the keyring, not on a "
              + (type == null ? "" : type + " ")
              + c);
    }
    if (origin != KeyOrigin.INSIDE) {
      throw inconsistent(
          "CKA_WRAP cannot be set on a key that is unwrapped or derived: its value may be known"
              + " outside the keyring, and so would every key wrapped under it; only AES keys"
              + " generated on the keyring wrap");
    }
    if (attrs.flag(AttributeType.CKA_DECRYPT, false)) {
      throw inconsistent(
          "CKA_WRAP and CKA_DECRYPT exclude each other: a key that could decrypt could undo its own"
              + " wrapping; generate one key to wrap and another to encrypt");
    }
  }

  /** Rule 3: the wrapping mechanism and the wrapping key as stored. */
  static void checkWrappingKey(LoadedKey w, Mechanism m) {
    if (m != Mechanism.CKM_AES_KEY_WRAP_KWP && m != Mechanism.CKM_AES_KEY_WRAP) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_INVALID,
          m
              + " cannot wrap keys: keys are wrapped out only with CKM_AES_KEY_WRAP_KWP or"
              + " CKM_AES_KEY_WRAP under an AES key generated on the keyring");
    }
    w.requireFlag(AttributeType.CKA_WRAP, "wrap");
    if (w.record.attributes().flag(AttributeType.CKA_DECRYPT, false)) {
      throw notPermitted(w.describe() + " may not wrap: it also has CKA_DECRYPT");
    }
    if (w.objectClass == ObjectClass.SECRET_KEY && w.origin() != KeyOrigin.INSIDE) {
      throw notPermitted(
          w.describe()
              + " may not wrap: it was not generated on the keyring, so its value may be known"
              + " outside it");
    }
  }

  /** Rule 4: only secret keys without CKA_WRAP leave the keyring. */
  static void checkWrapTarget(LoadedKey target) {
    if (target.objectClass != ObjectClass.SECRET_KEY) {
      throw new HsmException(
          ResultCode.CKR_KEY_UNEXTRACTABLE,
          target.describe()
              + " is a "
              + target.objectClass
              + "; only secret keys can be wrapped out of a keyring, private keys never leave it");
    }
    if (target.record.attributes().flag(AttributeType.CKA_WRAP, false)) {
      throw new HsmException(
          ResultCode.CKR_KEY_UNEXTRACTABLE,
          target.describe() + " has CKA_WRAP; wrapping keys never leave the keyring");
    }
  }

  /** Rule 5: an EC private key derives only when it does not sign. */
  static void checkDeriveBase(LoadedKey k) {
    if (k.record.attributes().flag(AttributeType.CKA_SIGN, false)) {
      throw notPermitted(
          k.describe()
              + " may not derive: it has CKA_SIGN; ECDH takes an EC key generated or imported"
              + " without CKA_SIGN (a key-agreement key)");
    }
  }

  private static HsmException inconsistent(String why) {
    return new HsmException(ResultCode.CKR_TEMPLATE_INCONSISTENT, why);
  }

  private static HsmException notPermitted(String why) {
    return new HsmException(ResultCode.CKR_KEY_FUNCTION_NOT_PERMITTED, why);
  }
}
