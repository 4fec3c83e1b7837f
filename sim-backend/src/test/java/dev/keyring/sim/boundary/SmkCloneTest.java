package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.PublicKeyAttributes;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.Appliance;
import dev.keyring.sim.TestAppliances;
import dev.keyring.sim.hsm.Hsm;
import dev.keyring.store.KeyringRecord;
import dev.keyring.store.ObjectRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cloning the SMK from a cluster member (A) to a joining appliance (B), each with its own data
 * directory, device key and HSM, through the boundary's one-time ECDH exchange.
 */
class SmkCloneTest {
  @TempDir Path dir;

  private final List<String> refusals = new ArrayList<>();

  /**
   * An appliance with HSM, partition (cloning domain {@code domain}), PO and CO, ready for a
   * cluster.
   */
  private Appliance prepared(String name, String domain) {
    Appliance a = TestAppliances.fresh(dir.resolve(name));
    Hsm hsm = a.hsm();
    hsm.initialize("hsm-" + name, TestAppliances.SO);
    hsm.createPartition(TestAppliances.SO, "clusterpar", "V1");
    hsm.initializePartition(TestAppliances.SO, TestAppliances.PO, domain);
    hsm.setPartitionPolicy(TestAppliances.PO, Hsm.POLICY_PER_KEY_AUTH, 0);
    hsm.initCo(TestAppliances.PO, TestAppliances.CO_INITIAL);
    hsm.changeCoPassword(TestAppliances.CO_INITIAL, TestAppliances.CO);
    return a;
  }

  private static UUID clusterId(Appliance a) {
    return a.cluster().orElseThrow().id();
  }

  /** A's bundle for B's newly begun clone. */
  private static byte[] bundleFor(Appliance a, Appliance b) {
    byte[] joinerKey = b.boundary().beginSmkClone();
    return a.boundary().exportSmkClone(joinerKey, clusterId(a), a.hsm().cloningDomainFingerprint());
  }

  private static ProtectedSmk importOn(Appliance b, byte[] bundle, UUID clusterId) {
    return b.boundary().importSmkClone(bundle, clusterId, b.hsm().cloningDomainFingerprint());
  }

  private HsmException refused(Set<ResultCode> codes, Executable call) {
    HsmException e = assertThrows(HsmException.class, call);
    assertTrue(codes.contains(e.code()), e.getMessage());
    refusals.add(e.getMessage());
    return e;
  }

  private HsmException refused(ResultCode code, Executable call) {
    return refused(Set.of(code), call);
  }

  private HsmException refusedAsNotCloned(ResultCode code, Executable call) {
    return refusedAsNotCloned(Set.of(code), call);
  }

  private HsmException refusedAsNotCloned(Set<ResultCode> codes, Executable call) {
    HsmException e = refused(codes, call);
    assertEquals(
        "the SMK could not be cloned: cloning domains differ or the bundle was altered",
        e.detail());
    return e;
  }

  /** A's SMK in the clear, unwrapped in the test with A's device key file. */
  private byte[] rawSmk(Appliance a, String name) throws Exception {
    JsonNode state = new ObjectMapper().readTree(a.store().hsmState("hsm").orElseThrow());
    ProtectedSmk p = ProtectedSmk.decode(state.path("partition").path("smk").asText());
    byte[] deviceKey = Files.readAllBytes(dir.resolve(name).resolve("hsm/device.key"));
    Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding", "SunJCE");
    kwp.init(Cipher.UNWRAP_MODE, new SecretKeySpec(deviceKey, "AES"));
    return kwp.unwrap(p.wrapped(), "AES", Cipher.SECRET_KEY).getEncoded();
  }

  /** No refusal message carries the SMK, in hex or Base64, nor the bundle's ciphertext. */
  private void assertNoKeyBytesIn(byte[] secret) {
    assertFalse(refusals.isEmpty());
    String hex = HexFormat.of().formatHex(secret);
    List<String> forms =
        List.of(
            hex,
            hex.toUpperCase(Locale.ROOT),
            Base64.getEncoder().encodeToString(secret),
            Base64.getUrlEncoder().withoutPadding().encodeToString(secret),
            hex.substring(0, 16));
    for (String m : refusals) {
      for (String f : forms) {
        assertFalse(m.contains(f), "a refusal message shows key bytes: " + m);
      }
      assertFalse(m.contains(new String(secret, StandardCharsets.ISO_8859_1)), m);
    }
  }

