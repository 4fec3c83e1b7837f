package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Boundary#generateKeyPairs}: many real key pairs in one transaction, or none. */
class BulkKeyGenerationTest {
  private static final byte[] DATA = "bulk".getBytes(StandardCharsets.UTF_8);

  @Test
  void generateKeyPairs_storesEachPairWithItsOwnKey_inOrder_andLeavesTheCacheAlone(
      @TempDir Path dir) {
    try (TestKeyring kr = new TestKeyring(dir)) {
      int before = kr.store.objectCount(kr.keyringId);
      long cached = kr.boundary.cacheStats().size();
      List<Attributes> templates = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        templates.add(Attributes.builder().label("bulk-" + i).build());
      }
      List<KeyPairObjects> pairs =
          kr.boundary.generateKeyPairs(kr.keyringId, KeyGenParams.ec(Curve.P256), templates);
      assertEquals(3, pairs.size());
      assertEquals(before + 6, kr.store.objectCount(kr.keyringId));
      assertEquals(cached, kr.boundary.cacheStats().size(), "the new private keys are not cached");
      List<byte[]> points = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        KeyPairObjects p = pairs.get(i);
        assertEquals(p.publicKey().handle() + 1, p.privateKey().handle());
        assertEquals(ObjectClass.PRIVATE_KEY, p.privateKey().objectClass());
        assertEquals("bulk-" + i, p.privateKey().attributes().label().orElseThrow());
        assertEquals("bulk-" + i, p.publicKey().attributes().label().orElseThrow());
        assertArrayEquals(
            p.publicKey().attributes().bytes(AttributeType.CKA_ID).orElseThrow(),
            p.privateKey().attributes().bytes(AttributeType.CKA_ID).orElseThrow());
        // the blob opens, and the private half signs what its own public half verifies
        byte[] sig =
            kr.boundary.sign(
                kr.keyringId,
                p.privateKey().handle(),
                Mechanism.CKM_ECDSA_SHA256,
                MechanismParams.NONE,
                DATA);
        kr.boundary.verify(
            kr.keyringId,
            p.publicKey().handle(),
            Mechanism.CKM_ECDSA_SHA256,
            MechanismParams.NONE,
            DATA,
            sig);
        points.add(p.publicKey().attributes().bytes(AttributeType.CKA_EC_POINT).orElseThrow());
      }
      assertFalse(Arrays.equals(points.get(0), points.get(1)), "each pair has its own key");
      assertFalse(Arrays.equals(points.get(1), points.get(2)), "each pair has its own key");
    }
  }

  @Test
  void generateKeyPairs_outOfRange_ofASecretKeyType_orPastTheKeyringLimit_storesNothing(
      @TempDir Path dir) {
    try (TestKeyring kr = new TestKeyring(dir)) {
      int before = kr.store.objectCount(kr.keyringId);
      Attributes t = Attributes.builder().label("x").build();
      assertCode(ResultCode.CKR_ARGUMENTS_BAD, kr, KeyGenParams.ec(Curve.P256), List.of());
      assertCode(
          ResultCode.CKR_ARGUMENTS_BAD,
          kr,
          KeyGenParams.ec(Curve.P256),
          Collections.nCopies(129, t));
      assertCode(ResultCode.CKR_MECHANISM_INVALID, kr, KeyGenParams.aes(256), List.of(t));
      int room = (256 - before) / 2;
      assertCode(
          ResultCode.CKR_DEVICE_MEMORY,
          kr,
          KeyGenParams.ec(Curve.P256),
          Collections.nCopies(room + 1, t));
      assertEquals(before, kr.store.objectCount(kr.keyringId));
      assertEquals(
          room,
          kr.boundary
              .generateKeyPairs(
                  kr.keyringId, KeyGenParams.ec(Curve.P256), Collections.nCopies(room, t))
              .size());
    }
  }

  private static void assertCode(
      ResultCode code, TestKeyring kr, KeyGenParams params, List<Attributes> templates) {
    HsmException e =
        assertThrows(
            HsmException.class,
            () -> kr.boundary.generateKeyPairs(kr.keyringId, params, templates));
    assertEquals(code, e.code(), e.getMessage());
  }
}
