package dev.keyring.distribution;

import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandLines;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The secrets of a quickstart directory: generated once, kept in {@code DIR/secrets.properties}
 * (created readable and writable by its owner only), read back on every later run.
 *
 * <p>Generated passwords are 24 characters from a 32-letter alphabet (120 bits): longer than 16, so
 * a mistyped login never locks the keyring (the seed's lockout applies to passwords of 16
 * characters or fewer).
 */
record QuickstartSecrets(
    String hsmSo,
    String partitionPo,
    String partitionCo,
    String admin,
    String keyringInitial,
    String keyring) {

  static final String FILE = "secrets.properties";

  /** Property names in the file, in the order they are written and documented. */
  static final Map<String, String> KEYS = keys();

  private static final char[] ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789-".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private static Map<String, String> keys() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("hsm.so.password", "HSM security officer (SO)");
    m.put("partition.po.password", "partition officer (PO)");
    m.put("partition.co.password", "partition crypto officer (CO, the cluster CO)");
    m.put("admin.password", "appliance user 'admin' (admin API)");
    m.put("keyring.initial.password", "keyring initial password (used once, by the KRSO)");
    m.put("keyring.password", "keyring KRSO and KRCO password (KeyStore.load)");
    return m;
  }

  /** A new set; {@code keyringPassword} null means a generated one. */
  static QuickstartSecrets generate(String keyringPassword) {
    return new QuickstartSecrets(
        random(),
        random(),
        random(),
        random(),
        random(),
        keyringPassword != null ? keyringPassword : random());
  }

  static String random() {
    char[] c = new char[24];
    for (int i = 0; i < c.length; i++) {
      c[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
    }
    return new String(c);
  }

  /** The secrets in {@code dir}, or null when the directory has none yet. */
  static QuickstartSecrets read(Path dir) {
    Path f = dir.resolve(FILE);
    if (!Files.exists(f)) {
      return null;
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(f)) {
      p.load(in);
    } catch (IOException e) {
      throw new CliException(CommandLines.BAD_INPUT, "cannot read " + f + ": " + e.getMessage());
    }
    String[] v = new String[KEYS.size()];
    int i = 0;
    for (String k : KEYS.keySet()) {
      v[i] = p.getProperty(k);
      if (v[i] == null || v[i].isBlank()) {
        throw new CliException(
            CommandLines.BAD_INPUT,
            f + " has no " + k + ": restore the file, or start over in an empty --data directory");
      }
      v[i] = v[i].strip();
      i++;
    }
    return new QuickstartSecrets(v[0], v[1], v[2], v[3], v[4], v[5]);
  }

  /** Writes the file, owner-only, refusing to overwrite one that exists. */
  void write(Path dir) {
    Path f = dir.resolve(FILE);
    Properties p = new Properties();
    String[] v = values();
    int i = 0;
    for (String k : KEYS.keySet()) {
      p.setProperty(k, v[i++]);
    }
    try {
      createOwnerOnly(f);
      try (OutputStream out = Files.newOutputStream(f, StandardOpenOption.TRUNCATE_EXISTING)) {
        p.store(
            out, "keyring-sim quickstart: the passwords of this cluster; keep this file private");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + f, e);
    }
  }

  private static void createOwnerOnly(Path f) throws IOException {
    Set<PosixFilePermission> ownerOnly =
        EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    try {
      Files.createFile(f, PosixFilePermissions.asFileAttribute(ownerOnly));
    } catch (UnsupportedOperationException notPosix) {
      Files.createFile(f);
      f.toFile().setReadable(false, false);
      f.toFile().setReadable(true, true);
      f.toFile().setWritable(false, false);
      f.toFile().setWritable(true, true);
    } catch (FileAlreadyExistsException e) {
      throw new CliException(CommandLines.BAD_INPUT, f + " exists already; it is not overwritten");
    }
  }

  String[] values() {
    return new String[] {hsmSo, partitionPo, partitionCo, admin, keyringInitial, keyring};
  }
}
