package dev.keyring.sim.boundary;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks, per {@link EngineFamily}, the fastest crypto engine that loads here and passes a
 * cross-checked self-test: Amazon Corretto Crypto Provider (ACCP) when its native library loads,
 * then BouncyCastle or the JDK in the order measured fastest for that family. The choice is made
 * once per JVM and per set of overrides; {@code keyring.engine.<FAMILY>=ACCP|BC|JDK} (system
 * property) or {@link BoundaryConfig} overrides force one engine for a family.
 */
final class CryptoEngines {
  private static final Logger LOG = LoggerFactory.getLogger(CryptoEngines.class);
  private static final Map<Map<EngineFamily, String>, CryptoEngines> SELECTED =
      new ConcurrentHashMap<>();

  private final EnumMap<EngineFamily, Provider> chosen;
  private final EngineReport report;

  private CryptoEngines(EnumMap<EngineFamily, Provider> chosen, EngineReport report) {
    this.chosen = chosen;
    this.report = report;
  }

  static CryptoEngines select(Map<EngineFamily, String> overrides) {
    Map<EngineFamily, String> all = new EnumMap<>(EngineFamily.class);
    for (EngineFamily f : EngineFamily.values()) {
      String p = System.getProperty("keyring.engine." + f.name());
      if (p != null) {
        all.put(f, p.toUpperCase(Locale.ROOT));
      }
    }
    overrides.forEach((k, v) -> all.put(k, v.toUpperCase(Locale.ROOT)));
    return SELECTED.computeIfAbsent(Map.copyOf(all), CryptoEngines::doSelect);
  }

  Provider provider(EngineFamily family) {
    return chosen.get(family);
  }

  EngineReport report() {
    return report;
  }

  static String engineName(Provider p) {
    String n = p.getName();
    if (n.startsWith("AmazonCorretto")) {
      return "ACCP";
    } else if (n.equals("BC")) {
      return "BC";
    }
    return "JDK";
  }

  // ---- selection ----

  private static CryptoEngines doSelect(Map<EngineFamily, String> overrides) {
    Provider accp = loadAccp();
    Provider bc = new BouncyCastleProvider();
    EnumMap<EngineFamily, Provider> chosen = new EnumMap<>(EngineFamily.class);
    EnumMap<EngineFamily, String> names = new EnumMap<>(EngineFamily.class);
    EnumMap<EngineFamily, String> passed = new EnumMap<>(EngineFamily.class);
    SelfTests tests = new SelfTests();
    for (EngineFamily f : EngineFamily.values()) {
      List<Provider> candidates = new ArrayList<>();
      Provider jdk = Security.getProvider(jdkProviderName(f));
      for (String name : order(f)) {
        Provider p = name.equals("ACCP") ? accp : name.equals("BC") ? bc : jdk;
        if (p != null) {
          candidates.add(p);
        }
      }
      String forced = overrides.get(f);
      if (forced != null) {
        candidates.removeIf(p -> !engineName(p).equals(forced));
        if (candidates.isEmpty()) {
          throw new IllegalArgumentException(
              "engine " + forced + " was asked for " + f + " but it is not available here");
        }
      }
      List<String> reasons = new ArrayList<>();
      if (accp == null && order(f).get(0).equals("ACCP") && forced == null) {
        reasons.add("ACCP: " + accpLoadError);
      }
      for (Provider p : candidates) {
        try {
          tests.run(f, p);
          chosen.put(f, p);
          names.put(f, engineName(p));
          break;
        } catch (Exception | LinkageError e) {
          reasons.add(engineName(p) + ": " + e.getClass().getSimpleName() + " " + e.getMessage());
        }
      }
      if (!chosen.containsKey(f)) {
        throw new IllegalStateException(
            "no crypto engine passes the self-test for " + f + ": " + reasons);
      }
      if (!reasons.isEmpty()) {
        passed.put(f, String.join("; ", reasons));
      }
    }
    EngineReport report = new EngineReport(names, passed);
    LOG.info("boundary crypto engines:\n{}", report.describe());
    return new CryptoEngines(chosen, report);
  }

  private static volatile String accpLoadError = "not loaded";

