package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.ResultCode;
import dev.keyring.sim.boundary.PkiTestSupport.Member;
import dev.keyring.sim.boundary.SealedIdentities.Identity;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PKI's private keys are at rest only sealed: no {@code hsm_state} row and no file of the
 * member (other than the device key file) holds a PKCS#8 structure, the keys' encodings or their
 * private scalars; the sealed parts are no keys; a sealed key opens only under its own name, owner,
 * certificate and sealing key, and is never taken for an SKS blob (nor the reverse).
 */
class PkiSealedStorageTest {
  private static final String SERIAL = "1000001";
  private static final List<String> ROWS =
      List.of(SealedIdentities.APPLIANCE, SealedIdentities.CLUSTER_CA, SealedIdentities.MEMBER);

  @TempDir Path dir;

  /** Creates every identity and returns the private keys (opened here, inside the package). */
  private static Map<String, PrivateKey> populate(Member m) {
    MemberPki pki = m.pki();
    pki.applianceCertificate(SERIAL);
    pki.createClusterCa(m.clusterId, "c");
    pki.memberCertificate("m1");
    return Map.of(
        SealedIdentities.APPLIANCE,
            pki.identities()
                .openKey(
                    SealedIdentities.APPLIANCE,
                    pki.identities().read(SealedIdentities.APPLIANCE).orElseThrow(),
                    false),
        SealedIdentities.CLUSTER_CA,
            pki.identities()
                .openKey(
                    SealedIdentities.CLUSTER_CA,
                    pki.identities().read(SealedIdentities.CLUSTER_CA).orElseThrow(),
                    true),
        SealedIdentities.MEMBER,
            pki.identities()
                .openKey(
                    SealedIdentities.MEMBER,
                    pki.identities().read(SealedIdentities.MEMBER).orElseThrow(),
                    false));
  }

  @Test
  void hsmStateRows_holdNoPkcs8Structure_andTheirSealedPartsAreNoKeys() throws Exception {
    try (Member m = Member.create(dir)) {
      populate(m);
      for (String row : ROWS) {
        byte[] raw = m.store.hsmState(row).orElseThrow();
        assertFalse(hasPkcs8Header(raw), row + " holds a DER PKCS#8 header");
        assertFalse(parsesAsPrivateKeyAnywhere(raw), row + " holds a parseable private key");
        Identity id = SealedIdentities.decode(row, raw);
        assertFalse(parsesAsPrivateKeyAnywhere(id.sealedKey), row + "'s sealed key is a key");
        assertTrue(
            new String(id.sealedKey, 0, 4, StandardCharsets.US_ASCII).equals("KSST"),
            "sealed-state format");
      }
    }
  }