  @Test
  void clonedSmk_isTheClustersSmk_opensItsBlobs_andTheClusterCaInstalls() throws Exception {
    try (Appliance a = prepared("a", TestAppliances.DOMAIN);
        Appliance b = prepared("b", TestAppliances.DOMAIN)) {
      a.createCluster(TestAppliances.SO, "clone-cluster");
      UUID cid = clusterId(a);
      assertEquals(a.hsm().cloningDomainFingerprint(), b.hsm().cloningDomainFingerprint());

      // a key generated on A, its object row copied to B's store
      KeyringRecord kr =
          new KeyringRecord(
              UUID.randomUUID(),
              cid,
              "clone-test",
              "unused-verifier",
              false,
              true,
              false,
              0,
              Instant.now());
      a.store().write(tx -> tx.createKeyrings(cid, List.of(kr)));
      KeyPairObjects pair =
          a.boundary()
              .generateKeyPair(
                  kr.id(),
                  KeyGenParams.rsa(2048),
                  Attributes.builder().label("signer-pub").build(),
                  Attributes.builder().label("signer").flag(AttributeType.CKA_SIGN, true).build());
      ObjectRecord priv = pair.privateKey();
      ObjectRecord onB =
          b.store()
              .write(
                  tx -> {
                    tx.createCluster(cid, "clone-cluster");
                    tx.createKeyrings(cid, List.of(kr));
                    return tx.insertObject(
                        kr.id(),
                        priv.objectId(),
                        ObjectClass.PRIVATE_KEY,
                        priv.attributes(),
                        priv.blob());
                  });
      byte[] data = "signed on the joining member".getBytes(StandardCharsets.UTF_8);
      refused(
          ResultCode.CKR_DEVICE_ERROR,
          () ->
              b.boundary()
                  .sign(
                      kr.id(),
                      onB.handle(),
                      Mechanism.CKM_SHA256_RSA_PKCS,
                      MechanismParams.NONE,
                      data));

      ProtectedSmk cloned = importOn(b, bundleFor(a, b), cid);
      b.hsm().installClonedSmk(cloned);

      assertEquals(a.boundary().smkFingerprint(), b.boundary().smkFingerprint());
      assertEquals(a.boundary().smkFingerprint(), cloned.fingerprint());
      assertEquals(
          a.boundary().smkFingerprint(), b.hsm().partition().orElseThrow().smkFingerprint());
      // protected under B's own device key, not A's
      assertFalse(
          Arrays.equals(
              Files.readAllBytes(dir.resolve("a/hsm/device.key")),
              Files.readAllBytes(dir.resolve("b/hsm/device.key"))));

      byte[] sig =
          b.boundary()
              .sign(
                  kr.id(), onB.handle(), Mechanism.CKM_SHA256_RSA_PKCS, MechanismParams.NONE, data);
      Signature verify = Signature.getInstance("SHA256withRSA");
      verify.initVerify(PublicKeyAttributes.toPublicKey(pair.publicKey().attributes()));
      verify.update(data);
      assertTrue(verify.verify(sig), "B's signature with A's key verifies");

      X509Certificate ca = b.pki().installClusterCa(a.pki().exportClusterCa());
      assertEquals(a.pki().clusterCaCertificate(), ca);
      assertEquals(ca, b.pki().clusterCaCertificate());

      // installing the same SMK again changes nothing
      b.hsm().installClonedSmk(cloned);
      assertEquals(a.boundary().smkFingerprint(), b.boundary().smkFingerprint());
    }
    // B reloads the cloned SMK from its partition after a restart
    try (Appliance a = TestAppliances.fresh(dir.resolve("a"));
        Appliance b = TestAppliances.fresh(dir.resolve("b"))) {
      assertTrue(b.boundary().hasSmk());
      assertEquals(a.boundary().smkFingerprint(), b.boundary().smkFingerprint());
    }
  }