  private static Provider loadAccp() {
    try {
      Class<?> c =
          Class.forName("com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider");
      Provider p = (Provider) c.getField("INSTANCE").get(null);
      Object err = c.getMethod("getLoadingError").invoke(p);
      if (err != null) {
        accpLoadError = "native library did not load: " + err;
        return null;
      }
      c.getMethod("assertHealthy").invoke(p);
      return p;
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      accpLoadError = "unavailable: " + e;
      return null;
    }
  }

  /** Candidate order, fastest first, as measured on the project's 2-core machines. */
  private static List<String> order(EngineFamily f) {
    switch (f) {
      case RSA_KEYGEN:
      case RSA_PKCS1_SIGN:
      case RSA_PSS_SIGN:
      case RSA_OAEP:
      case RSA_PKCS1_DECRYPT:
      case AES_GCM:
      case AES_CBC:
      case AES_KWP:
      case HMAC:
        return List.of("ACCP", "JDK", "BC");
      default:
        // EC and Ed25519: BouncyCastle is 7-18x faster than the JDK 17 implementations
        return List.of("ACCP", "BC", "JDK");
    }
  }

  private static String jdkProviderName(EngineFamily f) {
    switch (f) {
      case RSA_KEYGEN:
      case RSA_PKCS1_SIGN:
      case RSA_PSS_SIGN:
        return "SunRsaSign";
      case EC_KEYGEN:
      case ECDSA:
      case ECDH:
      case ED25519_KEYGEN:
      case ED25519:
        return "SunEC";
      default:
        return "SunJCE";
    }
  }

  // ---- self-tests: every candidate's result is checked against the JDK's ----

  private static final class SelfTests {
    private final SecureRandom random = new SecureRandom();
    private KeyPair rsa;
    private KeyPair ec;
    private KeyPair ec2;
    private KeyPair ed;
    private final byte[] message =
        "keyring engine self-test".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private KeyPair rsa() throws GeneralSecurityException {
      if (rsa == null) {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", "SunRsaSign");
        g.initialize(2048, random);
        rsa = g.generateKeyPair();
      }
      return rsa;
    }

    private KeyPair ec() throws GeneralSecurityException {
      if (ec == null) {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
        g.initialize(new ECGenParameterSpec("secp256r1"), random);
        ec = g.generateKeyPair();
        ec2 = g.generateKeyPair();
      }
      return ec;
    }

    private KeyPair ed() throws GeneralSecurityException {
      if (ed == null) {
        ed = KeyPairGenerator.getInstance("Ed25519", "SunEC").generateKeyPair();
      }
      return ed;
    }

