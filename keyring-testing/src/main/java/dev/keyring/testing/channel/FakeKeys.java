package dev.keyring.testing.channel;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * How objects come into being on a fake keyring: generated key pairs and secret keys, created
 * public keys, certificates and data objects, and imported (unwrapped or derived) keys. The
 * attribute rules are a member's: the caller may not set the values the HSM sets, defaults fill the
 * usage flags, CKA_ID defaults to a digest of the public attributes, and the key model's creation
 * rules hold (only AES keys generated inside carry CKA_WRAP, never with CKA_DECRYPT).
 *
 * <p>RSA key generation takes a tenth of a second; to keep tests fast, the first {@value #RSA_POOL}
 * RSA key pairs of each size generated in a JVM are new, later ones are reused from those in turn
 * (a test that needs many different RSA keys cannot tell which are equal).
 */
final class FakeKeys {
  private static final int RSA_POOL = 2;
  private static final Map<Integer, List<KeyPair>> RSA_PAIRS = new ConcurrentHashMap<>();
  private static final AtomicInteger RSA_TURN = new AtomicInteger();
  private static final SecureRandom RANDOM = new SecureRandom();

  private FakeKeys() {}

  static List<FakeObject> generateKeyPair(
      FakeKeyring k, KeyGenParams params, Attributes publicTemplate, Attributes privateTemplate) {
    KeyType type = params.keyType();
    if (type.isSecret()) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_INVALID, type + " keys are generated with generateKey");
    }
    KeyPair kp = type == KeyType.RSA ? rsaPair(params.bits()) : curvePair(params.curve());
    Attributes pub = PublicKeyAttributes.of(kp.getPublic());
    byte[] id = defaultId(pub);
    Attributes pubAttrs = keyTemplate(publicTemplate, ObjectClass.PUBLIC_KEY, type, pub, id, true);
    Attributes privAttrs =
        keyTemplate(privateTemplate, ObjectClass.PRIVATE_KEY, type, pub, id, true);
    return k.addPair(
        h -> FakeObject.plain(h, ObjectClass.PUBLIC_KEY, pubAttrs),
        h -> FakeObject.privateKey(h, privAttrs, kp.getPrivate(), true));
  }

  static FakeObject generateKey(FakeKeyring k, KeyGenParams params, Attributes template) {
    KeyType type = params.keyType();
    if (!type.isSecret()) {
      throw new HsmException(
          ResultCode.CKR_MECHANISM_INVALID, type + " keys are generated with generateKeyPair");
    }
    byte[] value = new byte[params.bits() / 8];
    RANDOM.nextBytes(value);
    return storeSecret(k, type, template, value, true);
  }

  /** A public key, certificate or data object; private and secret keys never enter in clear. */
  static FakeObject createObject(FakeKeyring k, Attributes template) {
    KeyringLimits.checkObjectAttributes(template);
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
            "private and secret keys cannot be created in the clear; generate or unwrap them");
      case PUBLIC_KEY:
        refuseFlags(template, "a public key", AttributeType.CKA_SIGN, AttributeType.CKA_DECRYPT);
        refuseFlags(template, "a public key", AttributeType.CKA_UNWRAP);
        checkWrapRules(c, null, template, false);
        if (template.has(AttributeType.CKA_VALUE)) {
          throw new HsmException(
              ResultCode.CKR_TEMPLATE_INCONSISTENT, "a public key object takes no CKA_VALUE");
        }
        Attributes pub = PublicKeyAttributes.of(PublicKeyAttributes.toPublicKey(template));
        attrs = template.merge(pub);
        if (!attrs.has(AttributeType.CKA_ID)) {
          attrs = attrs.with(AttributeType.CKA_ID, defaultId(pub));
        }
        break;
      case CERTIFICATE:
        checkCertificate(template);
        refuseKeyAttributes(template, "a certificate");
        break;
      default:
        refuseKeyAttributes(template, "a data object");
    }
    if (!attrs.has(AttributeType.CKA_TOKEN)) {
      attrs = attrs.with(AttributeType.CKA_TOKEN, true);
    }
    Attributes fin = attrs;
    return k.add(h -> FakeObject.plain(h, c, fin));
  }

  /** Stores an unwrapped key: raw bytes of a secret key, or a PKCS#8 private key. */
  static FakeObject importKey(FakeKeyring k, Attributes template, byte[] plain) {
    ObjectClass c = template.objectClass().orElse(null);
    KeyType type = template.keyType().orElse(null);
    if (c == null || type == null) {
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCOMPLETE, "unwrap needs CKA_CLASS and CKA_KEY_TYPE");
    }
    if (!c.hasSecretPart() || (c == ObjectClass.SECRET_KEY) != type.isSecret()) {
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCONSISTENT,
          "unwrap makes private keys (RSA, EC, EC_EDWARDS) or secret keys (AES, GENERIC_SECRET);"
              + " got "
              + c
              + " "
              + type);
    }
    if (c == ObjectClass.SECRET_KEY) {
      return storeSecret(k, type, template, plain, false);
    }
    PrivateKey key = parsePrivate(type, plain);
    Attributes pub = publicOf(type, key);
    Attributes attrs = keyTemplate(template, c, type, pub, defaultId(pub), false);
    return k.add(h -> FakeObject.privateKey(h, attrs, key, false));
  }

  /** Derives a secret key (AES or generic secret) from an EC private key by ECDH. */
  static FakeObject derive(
      FakeKeyring k, FakeObject base, Mechanism m, MechanismParams p, Attributes template) {
    byte[] shared = FakeCrypto.ecdh(base, m, p);
    try {
      KeyType type = template.keyType().orElse(KeyType.GENERIC_SECRET);
      if (!type.isSecret()
          || template.objectClass().filter(c -> c != ObjectClass.SECRET_KEY).isPresent()) {
        throw new HsmException(
            ResultCode.CKR_TEMPLATE_INCONSISTENT, "ECDH derives AES or GENERIC_SECRET keys");
      }
      Attributes rest =
          template.without(AttributeType.CKA_CLASS).without(AttributeType.CKA_KEY_TYPE);
      return storeSecret(k, type, rest, shared, false);
    } finally {
      Arrays.fill(shared, (byte) 0);
    }
  }

  /**
   * Stores a secret key of {@code type} with {@code value}, generated inside or come from outside;
   * the template may name the type.
   */
  static FakeObject storeSecret(
      FakeKeyring k, KeyType type, Attributes template, byte[] value, boolean generatedInside) {
    if (type == KeyType.AES && value.length != 16 && value.length != 24 && value.length != 32) {
      throw new HsmException(
          ResultCode.CKR_WRAPPED_KEY_INVALID,
          "an AES key must be 16, 24 or 32 bytes, this one is " + value.length);
    }
    if (type == KeyType.GENERIC_SECRET && (value.length < 1 || value.length > 512)) {
      throw new HsmException(
          ResultCode.CKR_WRAPPED_KEY_INVALID,
          "a generic secret must be 1 to 512 bytes, this one is " + value.length);
    }
    Attributes attrs =
        keyTemplate(
            template, ObjectClass.SECRET_KEY, type, Attributes.empty(), null, generatedInside);
    return k.add(h -> FakeObject.secretKey(h, attrs, value, generatedInside));
  }

  // ---- templates

  /** The template with the member's defaults under it and the HSM-set attributes over it. */
  private static Attributes keyTemplate(
      Attributes template,
      ObjectClass c,
      KeyType type,
      Attributes pub,
      byte[] defaultId,
      boolean generatedInside) {
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
    if (template.objectClass().filter(x -> x != c).isPresent()
        || template.keyType().filter(x -> x != type).isPresent()) {
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCONSISTENT,
          "the template names another class or key type than the " + c + " " + type + " made");
    }
    if (template.has(AttributeType.CKA_ECDSA_PARAMS)
        && !Arrays.equals(
            template.bytes(AttributeType.CKA_ECDSA_PARAMS).get(),
            pub.bytes(AttributeType.CKA_ECDSA_PARAMS).orElse(new byte[0]))) {
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCONSISTENT,
          "CKA_ECDSA_PARAMS in the template does not match the key's curve");
    }
    Attributes.Builder defaults = Attributes.builder().set(AttributeType.CKA_TOKEN, true);
    if (c == ObjectClass.PUBLIC_KEY) {
      refuseFlags(template, "a public key", AttributeType.CKA_SIGN, AttributeType.CKA_DECRYPT);
      refuseFlags(template, "a public key", AttributeType.CKA_UNWRAP);
      defaults.flag(AttributeType.CKA_WRAP, false);
    } else if (c == ObjectClass.PRIVATE_KEY) {
      defaults
          .flag(AttributeType.CKA_SIGN, true)
          .flag(AttributeType.CKA_DECRYPT, type == KeyType.RSA)
          .flag(AttributeType.CKA_UNWRAP, false);
    } else {
      defaults
          .flag(AttributeType.CKA_SIGN, type == KeyType.GENERIC_SECRET)
          .flag(
              AttributeType.CKA_DECRYPT,
              type == KeyType.AES && !template.flag(AttributeType.CKA_WRAP, false))
          .flag(AttributeType.CKA_WRAP, false)
          .flag(AttributeType.CKA_UNWRAP, false);
    }
    if (defaultId != null) {
      defaults.id(defaultId);
    }
    Attributes attrs =
        defaults.build().merge(template).merge(pub).toBuilder()
            .objectClass(c)
            .keyType(type)
            .build();
    checkWrapRules(c, type, attrs, generatedInside);
    return attrs;
  }

  /**
   * A member's creation rules for CKA_WRAP: only on AES secret keys generated inside, and never
   * with CKA_DECRYPT (CKR_TEMPLATE_INCONSISTENT).
   */
  private static void checkWrapRules(
      ObjectClass c, KeyType type, Attributes attrs, boolean generatedInside) {
    if (!attrs.flag(AttributeType.CKA_WRAP, false)) {
      return;
    }
    String why = null;
    if (c != ObjectClass.SECRET_KEY || type != KeyType.AES) {
      why = "CKA_WRAP can be set only on AES secret keys generated on the keyring";
    } else if (!generatedInside) {
      why = "CKA_WRAP cannot be set on a key that is unwrapped or derived";
    } else if (attrs.flag(AttributeType.CKA_DECRYPT, false)) {
      why = "CKA_WRAP and CKA_DECRYPT exclude each other";
    }
    if (why != null) {
      throw new HsmException(ResultCode.CKR_TEMPLATE_INCONSISTENT, why);
    }
  }

  private static void refuseFlags(Attributes template, String what, AttributeType... flags) {
    for (AttributeType t : flags) {
      if (template.flag(t, false)) {
        throw new HsmException(
            ResultCode.CKR_TEMPLATE_INCONSISTENT, t + " cannot be set on " + what);
      }
    }
  }

  private static void refuseKeyAttributes(Attributes template, String what) {
    List<AttributeType> keyOnly = new ArrayList<>();
    for (AttributeType t : template.types()) {
      if (t != AttributeType.CKA_CLASS
          && t != AttributeType.CKA_TOKEN
          && t != AttributeType.CKA_LABEL
          && t != AttributeType.CKA_ID
          && t != AttributeType.CKA_VALUE) {
        keyOnly.add(t);
      }
    }
    if (!keyOnly.isEmpty()) {
      throw new HsmException(
          ResultCode.CKR_TEMPLATE_INCONSISTENT, keyOnly + " do not belong on " + what);
    }
  }

  private static void checkCertificate(Attributes template) {
    byte[] der =
        template
            .bytes(AttributeType.CKA_VALUE)
            .orElseThrow(
                () ->
                    new HsmException(
                        ResultCode.CKR_TEMPLATE_INCOMPLETE,
                        "a certificate needs CKA_VALUE (DER X.509)"));
    try {
      CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException e) {
      throw new HsmException(
          ResultCode.CKR_ATTRIBUTE_VALUE_INVALID,
          "CKA_VALUE is not a DER X.509 certificate: " + e.getMessage());
    }
  }

  /** CKA_ID default: the first 20 bytes of SHA-256 over the public attributes. */
  private static byte[] defaultId(Attributes pub) {
    try {
      return Arrays.copyOf(
          MessageDigest.getInstance("SHA-256").digest(pub.canonicalEncoding()), 20);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- key material

  private static KeyPair rsaPair(int bits) {
    List<KeyPair> pool = RSA_PAIRS.computeIfAbsent(bits, b -> new ArrayList<>());
    synchronized (pool) {
      if (pool.size() < RSA_POOL) {
        try {
          KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
          g.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), RANDOM);
          pool.add(g.generateKeyPair());
          return pool.get(pool.size() - 1);
        } catch (GeneralSecurityException e) {
          throw new HsmException(ResultCode.CKR_DEVICE_ERROR, "RSA key generation failed", e);
        }
      }
      return pool.get(Math.floorMod(RSA_TURN.getAndIncrement(), RSA_POOL));
    }
  }

  private static KeyPair curvePair(Curve curve) {
    try {
      if (curve.isEdwards()) {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      }
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec(curve.jcaName()), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new HsmException(ResultCode.CKR_DEVICE_ERROR, curve + " key generation failed", e);
    }
  }

  private static PrivateKey parsePrivate(KeyType type, byte[] pkcs8) {
    String algorithm = type == KeyType.RSA ? "RSA" : type == KeyType.EC ? "EC" : "Ed25519";
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_WRAPPED_KEY_INVALID,
          "the unwrapped bytes are not a PKCS#8 " + type + " private key");
    }
  }

  /** The public attributes of an imported private key, computed from it. */
  private static Attributes publicOf(KeyType type, PrivateKey key) {
    try {
      if (key instanceof RSAPrivateCrtKey) {
        RSAPrivateCrtKey crt = (RSAPrivateCrtKey) key;
        return PublicKeyAttributes.of(
            KeyFactory.getInstance("RSA")
                .generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent())));
      }
      if (key instanceof ECPrivateKey) {
        ECPrivateKey ec = (ECPrivateKey) key;
        Curve curve = PublicKeyAttributes.curveOf(ec.getParams());
        X9ECParameters x9 = ECNamedCurveTable.getByName(curve.jcaName());
        byte[] point = x9.getG().multiply(ec.getS()).normalize().getEncoded(false);
        return Attributes.builder()
            .keyType(KeyType.EC)
            .set(AttributeType.CKA_ECDSA_PARAMS, curve.oidDer())
            .set(AttributeType.CKA_EC_POINT, PublicKeyAttributes.octetString(point))
            .build();
      }
      if (key instanceof EdECPrivateKey) {
        byte[] seed = ((EdECPrivateKey) key).getBytes().orElseThrow();
        byte[] point = new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
        Arrays.fill(seed, (byte) 0);
        return Attributes.builder()
            .keyType(KeyType.EC_EDWARDS)
            .set(AttributeType.CKA_ECDSA_PARAMS, Curve.ED25519.oidDer())
            .set(AttributeType.CKA_EC_POINT, PublicKeyAttributes.octetString(point))
            .build();
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new HsmException(
          ResultCode.CKR_WRAPPED_KEY_INVALID, "the unwrapped " + type + " key is unusable");
    }
    throw new HsmException(
        ResultCode.CKR_WRAPPED_KEY_INVALID, "the unwrapped key is not a " + type + " key");
  }
}