  @Test
  void differentCloningDomain_isRefused_andTheJoinerHasNoSmk() throws Exception {
    try (Appliance a = prepared("a", TestAppliances.DOMAIN);
        Appliance b = prepared("b", "another-cloning-domain")) {
      a.createCluster(TestAppliances.SO, "clone-cluster");
      assertNotEquals(a.hsm().cloningDomainFingerprint(), b.hsm().cloningDomainFingerprint());
      byte[] bundle = bundleFor(a, b);
      refusedAsNotCloned(ResultCode.CKR_FUNCTION_FAILED, () -> importOn(b, bundle, clusterId(a)));
      assertFalse(b.boundary().hasSmk());
      assertNull(b.boundary().smkFingerprint());
      assertFalse(b.hsm().hasSmk());
      assertNoKeyBytesIn(rawSmk(a, "a"));
    }
  }

  @Test
  void differentClusterId_isRefused() throws Exception {
    try (Appliance a = prepared("a", TestAppliances.DOMAIN);
        Appliance b = prepared("b", TestAppliances.DOMAIN)) {
      a.createCluster(TestAppliances.SO, "clone-cluster");
      byte[] bundle = bundleFor(a, b);
      refusedAsNotCloned(
          ResultCode.CKR_FUNCTION_FAILED, () -> importOn(b, bundle, UUID.randomUUID()));
      assertFalse(b.boundary().hasSmk());
      assertNoKeyBytesIn(rawSmk(a, "a"));
    }
  }

  @Test
  void bundleWithAnyOneBitFlipped_isRefused_andTheJoinerHasNoSmk() throws Exception {
    try (Appliance a = prepared("a", TestAppliances.DOMAIN);
        Appliance b = prepared("b", TestAppliances.DOMAIN)) {
      a.createCluster(TestAppliances.SO, "clone-cluster");
      UUID cid = clusterId(a);
      int length = bundleFor(a, b).length;
      for (int i = 0; i < length; i++) {
        byte[] bundle = bundleFor(a, b);
        assertEquals(length, bundle.length);
        bundle[i] ^= (byte) (1 << (i % 8));
        // header: malformed; sender key: malformed or another key; IV and ciphertext: altered
        Set<ResultCode> expected =
            i < 7
                ? Set.of(ResultCode.CKR_ARGUMENTS_BAD)
                : i < 7 + 91
                    ? Set.of(ResultCode.CKR_ARGUMENTS_BAD, ResultCode.CKR_FUNCTION_FAILED)
                    : Set.of(ResultCode.CKR_FUNCTION_FAILED);
        refusedAsNotCloned(expected, () -> importOn(b, bundle, cid));
        assertFalse(b.boundary().hasSmk(), "after flipping a bit of byte " + i);
      }
      // a bundle left as it was clones
      importOn(b, bundleFor(a, b), cid);
      assertEquals(a.boundary().smkFingerprint(), b.boundary().smkFingerprint());
      assertNoKeyBytesIn(rawSmk(a, "a"));
    }
  }

  @Test
  void pendingClone_isUsedOnce_failedOrNot() throws Exception {
    try (Appliance a = prepared("a", TestAppliances.DOMAIN);
        Appliance b = prepared("b", TestAppliances.DOMAIN)) {
      a.createCluster(TestAppliances.SO, "clone-cluster");
      UUID cid = clusterId(a);
      byte[] good = bundleFor(a, b);
      // no clone begun on this appliance
      try (Appliance c = prepared("c", TestAppliances.DOMAIN)) {
        HsmException none = refused(ResultCode.CKR_FUNCTION_FAILED, () -> importOn(c, good, cid));
        assertTrue(none.getMessage().contains("no SMK clone is pending"), none.getMessage());
      }
      // a failed import uses the pending key up: the right bundle comes too late
      byte[] altered = good.clone();
      altered[altered.length - 1] ^= 1;
      refusedAsNotCloned(ResultCode.CKR_FUNCTION_FAILED, () -> importOn(b, altered, cid));
      HsmException late = refused(ResultCode.CKR_FUNCTION_FAILED, () -> importOn(b, good, cid));
      assertTrue(late.getMessage().contains("no SMK clone is pending"), late.getMessage());
      assertFalse(b.boundary().hasSmk());

      // a successful import too: the same bundle a second time is refused
      byte[] once = bundleFor(a, b);
      importOn(b, once, cid);
      HsmException again = refused(ResultCode.CKR_FUNCTION_FAILED, () -> importOn(b, once, cid));
      assertTrue(again.getMessage().contains("no SMK clone is pending"), again.getMessage());
      assertNoKeyBytesIn(rawSmk(a, "a"));
    }
  }

