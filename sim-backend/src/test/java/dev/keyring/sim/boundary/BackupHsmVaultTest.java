package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringStore;
import dev.keyring.store.StoreConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backup HSM's boundary: an SMK cloned into it is stored only wrapped under its own device key
 * (which opens it, and no other device key does), a clone across cloning domains fails, and the SMK
 * cloned back into another member's boundary is the same key; no file of the backup HSM and nothing
 * returned holds the SMK, raw, hex or Base64.
 */
class BackupHsmVaultTest {
  static final String DOMAIN = "smk-backup-domain";
  static final String DOMAIN_FP = "domain-fingerprint-1";

  @TempDir Path dir;

  /** The raw SMK behind {@code p}, opened with the device key file that wraps it. */
  static byte[] unwrap(ProtectedSmk p, Path deviceKeyFile) throws Exception {
    Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding", "SunJCE");
    kwp.init(Cipher.UNWRAP_MODE, new SecretKeySpec(Files.readAllBytes(deviceKeyFile), "AES"));
    return kwp.unwrap(p.wrapped(), "AES", Cipher.SECRET_KEY).getEncoded();
  }

  @Test
  void anSmkClonedOut_isWrappedUnderTheBackupDeviceKeyOnly_andComesBackTheSameKey()
      throws Exception {
    try (TestKeyring member = new TestKeyring(dir.resolve("member"))) {
      member.boundary.sealCloningDomain(DOMAIN);
      byte[] smk = unwrap(member.smk, dir.resolve("member/hsm/device.key"));
      Path usb = dir.resolve("usb");
      BackupHsmVault backup = BackupHsmVault.open(usb.resolve("device.key"));
      String sealedDomain = backup.sealDomain(DOMAIN);

      ProtectedSmk stored = backup.cloneFrom(member.boundary, sealedDomain, DOMAIN_FP);
      assertEquals(member.boundary.smkFingerprint(), stored.fingerprint());
      assertArrayEquals(smk, unwrap(stored, usb.resolve("device.key")));
      assertThrows(
          Exception.class,
          () -> unwrap(stored, dir.resolve("member/hsm/device.key")),
          "another device key does not open the backup");
      backup.verify(stored);
      Files.write(usb.resolve("stored"), stored.encode().getBytes(StandardCharsets.US_ASCII));
      Files.write(usb.resolve("domain"), sealedDomain.getBytes(StandardCharsets.US_ASCII));

      // a second member of the domain, with no SMK, takes it back
      try (KeyringStore store = KeyringStore.open(StoreConfig.h2File(dir.resolve("b/store")));
          Boundary other =
              Boundary.open(
                  BoundaryConfig.builder().deviceKeyFile(dir.resolve("b/hsm/device.key")).build(),
                  store)) {
        other.sealCloningDomain(DOMAIN);
        ProtectedSmk restored = backup.cloneTo(other, stored, sealedDomain, DOMAIN_FP);
        assertEquals(stored.fingerprint(), restored.fingerprint());
        assertEquals(stored.fingerprint(), other.smkFingerprint());
        assertArrayEquals(smk, unwrap(restored, dir.resolve("b/hsm/device.key")));
      }
      // a member that holds another SMK refuses it, and keeps its own
      try (TestKeyring third = new TestKeyring(dir.resolve("third"))) {
        third.boundary.sealCloningDomain(DOMAIN);
        String own = third.boundary.smkFingerprint();
        HsmException e =
            assertThrows(
                HsmException.class,
                () -> backup.cloneTo(third.boundary, stored, sealedDomain, DOMAIN_FP));
        assertTrue(e.getMessage().contains("already holds the SMK " + own), e.getMessage());
        assertEquals(own, third.boundary.smkFingerprint());
      }

      List<Path> files;
      try (Stream<Path> s = Files.walk(usb)) {
        files = s.filter(Files::isRegularFile).toList();
      }
      assertTrue(files.size() >= 3, files::toString);
      for (Path f : files) {
        assertFalse(SecretScan.anyForm(Files.readAllBytes(f), smk), "the SMK in " + f);
      }
      assertFalse(SecretScan.anyForm(stored.encode().getBytes(StandardCharsets.US_ASCII), smk));
      assertFalse(SecretScan.anyForm(stored.toString().getBytes(StandardCharsets.US_ASCII), smk));
    }
  }

  @Test
  void aCloneAcrossCloningDomains_fails_andNothingIsStored() throws Exception {
    try (TestKeyring member = new TestKeyring(dir.resolve("member"))) {
      member.boundary.sealCloningDomain(DOMAIN);
      BackupHsmVault backup = BackupHsmVault.open(dir.resolve("usb/device.key"));
      String otherDomain = backup.sealDomain("another-domain");
      HsmException e =
          assertThrows(
              HsmException.class, () -> backup.cloneFrom(member.boundary, otherDomain, DOMAIN_FP));
      assertEquals(ResultCode.CKR_FUNCTION_FAILED, e.code());
      assertTrue(e.getMessage().contains("cloning domains differ"), e.getMessage());

      // a backup partition copied to another backup HSM does not open there
      ProtectedSmk stored = backup.cloneFrom(member.boundary, backup.sealDomain(DOMAIN), DOMAIN_FP);
      BackupHsmVault stranger = BackupHsmVault.open(dir.resolve("usb2/device.key"));
      HsmException foreign = assertThrows(HsmException.class, () -> stranger.verify(stored));
      assertEquals(ResultCode.CKR_DEVICE_ERROR, foreign.code());
    }
  }
}