    void run(EngineFamily f, Provider p) throws GeneralSecurityException {
      switch (f) {
        case RSA_KEYGEN:
          {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", p);
            g.initialize(2048, random);
            KeyPair kp = g.generateKeyPair();
            PrivateKey checked = reparse(kp.getPrivate(), "RSA", jdk("SunRsaSign"));
            crossSign(
                "SHA256withRSA",
                null,
                checked,
                kp.getPublic(),
                jdk("SunRsaSign"),
                jdk("SunRsaSign"));
            if (rsa == null) {
              // the JDK signed with it and verified: it serves as the RSA tests' pair, so the JDK's
              // own key generation (a second of CPU at a member's start) is not run for them
              rsa = new KeyPair(reparsePublic(kp.getPublic(), "RSA", jdk("SunRsaSign")), checked);
            }
            break;
          }
        case RSA_PKCS1_SIGN:
          crossSign(
              "SHA256withRSA", null, rsa().getPrivate(), rsa().getPublic(), p, jdk("SunRsaSign"));
          break;
        case RSA_PSS_SIGN:
          crossSign(
              "RSASSA-PSS",
              new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1),
              rsa().getPrivate(),
              rsa().getPublic(),
              p,
              jdk("SunRsaSign"));
          break;
        case RSA_OAEP:
          {
            OAEPParameterSpec spec =
                new OAEPParameterSpec(
                    "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
            crossCipher("RSA/ECB/OAEPPadding", spec, rsa().getPublic(), rsa().getPrivate(), p);
            break;
          }
        case RSA_PKCS1_DECRYPT:
          crossCipher("RSA/ECB/PKCS1Padding", null, rsa().getPublic(), rsa().getPrivate(), p);
          break;
        case EC_KEYGEN:
          {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC", p);
            g.initialize(new ECGenParameterSpec("secp256r1"), random);
            KeyPair kp = g.generateKeyPair();
            crossSign(
                "SHA256withECDSA",
                null,
                reparse(kp.getPrivate(), "EC", jdk("SunEC")),
                reparsePublic(kp.getPublic(), "EC", jdk("SunEC")),
                jdk("SunEC"),
                jdk("SunEC"));
            break;
          }
        case ECDSA:
          crossSign("SHA256withECDSA", null, ec().getPrivate(), ec().getPublic(), p, jdk("SunEC"));
          crossSign("NONEwithECDSA", null, ec().getPrivate(), ec().getPublic(), p, jdk("SunEC"));
          break;
        case ECDH:
          {
            KeyAgreement mine = KeyAgreement.getInstance("ECDH", p);
            mine.init(reparse(ec().getPrivate(), "EC", p));
            mine.doPhase(reparsePublic(ec2.getPublic(), "EC", p), true);
            KeyAgreement ref = KeyAgreement.getInstance("ECDH", "SunEC");
            ref.init(ec2.getPrivate());
            ref.doPhase(ec().getPublic(), true);
            same(mine.generateSecret(), ref.generateSecret(), "ECDH secret");
            break;
          }
        case ED25519_KEYGEN:
          {
            KeyPair kp = KeyPairGenerator.getInstance("Ed25519", p).generateKeyPair();
            crossSign(
                "Ed25519",
                null,
                reparse(kp.getPrivate(), "Ed25519", jdk("SunEC")),
                reparsePublic(kp.getPublic(), "Ed25519", jdk("SunEC")),
                jdk("SunEC"),
                jdk("SunEC"));
            break;
          }
        case ED25519:
          crossSign("Ed25519", null, ed().getPrivate(), ed().getPublic(), p, jdk("SunEC"));
          break;
        case AES_GCM:
          {
            byte[] iv = new byte[12];
            random.nextBytes(iv);
            crossSymmetric("AES/GCM/NoPadding", new GCMParameterSpec(128, iv), p);
            break;
          }
        case AES_CBC:
          {
            byte[] iv = new byte[16];
            random.nextBytes(iv);
            crossSymmetric("AES/CBC/PKCS5Padding", new IvParameterSpec(iv), p);
            break;
          }
        case AES_KWP:
          crossSymmetric("AES/KWP/NoPadding", null, p);
          break;
        case HMAC:
          {
            byte[] k = new byte[32];
            random.nextBytes(k);
            Mac a = Mac.getInstance("HmacSHA256", p);
            a.init(new SecretKeySpec(k, "HmacSHA256"));
            Mac b = Mac.getInstance("HmacSHA256", "SunJCE");
            b.init(new SecretKeySpec(k, "HmacSHA256"));
            same(a.doFinal(message), b.doFinal(message), "HMAC");
            break;
          }
        default:
          throw new IllegalStateException("no self-test for " + f);
      }
    }

    private static Provider jdk(String name) {
      return Security.getProvider(name);
    }