  @Test
  void newBegin_replacesThePendingClone() {
    try (Appliance a = prepared("a", TestAppliances.DOMAIN);
        Appliance b = prepared("b", TestAppliances.DOMAIN)) {
      a.createCluster(TestAppliances.SO, "clone-cluster");
      UUID cid = clusterId(a);
      byte[] forFirstKey = bundleFor(a, b);
      byte[] secondKey = b.boundary().beginSmkClone();
      refusedAsNotCloned(ResultCode.CKR_FUNCTION_FAILED, () -> importOn(b, forFirstKey, cid));
      assertFalse(b.boundary().hasSmk());
      assertEquals(91, secondKey.length, "X.509 DER of an EC P-256 public key");
    }
  }

  @Test
  void pendingClone_expiresAfterTenMinutes() {
    AtomicLong now = new AtomicLong(1_000);
    SecureRandom random = new SecureRandom();
    SmkVault sender =
        SmkVault.open(dir.resolve("a/device.key"), random, Security.getProvider("SunJCE"));
    SmkVault joiner =
        SmkVault.open(
            dir.resolve("b/device.key"), random, Security.getProvider("SunJCE"), now::get);
    sender.create();
    sender.sealDomain(TestAppliances.DOMAIN);
    joiner.sealDomain(TestAppliances.DOMAIN);
    UUID cid = UUID.randomUUID();

    byte[] late = sender.exportClone(joiner.beginClone(), cid, "domain-fp");
    now.addAndGet(Duration.ofMinutes(10).toNanos() + 1);
    HsmException expired =
        refused(ResultCode.CKR_FUNCTION_FAILED, () -> joiner.importClone(late, cid, "domain-fp"));
    assertTrue(expired.getMessage().contains("expired"), expired.getMessage());
    assertFalse(joiner.loaded());

    byte[] inTime = sender.exportClone(joiner.beginClone(), cid, "domain-fp");
    now.addAndGet(Duration.ofMinutes(10).toNanos());
    ProtectedSmk p = joiner.importClone(inTime, cid, "domain-fp");
    assertEquals(sender.fingerprint(), joiner.fingerprint());
    assertEquals(sender.fingerprint(), p.fingerprint());
  }

  @Test
  void export_refusesABadJoinerKey_andNeedsAnSmk() throws Exception {
    try (Appliance a = prepared("a", TestAppliances.DOMAIN);
        Appliance b = prepared("b", TestAppliances.DOMAIN)) {
      String fp = b.hsm().cloningDomainFingerprint();
      UUID cid = UUID.randomUUID();
      byte[] joinerKey = b.boundary().beginSmkClone();
      HsmException noSmk =
          refused(
              ResultCode.CKR_DEVICE_ERROR, () -> b.boundary().exportSmkClone(joinerKey, cid, fp));
      assertTrue(noSmk.getMessage().contains("no SMK"), noSmk.getMessage());

      a.createCluster(TestAppliances.SO, "clone-cluster");
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp384r1"));
      byte[] p384 = g.generateKeyPair().getPublic().getEncoded();
      byte[] offCurve = joinerKey.clone();
      offCurve[offCurve.length - 1] ^= 1;
      byte[] trailing = Arrays.copyOf(joinerKey, joinerKey.length + 1);
      for (byte[] bad :
          List.of(
              new byte[0],
              "not a key".getBytes(StandardCharsets.UTF_8),
              p384,
              offCurve,
              trailing)) {
        HsmException e =
            refused(ResultCode.CKR_ARGUMENTS_BAD, () -> a.boundary().exportSmkClone(bad, cid, fp));
        assertTrue(e.getMessage().contains("EC P-256"), e.getMessage());
      }
      refused(ResultCode.CKR_ARGUMENTS_BAD, () -> a.boundary().exportSmkClone(null, cid, fp));
      refused(ResultCode.CKR_ARGUMENTS_BAD, () -> a.boundary().exportSmkClone(joinerKey, null, fp));
      refused(ResultCode.CKR_ARGUMENTS_BAD, () -> a.boundary().exportSmkClone(joinerKey, cid, ""));
      // the joiner's key itself is fine
      assertTrue(a.boundary().exportSmkClone(joinerKey, cid, fp).length > 100);
      assertNoKeyBytesIn(rawSmk(a, "a"));
    }
  }

