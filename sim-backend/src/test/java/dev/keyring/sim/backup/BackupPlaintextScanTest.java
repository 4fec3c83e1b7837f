package dev.keyring.sim.backup;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.KeyType;
import dev.keyring.sim.boundary.SecretScan;
import dev.keyring.sim.boundary.SmkAccess;
import dev.keyring.sim.boundary.TestKeyring;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Known keys enter a keyring through the import path; a backup is written; the file, and the
 * decrypted body too, are scanned for the keys and for the SMK, raw, as hex and as Base64 at every
 * alignment. None may be there. A public value (the EC public key's encoding in the attributes) is
 * found in the decrypted body, so the scan is shown able to find what is there.
 */
class BackupPlaintextScanTest {
  @TempDir Path dir;

  private static List<byte[]> forms(byte[] raw) {
    List<byte[]> f = new ArrayList<>();
    f.add(raw);
    String hex = HexFormat.of().formatHex(raw);
    f.add(hex.getBytes(StandardCharsets.US_ASCII));
    f.add(hex.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
    for (int skip = 0; skip < 3; skip++) {
      int len = (raw.length - skip) / 3 * 3;
      byte[] aligned = Arrays.copyOfRange(raw, skip, skip + len);
      f.add(Base64.getEncoder().encodeToString(aligned).getBytes(StandardCharsets.US_ASCII));
      f.add(
          Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(aligned)
              .getBytes(StandardCharsets.US_ASCII));
    }
    return f;
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    return SecretScan.indexOf(hay, needle) >= 0;
  }

  private static boolean anyForm(byte[] hay, byte[] secret) {
    return forms(secret).stream().anyMatch(f -> contains(hay, f));
  }

  @Test
  void aBackupFile_holdsNoPrivateOrSecretKeyAndNotTheSmk_inAnyForm() throws Exception {
    byte[] aes = new byte[32];
    new SecureRandom().nextBytes(aes);
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair ec = g.generateKeyPair();
    byte[] ecScalar = ((ECPrivateKey) ec.getPrivate()).getS().toByteArray();
    byte[] pkcs8 = ec.getPrivate().getEncoded();
    try (TestKeyring tk = new TestKeyring(dir.resolve("a"))) {
      tk.importSecretKey(KeyType.AES, aes, Attributes.builder().label("known-aes").build());
      tk.importPrivateKey(KeyType.EC, pkcs8, Attributes.builder().label("known-ec").build());
      tk.importPublicKey(ec.getPublic());
      byte[] deviceKey = Files.readAllBytes(dir.resolve("a/hsm/device.key"));
      Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding", "SunJCE");
      kwp.init(Cipher.UNWRAP_MODE, new SecretKeySpec(deviceKey, "AES"));
      byte[] smk =
          ((SecretKey) kwp.unwrap(SmkAccess.protectedSmk(tk).wrapped(), "AES", Cipher.SECRET_KEY))
              .getEncoded();

      BackupFiles files = new BackupFiles(dir.resolve("files"));
      new ClusterBackup(
              tk.store, files, new SecureRandom(), BackupHooks.NONE, System::currentTimeMillis)
          .run(
              "admin",
              "scan",
              tk.boundary.smkFingerprint(),
              (s, n, r, p) -> tk.boundary.backupCipher("scan-password-1", s, n, r, p),
              new BackupProgress());
      byte[] file = Files.readAllBytes(files.path("admin", "scan"));

      // the decrypted body, as a restore reads it
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      try (InputStream in = Files.newInputStream(files.path("admin", "scan"))) {
        BackupHeader.Read h = BackupReader.header(in);
        try (var cipher =
            tk.boundary.backupCipher(
                "scan-password-1",
                h.header().salt(),
                h.header().logN(),
                h.header().r(),
                h.header().p())) {
          BackupReader reader = new BackupReader(in, h, cipher);
          for (KeyringEntry e = reader.next(); e != null; e = reader.next()) {
            body.write(e.encode());
          }
        }
      }
      byte[] plain = body.toByteArray();

      for (byte[] hay : List.of(file, plain)) {
        assertFalse(anyForm(hay, aes), "the AES key");
        assertFalse(anyForm(hay, ecScalar), "the EC private scalar");
        assertFalse(anyForm(hay, pkcs8), "the EC private key's PKCS#8");
        assertFalse(anyForm(hay, smk), "the SMK");
        assertFalse(anyForm(hay, deviceKey), "the device key");
      }
      byte[] publicPoint =
          Arrays.copyOfRange(
              ec.getPublic().getEncoded(),
              ec.getPublic().getEncoded().length - 64,
              ec.getPublic().getEncoded().length);
      assertTrue(anyForm(plain, publicPoint), "the scan finds a public value in the body");
      assertFalse(anyForm(file, publicPoint), "and the file shows not even that in the clear");
    }
  }
}
