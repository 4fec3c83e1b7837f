package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.ObjectRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cloning objects between the boundaries of two clusters (each its own store, device key and SMK)
 * through the bytes a client would relay: the object opens on the target with its identity,
 * attributes and value; the relayed bytes hold no plaintext key; another cloning domain, another
 * cluster's clone, an altered clone and a conflicting version are refused.
 */
class ObjectCloneTest {
  private static final String DOMAIN = "domain-fingerprint-a";
  private static final Consumer<ObjectClass> ANY = c -> {};
  private static final byte[] DATA = "clone me".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  private final List<byte[]> relayed = new ArrayList<>();

  /** A keyring of its own cluster whose partition was given the cloning domain {@code domain}. */
  private TestKeyring keyring(String name, String domain) {
    TestKeyring k = new TestKeyring(dir.resolve(name));
    k.boundary.sealCloningDomain(domain);
    return k;
  }

  /** Clones {@code handle} of {@code source} into {@code target}, keeping what was relayed. */
  private ObjectRecord cloneInto(TestKeyring source, long handle, TestKeyring target) {
    byte[] offer = target.boundary.cloningPublicKey();
    relayed.add(offer);
    byte[] bundle = source.boundary.cloneObjectOut(source.keyringId, handle, offer, DOMAIN);
    relayed.add(bundle);
    return target.boundary.cloneObjectIn(target.keyringId, bundle, DOMAIN, ANY);
  }