  @Test
  void import_overAnotherActiveSmk_isRefused_andTheOldSmkStays() throws Exception {
    try (Appliance a = prepared("a", TestAppliances.DOMAIN);
        Appliance b = prepared("b", TestAppliances.DOMAIN)) {
      a.createCluster(TestAppliances.SO, "clone-cluster");
      ProtectedSmk own = b.hsm().createSmk();
      byte[] bundle = bundleFor(a, b);
      HsmException e =
          refused(ResultCode.CKR_FUNCTION_FAILED, () -> importOn(b, bundle, clusterId(a)));
      assertTrue(
          e.getMessage().contains("already holds the SMK " + own.fingerprint()), e.getMessage());
      assertEquals(own.fingerprint(), b.boundary().smkFingerprint());
      assertEquals(own.fingerprint(), b.hsm().partition().orElseThrow().smkFingerprint());
      assertNoKeyBytesIn(rawSmk(a, "a"));
    }
  }

  @Test
  void installClonedSmk_overADifferentPartitionSmk_isRefused_andTheOldSmkStaysActive()
      throws Exception {
    try (Appliance a = prepared("a", TestAppliances.DOMAIN);
        Appliance b = prepared("b", TestAppliances.DOMAIN)) {
      a.createCluster(TestAppliances.SO, "clone-cluster");
      ProtectedSmk cloned = importOn(b, bundleFor(a, b), clusterId(a));
      // meanwhile the partition got an SMK of its own
      ProtectedSmk own = b.hsm().createSmk();
      assertNotEquals(own.fingerprint(), cloned.fingerprint());
      HsmException e =
          refused(ResultCode.CKR_FUNCTION_FAILED, () -> b.hsm().installClonedSmk(cloned));
      assertTrue(
          e.getMessage().contains("already holds the SMK " + own.fingerprint()), e.getMessage());
      assertEquals(own.fingerprint(), b.boundary().smkFingerprint());
      assertEquals(own.fingerprint(), b.hsm().partition().orElseThrow().smkFingerprint());
      assertNoKeyBytesIn(rawSmk(a, "a"));
    }
  }

  @Test
  void installClonedSmk_needsAPartitionReadyForACluster() {
    try (Appliance a = prepared("a", TestAppliances.DOMAIN);
        Appliance b = prepared("b", TestAppliances.DOMAIN)) {
      a.createCluster(TestAppliances.SO, "clone-cluster");
      ProtectedSmk cloned = importOn(b, bundleFor(a, b), clusterId(a));
      b.hsm().setPartitionPolicy(TestAppliances.PO, Hsm.POLICY_PER_KEY_AUTH, 1);
      refused(ResultCode.CKR_FUNCTION_FAILED, () -> b.hsm().installClonedSmk(cloned));
      assertFalse(b.hsm().hasSmk());
      refused(ResultCode.CKR_ARGUMENTS_BAD, () -> b.hsm().installClonedSmk(null));
    }
  }