  @Test
  void noRowAndNoFileOfTheMember_holdsThePrivateKeysOrTheirScalars() throws Exception {
    Map<String, PrivateKey> keys;
    List<byte[]> certificates = new ArrayList<>();
    try (Member m = Member.create(dir)) {
      keys = populate(m);
      certificates.add(m.pki().applianceCertificate(SERIAL).getEncoded());
      certificates.add(m.pki().clusterCaCertificate().getEncoded());
      List<byte[]> rows = new ArrayList<>();
      for (String row : ROWS) {
        rows.add(m.store.hsmState(row).orElseThrow());
      }
      for (PrivateKey k : keys.values()) {
        for (byte[] needle : needles(k)) {
          for (byte[] row : rows) {
            assertEquals(-1, SecretScan.indexOf(row, needle), "a row holds private key material");
          }
        }
      }
    }
    // the store is closed: everything is in its files
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files =
          walk.filter(Files::isRegularFile)
              .filter(p -> !p.getFileName().toString().equals("device.key"))
              .toList();
    }
    assertFalse(files.isEmpty());
    boolean certificateFound = false;
    for (Path f : files) {
      byte[] content = Files.readAllBytes(f);
      for (PrivateKey k : keys.values()) {
        for (byte[] needle : needles(k)) {
          assertEquals(-1, SecretScan.indexOf(content, needle), f + " holds private key material");
        }
      }
      certificateFound |= SecretScan.indexOf(content, certificates.get(1)) >= 0;
    }
    assertTrue(certificateFound, "the scan finds what is there: the CA certificate in clear");
  }

  @Test
  void sealedKey_doesNotOpenWhenTheCertificateBesideItIsSwapped() throws Exception {
    try (Member m = Member.create(dir)) {
      populate(m);
      MemberPki pki = m.pki();
      Identity appliance = pki.identities().read(SealedIdentities.APPLIANCE).orElseThrow();
      Identity member = pki.identities().read(SealedIdentities.MEMBER).orElseThrow();
      // the appliance's owner and sealed key beside the member's certificate
      Identity swapped = new Identity(appliance.owner, member.certificate, appliance.sealedKey);
      m.store.write(
          tx -> {
            tx.putHsmState(SealedIdentities.APPLIANCE, SealedIdentities.encode(swapped));
            return null;
          });
      HsmException e = assertThrows(HsmException.class, () -> pki.adminServerContext(SERIAL));
      assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, e.code());
      // a key sealed under the device key is not taken for one under the SMK, nor moved
      HsmException moved =
          assertThrows(
              HsmException.class,
              () ->
                  pki.identities()
                      .openKey(
                          SealedIdentities.CLUSTER_CA,
                          new Identity(
                              m.clusterId.toString(), pki.clusterCaCertificate(), member.sealedKey),
                          true));
      assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, moved.code());
      assertTrue(moved.getMessage().contains("not under the SMK"), moved.getMessage());
      // one flipped bit
      byte[] flipped = appliance.sealedKey.clone();
      flipped[flipped.length - 1] ^= 1;
      HsmException bit =
          assertThrows(
              HsmException.class,
              () ->
                  pki.identities()
                      .openKey(
                          SealedIdentities.APPLIANCE,
                          new Identity(appliance.owner, appliance.certificate, flipped),
                          false));
      assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, bit.code());
    }
  }

  @Test
  void applianceRowCopiedToAnotherHsm_doesNotOpenThere() throws Exception {
    byte[] row;
    try (Member m = Member.create(dir.resolve("a"))) {
      m.pki().applianceCertificate(SERIAL);
      row = m.store.hsmState(SealedIdentities.APPLIANCE).orElseThrow();
    }
    try (Member other = Member.create(dir.resolve("b"))) {
      other.store.write(
          tx -> {
            tx.putHsmState(SealedIdentities.APPLIANCE, row);
            return null;
          });
      HsmException e =
          assertThrows(HsmException.class, () -> other.pki().adminServerContext(SERIAL));
      assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, e.code());
      assertTrue(e.getMessage().contains("device key"), e.getMessage());
    }
  }

  @Test
  void damagedRows_areReportedAsDamaged() throws Exception {
    Member m = Member.create(dir);
    try {
      m.pki().createClusterCa(m.clusterId, "c");
      m.store.write(
          tx -> {
            tx.putHsmState(SealedIdentities.CLUSTER_CA, new byte[] {'K', 'P', 'K', 'I', 1, 0});
            tx.putHsmState(RevocationList.ROW, "zz\n".getBytes(StandardCharsets.US_ASCII));
            return null;
          });
      HsmException e = assertThrows(HsmException.class, () -> m.pki().clusterCaCertificate());
      assertEquals(ResultCode.CKR_DEVICE_ERROR, e.code());
      assertTrue(e.getMessage().contains("damaged"), e.getMessage());
    } finally {
      m.close();
    }
    try (Member again = m.reopen()) {
      HsmException e = assertThrows(HsmException.class, () -> again.pki());
      assertEquals(ResultCode.CKR_DEVICE_ERROR, e.code());
      assertTrue(e.getMessage().contains(RevocationList.ROW), e.getMessage());
    }
  }

  @Test
  void sealedStateAndSksBlobs_areNeverTakenForOneAnother() throws Exception {
    SmkVault vault = SmkVault.open(dir.resolve("device.key"), new SecureRandom(), sunJce());
    vault.create();
    UUID c = UUID.randomUUID();
    UUID k = UUID.randomUUID();
    UUID o = UUID.randomUUID();
    byte[] sks =
        vault.seal(
            SksBlob.KIND_PKCS8,
            KeyType.EC,
            KeyOrigin.INSIDE,
            SecretBytes.adopt(new byte[] {1, 2, 3}),
            c,
            k,
            o,
            Attributes.empty());
    HsmException a = assertThrows(HsmException.class, () -> vault.openWithSmk("x", sks));
    assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, a.code());
    byte[] sealed = vault.sealWithSmk("x", SecretBytes.adopt(new byte[] {1, 2, 3}));
    HsmException b =
        assertThrows(
            HsmException.class,
            () -> vault.open(sealed, c, k, o, Attributes.empty(), KeyType.EC, "object 1"));
    assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, b.code());
    // and the label is bound
    assertEquals(3, vault.openWithSmk("x", sealed).length());
    assertThrows(HsmException.class, () -> vault.openWithSmk("y", sealed));
    byte[] dev = vault.sealWithDeviceKey("x", SecretBytes.adopt(new byte[] {4}));
    assertThrows(HsmException.class, () -> vault.openWithSmk("x", dev));
    assertEquals(1, vault.openWithDeviceKey("x", dev).length());
  }

  @Test
  void toStrings_showNoKeyMaterial() throws Exception {
    try (Member m = Member.create(dir)) {
      Map<String, PrivateKey> keys = populate(m);
      String text =
          m.pki().toString()
              + m.pki().identities().read(SealedIdentities.CLUSTER_CA).orElseThrow()
              + m.pki().identities().read(SealedIdentities.MEMBER).orElseThrow();
      for (PrivateKey k : keys.values()) {
        BigInteger s = ((ECPrivateKey) k).getS();
        assertFalse(text.contains(s.toString(16)));
        assertFalse(text.contains(s.toString()));
      }
      assertTrue(text.length() < 600, text);
    }
  }

  // ---------------------------------------------------------------- helpers

  private static java.security.Provider sunJce() {
    return java.security.Security.getProvider("SunJCE");
  }

  /** The key's PKCS#8 encoding and its private scalar, raw, hex and Base64. */
  private static List<byte[]> needles(PrivateKey k) {
    byte[] pkcs8 = k.getEncoded();
    ECPrivateKey ec = (ECPrivateKey) k;
    int len = (ec.getParams().getCurve().getField().getFieldSize() + 7) / 8;
    byte[] s = fixed(ec.getS(), len);
    return List.of(
        pkcs8,
        s,
        HexFormat.of().formatHex(s).getBytes(StandardCharsets.US_ASCII),
        HexFormat.of().withUpperCase().formatHex(s).getBytes(StandardCharsets.US_ASCII),
        Base64.getEncoder().encode(s),
        Base64.getEncoder().encode(pkcs8));
  }

  private static byte[] fixed(BigInteger v, int len) {
    byte[] b = v.toByteArray();
    if (b.length == len) {
      return b;
    }
    byte[] out = new byte[len];
    int n = Math.min(len, b.length);
    System.arraycopy(b, b.length - n, out, len - n, n);
    return out;
  }

  /** {@code 30 81 xx 02 01 00 30} or {@code 30 82 xx xx 02 01 00 30}: a PKCS#8 v0 header. */
  private static boolean hasPkcs8Header(byte[] b) {
    for (int i = 0; i + 8 <= b.length; i++) {
      if ((b[i] & 0xff) != 0x30) {
        continue;
      }
      int j = (b[i + 1] & 0xff) == 0x81 ? i + 3 : (b[i + 1] & 0xff) == 0x82 ? i + 4 : -1;
      if (j > 0
          && j + 4 <= b.length
          && b[j] == 0x02
          && b[j + 1] == 0x01
          && b[j + 2] == 0x00
          && (b[j + 3] & 0xff) == 0x30) {
        return true;
      }
    }
    return false;
  }

  private static boolean parsesAsPrivateKeyAnywhere(byte[] b) throws Exception {
    KeyFactory ecf = KeyFactory.getInstance("EC");
    KeyFactory rsaf = KeyFactory.getInstance("RSA");
    for (int i = 0; i < b.length; i++) {
      if ((b[i] & 0xff) != 0x30) {
        continue;
      }
      byte[] tail = Arrays.copyOfRange(b, i, b.length);
      for (KeyFactory f : List.of(ecf, rsaf)) {
        try {
          f.generatePrivate(new PKCS8EncodedKeySpec(tail));
          return true;
        } catch (Exception expected) {
          // not a key here
        }
      }
    }
    return false;
  }
}