    private void crossSign(
        String alg, PSSParameterSpec pss, PrivateKey priv, PublicKey pub, Provider p, Provider ref)
        throws GeneralSecurityException {
      String keyAlg = pub.getAlgorithm().equals("EdDSA") ? "Ed25519" : pub.getAlgorithm();
      byte[] data =
          alg.startsWith("NONE") ? MessageDigest.getInstance("SHA-256").digest(message) : message;
      Signature s = Signature.getInstance(alg, p);
      if (pss != null) {
        s.setParameter(pss);
      }
      s.initSign(reparse(priv, keyAlg, p));
      s.update(data);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg, ref);
      if (pss != null) {
        v.setParameter(pss);
      }
      v.initVerify(pub);
      v.update(data);
      if (!v.verify(sig)) {
        throw new GeneralSecurityException(alg + " signature did not verify with the JDK");
      }
      Signature r = Signature.getInstance(alg, ref);
      if (pss != null) {
        r.setParameter(pss);
      }
      r.initSign(priv);
      r.update(data);
      byte[] refSig = r.sign();
      Signature mv = Signature.getInstance(alg, p);
      if (pss != null) {
        mv.setParameter(pss);
      }
      mv.initVerify(reparsePublic(pub, keyAlg, p));
      mv.update(data);
      if (!mv.verify(refSig)) {
        throw new GeneralSecurityException(alg + " did not verify a JDK signature");
      }
      refSig[refSig.length / 2] ^= 1;
      mv.initVerify(reparsePublic(pub, keyAlg, p));
      mv.update(data);
      boolean acceptedBad;
      try {
        acceptedBad = mv.verify(refSig);
      } catch (java.security.SignatureException e) {
        acceptedBad = false;
      }
      if (acceptedBad) {
        throw new GeneralSecurityException(alg + " accepted an altered signature");
      }
    }

    private void crossCipher(
        String alg, OAEPParameterSpec spec, PublicKey pub, PrivateKey priv, Provider p)
        throws GeneralSecurityException {
      Cipher ref = Cipher.getInstance(alg, "SunJCE");
      if (spec != null) {
        ref.init(Cipher.ENCRYPT_MODE, pub, spec);
      } else {
        ref.init(Cipher.ENCRYPT_MODE, pub);
      }
      byte[] ct = ref.doFinal(message);
      Cipher mine = Cipher.getInstance(alg, p);
      if (spec != null) {
        mine.init(Cipher.DECRYPT_MODE, reparse(priv, "RSA", p), spec);
      } else {
        mine.init(Cipher.DECRYPT_MODE, reparse(priv, "RSA", p));
      }
      same(mine.doFinal(ct), message, alg + " decryption");
    }

    private void crossSymmetric(
        String alg, java.security.spec.AlgorithmParameterSpec spec, Provider p)
        throws GeneralSecurityException {
      byte[] k = new byte[32];
      random.nextBytes(k);
      SecretKeySpec key = new SecretKeySpec(k, "AES");
      Cipher mine = Cipher.getInstance(alg, p);
      Cipher ref = Cipher.getInstance(alg, "SunJCE");
      init(mine, Cipher.ENCRYPT_MODE, key, spec);
      byte[] ct = mine.doFinal(message);
      init(ref, Cipher.DECRYPT_MODE, key, spec);
      same(ref.doFinal(ct), message, alg + " round trip");
      init(ref, Cipher.ENCRYPT_MODE, key, spec);
      byte[] refCt = ref.doFinal(message);
      same(ct, refCt, alg + " ciphertext");
    }

    private static void init(
        Cipher c, int mode, Key k, java.security.spec.AlgorithmParameterSpec spec)
        throws GeneralSecurityException {
      if (spec == null) {
        c.init(mode, k);
      } else {
        c.init(mode, k, spec);
      }
    }

    private static void same(byte[] a, byte[] b, String what) throws GeneralSecurityException {
      if (!Arrays.equals(a, b)) {
        throw new GeneralSecurityException(what + " differs from the JDK's");
      }
    }
  }

  static PrivateKey reparse(PrivateKey k, String alg, Provider p) throws GeneralSecurityException {
    return keyFactory(alg, p).generatePrivate(new PKCS8EncodedKeySpec(k.getEncoded()));
  }

  static PublicKey reparsePublic(PublicKey k, String alg, Provider p)
      throws GeneralSecurityException {
    return keyFactory(alg, p).generatePublic(new X509EncodedKeySpec(k.getEncoded()));
  }

  /**
   * The key factory that makes keys {@code p}'s engines take: {@code p}'s own, or, for a JDK
   * provider without one (SunJCE has ciphers but no RSA key factory), the JDK's.
   */
  static KeyFactory keyFactory(String alg, Provider p) throws GeneralSecurityException {
    try {
      return KeyFactory.getInstance(alg, p);
    } catch (java.security.NoSuchAlgorithmException e) {
      if (!engineName(p).equals("JDK")) {
        throw e;
      }
      return KeyFactory.getInstance(alg);
    }
  }
}