  @Test
  void cloningDomainFingerprint_needsAPartition() {
    try (Appliance a = TestAppliances.fresh(dir.resolve("a"))) {
      a.hsm().initialize("hsm-a", TestAppliances.SO);
      refused(ResultCode.CKR_TOKEN_NOT_PRESENT, () -> a.hsm().cloningDomainFingerprint());
      a.hsm().createPartition(TestAppliances.SO, "clusterpar", "V1");
      refused(ResultCode.CKR_FUNCTION_FAILED, () -> a.hsm().cloningDomainFingerprint());
      a.hsm().initializePartition(TestAppliances.SO, TestAppliances.PO, TestAppliances.DOMAIN);
      assertEquals(32, a.hsm().cloningDomainFingerprint().length());
    }
  }

  @Test
  void bundle_isSelfDescribing_andCarriesNoSmkInTheClear() throws Exception {
    try (Appliance a = prepared("a", TestAppliances.DOMAIN);
        Appliance b = prepared("b", TestAppliances.DOMAIN)) {
      a.createCluster(TestAppliances.SO, "clone-cluster");
      byte[] joinerKey = b.boundary().beginSmkClone();
      byte[] bundle =
          a.boundary().exportSmkClone(joinerKey, clusterId(a), a.hsm().cloningDomainFingerprint());
      assertArrayEquals("KSMC".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(bundle, 4));
      assertEquals(2, bundle[4]);
      int n = ((bundle[5] & 0xff) << 8) | (bundle[6] & 0xff);
      assertEquals(91, n);
      assertEquals(7 + n + 12 + 48, bundle.length);
      byte[] smk = rawSmk(a, "a");
      String all = HexFormat.of().formatHex(bundle);
      assertFalse(all.contains(HexFormat.of().formatHex(smk, 0, 8)));
    }
  }

  /**
   * An appliance administrator who knows the domain's public fingerprint asks a member for a clone
   * made for a key pair of his own (as a join request lets him): without the domain secret the
   * bundle does not open, not by the format's own derivation; with the domain key it would, so that
   * key is what protects the SMK.
   */
  @Test
  void aCloneForAKeyPairOutsideTheDomain_cannotBeOpened() throws Exception {
    try (Appliance a = prepared("a", TestAppliances.DOMAIN)) {
      a.createCluster(TestAppliances.SO, "clone-cluster");
      java.security.KeyPair outsider = SmkClone.newKeyPair(new java.security.SecureRandom());
      byte[] outsiderPublic = outsider.getPublic().getEncoded();
      String fingerprint = a.hsm().cloningDomainFingerprint();
      byte[] bundle = a.boundary().exportSmkClone(outsiderPublic, clusterId(a), fingerprint);

      SmkClone.Parsed parsed = SmkClone.parse(bundle);
      javax.crypto.KeyAgreement ka = javax.crypto.KeyAgreement.getInstance("ECDH", "SunEC");
      ka.init(outsider.getPrivate());
      ka.doPhase(SmkClone.parsePublicKey(parsed.senderPublicKey(), null), true);
      byte[] shared = ka.generateSecret();
      byte[] aad =
          SmkClone.associatedData(
              clusterId(a), fingerprint, parsed.senderPublicKey(), outsiderPublic);

      // what the outsider can compute: the ECDH secret alone, or with a guessed domain
      for (byte[] domainKey :
          List.of(new byte[0], new byte[32], CloningDomainKey.derive("another-domain"))) {
        assertThrows(
            javax.crypto.AEADBadTagException.class,
            () -> open(SmkClone.deriveKey(shared, domainKey), parsed, aad),
            "opened with a domain key of " + domainKey.length + " bytes");
      }
      // inside an HSM of the domain the same bundle opens: the domain key is what protects it
      byte[] smk =
          open(
              SmkClone.deriveKey(shared, CloningDomainKey.derive(TestAppliances.DOMAIN)),
              parsed,
              aad);
      assertArrayEquals(rawSmk(a, "a"), smk);
    }
  }

  private static byte[] open(byte[] key, SmkClone.Parsed parsed, byte[] aad) throws Exception {
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(
        Cipher.DECRYPT_MODE,
        new SecretKeySpec(key, "AES"),
        new javax.crypto.spec.GCMParameterSpec(128, parsed.iv()));
    gcm.updateAAD(aad);
    return gcm.doFinal(parsed.ciphertext());
  }
}