  private static KeyPair p256() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  @Test
  void privateKey_clonedToAnotherCluster_signsThereAndNoRelayedByteHoldsIt() throws Exception {
    KeyPair known = p256();
    byte[] pkcs8 = known.getPrivate().getEncoded();
    byte[] scalar = fixed32(((ECPrivateKey) known.getPrivate()).getS().toByteArray());
    try (TestKeyring a = keyring("a", "domain-a");
        TestKeyring b = keyring("b", "domain-a")) {
      ObjectRecord src =
          a.importPrivateKey(
              KeyType.EC,
              pkcs8,
              Attributes.builder().label("web").flag(AttributeType.CKA_SIGN, true).build());
      ObjectRecord copy = cloneInto(a, src.handle(), b);

      assertEquals(src.objectId(), copy.objectId(), "the object keeps its identity");
      assertEquals(src.attributes(), copy.attributes());
      assertEquals(ObjectClass.PRIVATE_KEY, copy.objectClass());
      assertNotEquals(
          HexFormat.of().formatHex(src.blob()),
          HexFormat.of().formatHex(copy.blob()),
          "the target seals the value under its own SMK");

      byte[] sig =
          b.boundary.sign(
              b.keyringId, copy.handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
      Signature v = Signature.getInstance("SHA256withECDSA");
      v.initVerify(known.getPublic());
      v.update(DATA);
      assertTrue(v.verify(sig), "the clone signs with the same key");

      for (byte[] r : relayed) {
        for (byte[] needle : List.of(pkcs8, scalar)) {
          assertFalse(containsAnyForm(r, needle), "a relayed message holds the private key");
        }
      }
    }
  }

  @Test
  void secretKey_clonedToAnotherCluster_decryptsWhatTheSourceEncrypted() {
    byte[] raw = new byte[32];
    new java.security.SecureRandom().nextBytes(raw);
    try (TestKeyring a = keyring("a", "domain-a");
        TestKeyring b = keyring("b", "domain-a")) {
      ObjectRecord src =
          a.importSecretKey(
              KeyType.AES,
              raw,
              Attributes.builder().label("data-key").flag(AttributeType.CKA_DECRYPT, true).build());
      ObjectRecord copy = cloneInto(a, src.handle(), b);
      byte[] ct =
          a.boundary.encrypt(
              a.keyringId, src.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA);
      assertArrayEquals(
          DATA,
          b.boundary.decrypt(
              b.keyringId, copy.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, ct));
      for (byte[] r : relayed) {
        assertFalse(containsAnyForm(r, raw), "a relayed message holds the secret key");
      }
    }
  }

  @Test
  void publicObject_clonesWithItsIdentity() throws Exception {
    try (TestKeyring a = keyring("a", "domain-a");
        TestKeyring b = keyring("b", "domain-a")) {
      ObjectRecord src =
          a.importPublicKey(p256().getPublic(), Attributes.builder().label("pub").build());
      ObjectRecord copy = cloneInto(a, src.handle(), b);
      assertEquals(src.objectId(), copy.objectId());
      assertEquals(src.attributes(), copy.attributes());
    }
  }

  @Test
  void anotherCloningDomain_isRefused_andNothingIsStored() throws Exception {
    try (TestKeyring a = keyring("a", "domain-a");
        TestKeyring b = keyring("b", "domain-a")) {
      long h = a.importPrivateKey(KeyType.EC, p256().getPrivate().getEncoded(), sign()).handle();
      byte[] bundle =
          a.boundary.cloneObjectOut(a.keyringId, h, b.boundary.cloningPublicKey(), DOMAIN);
      int before = b.store.objectCount(b.keyringId);
      HsmException e =
          assertThrows(
              HsmException.class,
              () -> b.boundary.cloneObjectIn(b.keyringId, bundle, "domain-fingerprint-b", ANY));
      assertEquals(ResultCode.CKR_FUNCTION_FAILED, e.code());
      assertTrue(e.getMessage().contains("cloning domains differ"), e.getMessage());
      assertEquals(before, b.store.objectCount(b.keyringId));
    }
  }

  @Test
  void sameFingerprintButAnotherDomainSecret_isRefused() throws Exception {
    try (TestKeyring a = keyring("a", "domain-a");
        TestKeyring b = keyring("b", "domain-b")) {
      long h = a.importPrivateKey(KeyType.EC, p256().getPrivate().getEncoded(), sign()).handle();
      byte[] bundle =
          a.boundary.cloneObjectOut(a.keyringId, h, b.boundary.cloningPublicKey(), DOMAIN);
      HsmException e =
          assertThrows(
              HsmException.class, () -> b.boundary.cloneObjectIn(b.keyringId, bundle, DOMAIN, ANY));
      assertEquals(ObjectClone.FAILED, e.detail());
    }
  }

  @Test
  void cloneForgedFromTheOfferAlone_isRefused() throws Exception {
    try (TestKeyring b = keyring("b", "domain-a")) {
      byte[] offer = b.boundary.cloningPublicKey();
      // whoever relays clones sees the offer and the domain fingerprint, not the domain's secret
      byte[] raw = new byte[32];
      byte[] plain =
          ObjectClone.encodePayload(
              new ObjectClone.Payload(
                  java.util.UUID.randomUUID(),
                  SksBlob.KIND_RAW_SECRET,
                  KeyOrigin.INSIDE.code(),
                  ObjectClass.SECRET_KEY.name(),
                  ("{\"CKA_CLASS\":\"SECRET_KEY\",\"CKA_KEY_TYPE\":\"AES\","
                          + "\"CKA_LABEL\":\"forged\",\"CKA_WRAP\":true}")
                      .getBytes(StandardCharsets.UTF_8),
                  raw));
      KeyPair eph = SmkClone.newKeyPair(new java.security.SecureRandom());
      javax.crypto.KeyAgreement ka = javax.crypto.KeyAgreement.getInstance("ECDH");
      ka.init(eph.getPrivate());
      ka.doPhase(SmkClone.parsePublicKey(offer, "offer"), true);
      org.bouncycastle.crypto.generators.HKDFBytesGenerator hkdf =
          new org.bouncycastle.crypto.generators.HKDFBytesGenerator(
              new org.bouncycastle.crypto.digests.SHA256Digest());
      hkdf.init(
          new org.bouncycastle.crypto.params.HKDFParameters(
              ka.generateSecret(), ObjectClone.LABEL, ObjectClone.HKDF_INFO));
      byte[] key = new byte[32];
      hkdf.generateBytes(key, 0, 32);
      byte[] iv = new byte[12];
      javax.crypto.Cipher gcm = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(
          javax.crypto.Cipher.ENCRYPT_MODE,
          new javax.crypto.spec.SecretKeySpec(key, "AES"),
          new javax.crypto.spec.GCMParameterSpec(128, iv));
      byte[] source = eph.getPublic().getEncoded();
      gcm.updateAAD(ObjectClone.associatedData(DOMAIN, source, offer));
      byte[] forged = ObjectClone.encode(source, offer, iv, gcm.doFinal(plain));
      int before = b.store.objectCount(b.keyringId);
      HsmException e =
          assertThrows(
              HsmException.class, () -> b.boundary.cloneObjectIn(b.keyringId, forged, DOMAIN, ANY));
      assertEquals(ObjectClone.FAILED, e.detail());
      assertEquals(before, b.store.objectCount(b.keyringId));
    }
  }

  @Test
  void partitionWithoutADomainKey_refusesToClone_withTheReason() throws Exception {
    try (TestKeyring a = new TestKeyring(dir.resolve("a"));
        TestKeyring b = keyring("b", "domain-a")) {
      long h = a.importPrivateKey(KeyType.EC, p256().getPrivate().getEncoded(), sign()).handle();
      HsmException e =
          assertThrows(
              HsmException.class,
              () ->
                  a.boundary.cloneObjectOut(a.keyringId, h, b.boundary.cloningPublicKey(), DOMAIN));
      assertTrue(e.getMessage().contains("no cloning domain key"), e.getMessage());
    }
  }

  @Test
  void cloneMadeForAnotherCluster_isRefused() throws Exception {
    try (TestKeyring a = keyring("a", "domain-a");
        TestKeyring b = keyring("b", "domain-a");
        TestKeyring c = keyring("c", "domain-a")) {
      long h = a.importPrivateKey(KeyType.EC, p256().getPrivate().getEncoded(), sign()).handle();
      byte[] forC =
          a.boundary.cloneObjectOut(a.keyringId, h, c.boundary.cloningPublicKey(), DOMAIN);
      HsmException e =
          assertThrows(
              HsmException.class, () -> b.boundary.cloneObjectIn(b.keyringId, forC, DOMAIN, ANY));
      assertEquals(ResultCode.CKR_FUNCTION_FAILED, e.code());
      assertTrue(e.getMessage().contains("another cluster's cloning key"), e.getMessage());
    }
  }

  @Test
  void alteredClone_isRefused_everyByteOfTheCiphertext() throws Exception {
    try (TestKeyring a = keyring("a", "domain-a");
        TestKeyring b = keyring("b", "domain-a")) {
      long h = a.importPrivateKey(KeyType.EC, p256().getPrivate().getEncoded(), sign()).handle();
      byte[] bundle =
          a.boundary.cloneObjectOut(a.keyringId, h, b.boundary.cloningPublicKey(), DOMAIN);
      for (int i : new int[] {bundle.length - 1, bundle.length - 20, bundle.length - 40}) {
        byte[] bad = bundle.clone();
        bad[i] ^= 1;
        HsmException e =
            assertThrows(
                HsmException.class, () -> b.boundary.cloneObjectIn(b.keyringId, bad, DOMAIN, ANY));
        assertEquals(ObjectClone.FAILED, e.detail());
      }
      HsmException cut =
          assertThrows(
              HsmException.class,
              () ->
                  b.boundary.cloneObjectIn(
                      b.keyringId, java.util.Arrays.copyOf(bundle, 30), DOMAIN, ANY));
      assertEquals(ResultCode.CKR_ARGUMENTS_BAD, cut.code());
      assertEquals(0, b.store.findObjects(b.keyringId, label("web")).size());
    }
  }

  @Test
  void repeatedClone_changesNothing_conflictingVersion_isReportedNotOverwritten() throws Exception {
    try (TestKeyring a = keyring("a", "domain-a");
        TestKeyring b = keyring("b", "domain-a")) {
      long h = a.importPrivateKey(KeyType.EC, p256().getPrivate().getEncoded(), sign()).handle();
      ObjectRecord first = cloneInto(a, h, b);
      ObjectRecord again = cloneInto(a, h, b);
      assertEquals(first.handle(), again.handle(), "the same version is not stored twice");

      a.boundary.setAttributes(a.keyringId, h, Attributes.builder().label("renamed").build());
      HsmException e = assertThrows(HsmException.class, () -> cloneInto(a, h, b));
      assertEquals(ResultCode.CKR_FUNCTION_FAILED, e.code());
      assertTrue(e.getMessage().contains("conflicting versions"), e.getMessage());
      assertEquals(
          "web",
          b.store.object(b.keyringId, first.handle()).orElseThrow().attributes().label().get());
    }
  }

  @Test
  void refusedByTheTargetsPolicy_storesNothing() throws Exception {
    try (TestKeyring a = keyring("a", "domain-a");
        TestKeyring b = keyring("b", "domain-a")) {
      long h = a.importPrivateKey(KeyType.EC, p256().getPrivate().getEncoded(), sign()).handle();
      byte[] bundle =
          a.boundary.cloneObjectOut(a.keyringId, h, b.boundary.cloningPublicKey(), DOMAIN);
      int before = b.store.objectCount(b.keyringId);
      HsmException e =
          assertThrows(
              HsmException.class,
              () ->
                  b.boundary.cloneObjectIn(
                      b.keyringId,
                      bundle,
                      DOMAIN,
                      c -> {
                        throw new HsmException(ResultCode.CKR_FUNCTION_REJECTED, "policy 0 is 0");
                      }));
      assertEquals(ResultCode.CKR_FUNCTION_REJECTED, e.code());
      assertEquals(before, b.store.objectCount(b.keyringId));
    }
  }

  @Test
  void cloningKey_isTheSameWhereverTheSmkIsLoaded_andDiffersBetweenClusters() {
    try (TestKeyring a = keyring("a", "domain-a");
        TestKeyring b = keyring("b", "domain-a")) {
      byte[] offer = a.boundary.cloningPublicKey();
      try (Boundary again =
          Boundary.open(
              BoundaryConfig.builder().deviceKeyFile(dir.resolve("a/hsm/device.key")).build(),
              a.store)) {
        again.loadSmk(a.smk);
        assertArrayEquals(offer, again.cloningPublicKey());
      }
      assertFalse(java.util.Arrays.equals(offer, b.boundary.cloningPublicKey()));
    }
  }

  private static Attributes sign() {
    return Attributes.builder().label("web").flag(AttributeType.CKA_SIGN, true).build();
  }

  private static Attributes label(String l) {
    return Attributes.builder().label(l).build();
  }

  private static byte[] fixed32(byte[] magnitude) {
    byte[] out = new byte[32];
    int n = Math.min(32, magnitude.length);
    System.arraycopy(magnitude, magnitude.length - n, out, 32 - n, n);
    return out;
  }

  /** Whether {@code hay} holds {@code needle} raw, as hex (either case) or as Base64. */
  static boolean containsAnyForm(byte[] hay, byte[] needle) {
    List<byte[]> forms = new ArrayList<>();
    forms.add(needle);
    String hex = HexFormat.of().formatHex(needle);
    forms.add(hex.getBytes(StandardCharsets.US_ASCII));
    forms.add(hex.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
    for (int shift = 0; shift < 3; shift++) {
      byte[] aligned = new byte[needle.length - shift];
      System.arraycopy(needle, shift, aligned, 0, aligned.length);
      String b64 = Base64.getEncoder().encodeToString(aligned);
      forms.add(b64.substring(0, b64.length() - 4).getBytes(StandardCharsets.US_ASCII));
    }
    return forms.stream().anyMatch(f -> SecretScan.indexOf(hay, f) >= 0);
  }
}
