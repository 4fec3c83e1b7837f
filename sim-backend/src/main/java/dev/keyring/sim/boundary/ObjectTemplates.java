package dev.keyring.sim.boundary;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Arrays;
import java.util.List;

/**
 * The attribute rules of keyring objects: which attributes a caller may set on what, the defaults
 * the HSM fills in, the attributes it computes itself (public parts, CKA_ID), and the sizes of
 * CKA_LABEL and CKA_ID ({@link KeyringLimits#checkObjectAttributes}).
 */
final class ObjectTemplates {
  /** Flags that grant a use of a private or secret part, so never belong on a public key. */
  private static final List<AttributeType> PRIVATE_USES =
      List.of(AttributeType.CKA_SIGN, AttributeType.CKA_DECRYPT, AttributeType.CKA_UNWRAP);

  private ObjectTemplates() {}

  /**
   * The template with defaults filled and the HSM-set attributes checked and added, for a key of
   * the given origin (the key model's creation rules, {@link KeyUseRules}, are checked on it).
   */
  static Attributes keyTemplate(
      Attributes template,
      ObjectClass c,
      KeyType type,
      Attributes publicAttrs,
      byte[] defaultId,
      KeyOrigin origin) {
    KeyringLimits.checkObjectAttributes(template);
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
      rejectPrivateUses(template);
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
            .flag(AttributeType.CKA_DECRYPT, KeyUseRules.decryptByDefault(type, template))
            .flag(AttributeType.CKA_WRAP, false)
            .flag(AttributeType.CKA_UNWRAP, false);
        break;
      default:
        b.flag(AttributeType.CKA_WRAP, false);
    }
    if (defaultId != null) {
      b.id(defaultId);
    }
    Attributes merged =
        b.build().merge(template).merge(publicAttrs).toBuilder()
            .objectClass(c)
            .keyType(type)
            .build();
    KeyUseRules.checkNewObject(c, type, merged, origin);
    return merged;
  }

  /**
   * The attributes of an object created with no secret part: a public key (validated, its public
   * attributes normalized, CKA_ID defaulted), a certificate (CKA_VALUE must be DER X.509) or a data
   * object; CKA_TOKEN defaults to true. Private and secret keys are refused.
   */
  static Attributes objectWithoutSecret(ObjectClass c, Attributes template) {
    KeyringLimits.checkObjectAttributes(template);
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
          rejectPrivateUses(template);
          KeyUseRules.checkNewObject(c, null, template, KeyOrigin.OUTSIDE);
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
    return attrs;
  }

  /** The template's CKA_CLASS; CKR_TEMPLATE_INCOMPLETE when it has none. */
  static ObjectClass requireClass(Attributes template) {
    return template
        .objectClass()
        .orElseThrow(
            () -> new HsmException(ResultCode.CKR_TEMPLATE_INCOMPLETE, "CKA_CLASS is required"));
  }

  /** The template's CKA_KEY_TYPE; CKR_TEMPLATE_INCOMPLETE when it has none. */
  static KeyType requireKeyType(Attributes template) {
    return template
        .keyType()
        .orElseThrow(
            () -> new HsmException(ResultCode.CKR_TEMPLATE_INCOMPLETE, "CKA_KEY_TYPE is required"));
  }

  private static void rejectPrivateUses(Attributes template) {
    for (AttributeType t : PRIVATE_USES) {
      if (template.flag(t, false)) {
        throw new HsmException(
            ResultCode.CKR_TEMPLATE_INCONSISTENT, t + " cannot be set on a public key");
      }
    }
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
  static byte[] defaultId(Attributes publicAttrs) {
    try {
      return Arrays.copyOf(
          MessageDigest.getInstance("SHA-256").digest(publicAttrs.canonicalEncoding()), 20);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A secret key's length must suit its type (CKR_WRAPPED_KEY_INVALID otherwise). */
  static void checkSecretLength(KeyType type, int length) {
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
}
