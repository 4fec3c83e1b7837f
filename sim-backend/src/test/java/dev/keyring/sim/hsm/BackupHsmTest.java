package dev.keyring.sim.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.testing.FakeTicker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulated Luna Backup HSM as a device: its files, its serial, its SO password's lockout. */
class BackupHsmTest {
  static final String SO = "backup-so-password-1";

  @TempDir Path dir;
  final FakeTicker ticker = new FakeTicker();
  final PasswordHasher hasher = new PasswordHasher(1000);

  @Test
  void aNewDevice_isOwnerOnly_keepsItsSerial_andIsInitializedOnce() throws Exception {
    BackupHsm b = BackupHsm.open(dir.resolve("usb"), hasher, ticker);
    assertFalse(b.initialized());
    assertEquals("rwx------", perms(dir.resolve("usb")));
    assertEquals("rw-------", perms(dir.resolve("usb/state.json")));
    assertEquals("rw-------", perms(dir.resolve("usb/device.key")));
    b.initialize("usb-1", SO, "backup-domain");
    HsmException twice =
        assertThrows(HsmException.class, () -> b.initialize("usb-2", SO, "backup-domain"));
    assertEquals(ResultCode.CKR_FUNCTION_FAILED, twice.code());
    BackupHsm again = BackupHsm.open(dir.resolve("usb"), hasher, ticker);
    assertEquals(b.serial(), again.serial());
    assertEquals("usb-1", again.label());
    assertTrue(again.initialized());
    assertFalse(Files.readString(dir.resolve("usb/state.json")).contains(SO));
  }

  @Test
  void tenWrongSoPasswords_lockTheSo_forAMinute_evenAgainstTheRightOne() {
    BackupHsm b = BackupHsm.open(dir.resolve("usb"), hasher, ticker);
    b.initialize("usb-1", SO, "backup-domain");
    for (int i = 0; i < RoleLockout.THRESHOLD; i++) {
      HsmException e = assertThrows(HsmException.class, () -> b.authenticateSo("wrong-pw-123"));
      assertEquals(ResultCode.CKR_PIN_INCORRECT, e.code());
    }
    HsmException locked = assertThrows(HsmException.class, () -> b.authenticateSo(SO));
    assertEquals(ResultCode.CKR_PIN_LOCKED, locked.code());
    ticker.advance(RoleLockout.DURATION.plus(Duration.ofSeconds(1)));
    b.authenticateSo(SO);
  }

  @Test
  void aDirectoryOfSomethingElse_orAFile_isNoBackupHsm() throws Exception {
    Files.createDirectories(dir.resolve("other"));
    Files.writeString(dir.resolve("other/notes.txt"), "x");
    HsmException other =
        assertThrows(
            HsmException.class, () -> BackupHsm.open(dir.resolve("other"), hasher, ticker));
    assertEquals(ResultCode.CKR_ARGUMENTS_BAD, other.code());
    HsmException file =
        assertThrows(
            HsmException.class,
            () -> BackupHsm.open(dir.resolve("other/notes.txt"), hasher, ticker));
    assertTrue(file.getMessage().contains("not a directory"), file.getMessage());
    assertFalse(Files.exists(dir.resolve("other/device.key")));
  }

  @Test
  void thePort_connectsAtMostEight_andForgetsOneDetached() throws Exception {
    BackupHsmPort port = BackupHsmPort.open(dir.resolve("member"), hasher, ticker);
    for (int i = 0; i < BackupHsmPort.MAX_CONNECTED; i++) {
      port.attach(dir.resolve("usb" + i).toString());
    }
    HsmException ninth =
        assertThrows(HsmException.class, () -> port.attach(dir.resolve("usb9").toString()));
    assertTrue(ninth.getMessage().contains("at most 8"), ninth.getMessage());
    assertFalse(Files.exists(dir.resolve("usb9")));
    String first = port.list().get(0).serial();
    port.detach(first);
    assertEquals(
        BackupHsmPort.MAX_CONNECTED - 1,
        BackupHsmPort.open(dir.resolve("member"), hasher, ticker).list().size());
    HsmException gone = assertThrows(HsmException.class, () -> port.find(first));
    assertEquals(ResultCode.CKR_TOKEN_NOT_PRESENT, gone.code());
    assertEquals("rw-------", perms(dir.resolve("member/hsm/backup-hsms")));
  }

  static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
