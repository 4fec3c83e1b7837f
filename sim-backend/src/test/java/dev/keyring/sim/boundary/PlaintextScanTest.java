package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.Curve;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyGenParams;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.ObjectRecord;
import dev.keyring.store.StoreConfig;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Known keys enter through the import path, keys are generated and used; then every row and column
 * of the store (through plain JDBC) and every byte of every file of the member except the HSM's own
 * device key file are scanned for the plaintext key material, raw and as hex and Base64. None may
 * be there; a public value (the RSA modulus) must be, so the scan is shown able to find what is
 * there.
 */
class PlaintextScanTest {
  private static final byte[] DATA = "scan me".getBytes(StandardCharsets.UTF_8);
  private static final HexFormat HEX = HexFormat.of();

  @TempDir Path dir;

  /** A named byte string to look for, with the text forms it could be stored in. */
  private record Needle(String name, byte[] raw) {
    List<byte[]> forms() {
      List<byte[]> f = new ArrayList<>();
      f.add(raw);
      f.add(ascii(HEX.formatHex(raw)));
      f.add(ascii(HEX.formatHex(raw).toUpperCase(Locale.ROOT)));
      // Base64 of a longer buffer holding the needle contains the encoding of the needle's
      // 3-byte groups at one of three alignments
      for (int skip = 0; skip < 3; skip++) {
        int len = (raw.length - skip) / 3 * 3;
        byte[] aligned = Arrays.copyOfRange(raw, skip, skip + len);
        f.add(ascii(Base64.getEncoder().encodeToString(aligned)));
        f.add(ascii(Base64.getUrlEncoder().withoutPadding().encodeToString(aligned)));
      }
      return f;
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** The big-endian magnitude of {@code x}, without a sign byte. */
  private static byte[] magnitude(BigInteger x) {
    byte[] b = x.toByteArray();
    return b[0] == 0 && b.length > 1 ? Arrays.copyOfRange(b, 1, b.length) : b;
  }

  private static byte[] fixed(BigInteger x, int length) {
    byte[] m = magnitude(x);
    byte[] out = new byte[length];
    System.arraycopy(m, 0, out, length - m.length, m.length);
    return out;
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    return SecretScan.indexOf(hay, needle) >= 0;
  }

  /** Which needle forms occur in {@code hay}, as "needle (form n) in where". */
  private static List<String> find(List<Needle> needles, byte[] hay, String where) {
    List<String> found = new ArrayList<>();
    for (Needle n : needles) {
      List<byte[]> forms = n.forms();
      for (int i = 0; i < forms.size(); i++) {
        if (contains(hay, forms.get(i))) {
          found.add(n.name() + " (form " + i + ") in " + where);
        }
      }
    }
    return found;
  }

  private static List<String> findInText(List<Needle> needles, String text, String where) {
    return find(needles, text.getBytes(StandardCharsets.UTF_8), where);
  }

  private static final class Scan {
    long rows;
    long cells;
    long bytes;
    int files;
    final List<String> found = new ArrayList<>();
  }

  /** Every cell of every table of the H2 database, as bytes (binary) or UTF-8 text. */
  private static Scan scanDatabase(StoreConfig config, List<Needle> needles) throws Exception {
    Scan s = new Scan();
    try (Connection c =
        DriverManager.getConnection(config.jdbcUrl(), config.username(), config.password())) {
      List<String> tables = new ArrayList<>();
      DatabaseMetaData md = c.getMetaData();
      try (ResultSet rs = md.getTables(null, null, "%", new String[] {"TABLE", "BASE TABLE"})) {
        while (rs.next()) {
          String schema = rs.getString("TABLE_SCHEM");
          if (!"INFORMATION_SCHEMA".equalsIgnoreCase(schema)) {
            tables.add('"' + schema + "\".\"" + rs.getString("TABLE_NAME") + '"');
          }
        }
      }
      assertTrue(
          tables.size() >= 5, "cluster, keyrings, objects, hsm_state, schema_version: " + tables);
      for (String table : tables) {
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT * FROM " + table)) {
          ResultSetMetaData rmd = rs.getMetaData();
          while (rs.next()) {
            s.rows++;
            for (int col = 1; col <= rmd.getColumnCount(); col++) {
              String where = table + "." + rmd.getColumnName(col) + " row " + s.rows;
              int type = rmd.getColumnType(col);
              byte[] cell;
              if (type == Types.BINARY
                  || type == Types.VARBINARY
                  || type == Types.LONGVARBINARY
                  || type == Types.BLOB) {
                cell = rs.getBytes(col);
              } else {
                String v = rs.getString(col);
                cell = v == null ? null : v.getBytes(StandardCharsets.UTF_8);
              }
              if (cell == null) {
                continue;
              }
              s.cells++;
              s.bytes += cell.length;
              s.found.addAll(find(needles, cell, where));
            }
          }
        }
      }
    }
    return s;
  }

  /** The raw bytes of every file under {@code root} except the device key file. */
  private static Scan scanFiles(Path root, Path deviceKey, List<Needle> needles) throws Exception {
    Scan s = new Scan();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    boolean sawDeviceKey = false;
    for (Path f : files) {
      if (f.toAbsolutePath().normalize().equals(deviceKey.toAbsolutePath().normalize())) {
        sawDeviceKey = true;
        continue;
      }
      byte[] content = Files.readAllBytes(f);
      s.files++;
      s.bytes += content.length;
      s.found.addAll(find(needles, content, root.relativize(f).toString()));
    }
    assertTrue(sawDeviceKey, "the device key file exists and was the one file skipped");
    return s;
  }

  @Test
  void noPlaintextKeyMaterial_inAnyRowOrFile_butPublicValuesAreFound() throws Exception {
    SecureRandom random = new SecureRandom();

    // known keys, made outside
    KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
    rsaGen.initialize(new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4));
    KeyPair rsa = rsaGen.generateKeyPair();
    RSAPrivateCrtKey rsaPriv = (RSAPrivateCrtKey) rsa.getPrivate();
    KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
    ecGen.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair ec = ecGen.generateKeyPair();
    ECPrivateKey ecPriv = (ECPrivateKey) ec.getPrivate();
    KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    EdECPrivateKey edPriv = (EdECPrivateKey) ed.getPrivate();
    byte[] aes = new byte[32];
    random.nextBytes(aes);
    byte[] hmac = new byte[32];
    random.nextBytes(hmac);

    List<Needle> secrets = new ArrayList<>();
    secrets.add(new Needle("RSA PKCS#8", rsaPriv.getEncoded()));
    secrets.add(new Needle("RSA d", magnitude(rsaPriv.getPrivateExponent())));
    secrets.add(new Needle("RSA p", magnitude(rsaPriv.getPrimeP())));
    secrets.add(new Needle("RSA q", magnitude(rsaPriv.getPrimeQ())));
    secrets.add(new Needle("RSA dp", magnitude(rsaPriv.getPrimeExponentP())));
    secrets.add(new Needle("RSA dq", magnitude(rsaPriv.getPrimeExponentQ())));
    secrets.add(new Needle("RSA qinv", magnitude(rsaPriv.getCrtCoefficient())));
    secrets.add(new Needle("EC PKCS#8", ecPriv.getEncoded()));
    secrets.add(new Needle("EC s", fixed(ecPriv.getS(), 32)));
    secrets.add(new Needle("Ed25519 PKCS#8", edPriv.getEncoded()));
    secrets.add(new Needle("Ed25519 seed", edPriv.getBytes().orElseThrow()));
    secrets.add(new Needle("AES-256", aes));
    secrets.add(new Needle("HMAC", hmac));
    for (Needle n : secrets) {
      assertTrue(n.raw().length >= 32, n.name() + " is long enough not to match by chance");
    }

    byte[] modulus = magnitude(((RSAPublicKey) rsa.getPublic()).getModulus());
    List<Needle> publicValues = new ArrayList<>(List.of(new Needle("RSA modulus", modulus)));

    Path deviceKey = dir.resolve("hsm/device.key");
    StoreConfig storeConfig;
    List<String> texts = new ArrayList<>();
    try (TestKeyring kr = new TestKeyring(dir)) {
      storeConfig = kr.store.config();
      Boundary b = kr.boundary;
      Attributes signing = Attributes.builder().label("imported").build();
      ObjectRecord rsaRec = kr.importPrivateKey(KeyType.RSA, rsaPriv.getEncoded(), signing);
      ObjectRecord ecRec = kr.importPrivateKey(KeyType.EC, ecPriv.getEncoded(), signing);
      ObjectRecord edRec = kr.importPrivateKey(KeyType.EC_EDWARDS, edPriv.getEncoded(), signing);
      ObjectRecord aesRec = kr.importSecretKey(KeyType.AES, aes, signing);
      ObjectRecord hmacRec = kr.importSecretKey(KeyType.GENERIC_SECRET, hmac, signing);
      assertTrue(
          Arrays.equals(
              modulus, rsaRec.attributes().bytes(AttributeType.CKA_MODULUS).orElseThrow()),
          "the imported key's record carries the modulus we will look for");

      // generated keys, and operations on everything
      KeyPairObjects genEc =
          b.generateKeyPair(
              kr.keyringId, KeyGenParams.ec(Curve.P384), Attributes.empty(), Attributes.empty());
      ObjectRecord genAes = b.generateKey(kr.keyringId, KeyGenParams.aes(256), Attributes.empty());
      ObjectRecord wrapper =
          b.generateKey(
              kr.keyringId,
              KeyGenParams.aes(256),
              Attributes.builder().flag(AttributeType.CKA_WRAP, true).build());
      b.sign(
          kr.keyringId, rsaRec.handle(), Mechanism.CKM_SHA256_RSA_PKCS, MechanismParams.NONE, DATA);
      b.sign(kr.keyringId, ecRec.handle(), Mechanism.CKM_ECDSA_SHA256, MechanismParams.NONE, DATA);
      b.sign(kr.keyringId, edRec.handle(), Mechanism.CKM_EDDSA, MechanismParams.NONE, DATA);
      b.sign(kr.keyringId, hmacRec.handle(), Mechanism.CKM_SHA256_HMAC, MechanismParams.NONE, DATA);
      b.sign(
          kr.keyringId,
          genEc.privateKey().handle(),
          Mechanism.CKM_ECDSA_SHA384,
          MechanismParams.NONE,
          DATA);
      byte[] ct =
          b.encrypt(
              kr.keyringId, aesRec.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, DATA);
      b.decrypt(kr.keyringId, aesRec.handle(), Mechanism.CKM_AES_GCM, MechanismParams.NONE, ct);
      b.encrypt(
          kr.keyringId, genAes.handle(), Mechanism.CKM_AES_CBC_PAD, MechanismParams.NONE, DATA);
      b.wrapKey(
          kr.keyringId,
          wrapper.handle(),
          Mechanism.CKM_AES_KEY_WRAP_KWP,
          MechanismParams.NONE,
          hmacRec.handle());
      b.setAttributes(kr.keyringId, aesRec.handle(), Attributes.builder().label("renamed").build());
      b.evictKeyring(kr.keyringId);
      b.sign(
          kr.keyringId, rsaRec.handle(), Mechanism.CKM_SHA512_RSA_PKCS, MechanismParams.NONE, DATA);

      // what toString() and failure messages show
      for (ObjectRecord r :
          List.of(rsaRec, ecRec, edRec, aesRec, hmacRec, genEc.privateKey(), genAes, wrapper)) {
        texts.add(r.toString());
        texts.add(r.attributes().toString());
        ObjectRecord stored = kr.store.object(kr.keyringId, r.handle()).orElseThrow();
        texts.add(stored.toString());
        texts.add(stored.attributes().toString());
      }
      texts.add(new LoadedKey(rsaRec, SecretBytes.adopt(rsaPriv.getEncoded())).toString());
      texts.add(new LoadedKey(aesRec, SecretBytes.adopt(aes.clone())).toString());
      texts.add(SecretBytes.adopt(aes.clone()).toString());
      texts.add(SecretBytes.adopt(edPriv.getBytes().orElseThrow()).toString());
      texts.add(
          Attributes.builder()
              .objectClass(ObjectClass.SECRET_KEY)
              .keyType(KeyType.AES)
              .set(AttributeType.CKA_VALUE, aes)
              .build()
              .toString());
      texts.add(kr.store.toString());
      texts.add(storeConfig.toString());
      texts.add(b.cacheStats().toString());
      texts.add(b.engines().toString());
      texts.add(String.valueOf(b.smkFingerprint()));

      // failures that involve the keys: their messages must not carry them
      List<HsmException> failures = new ArrayList<>();
      failures.add(
          assertThrows(
              HsmException.class,
              () ->
                  b.decrypt(
                      kr.keyringId,
                      aesRec.handle(),
                      Mechanism.CKM_AES_GCM,
                      MechanismParams.NONE,
                      new byte[40])));
      failures.add(
          assertThrows(
              HsmException.class,
              () ->
                  b.wrapKey(
                      kr.keyringId,
                      wrapper.handle(),
                      Mechanism.CKM_AES_KEY_WRAP_KWP,
                      MechanismParams.NONE,
                      rsaRec.handle())));
      failures.add(
          assertThrows(
              HsmException.class,
              () ->
                  b.sign(
                      kr.keyringId,
                      aesRec.handle(),
                      Mechanism.CKM_SHA256_HMAC,
                      MechanismParams.NONE,
                      DATA)));
      failures.add(
          assertThrows(
              HsmException.class,
              () ->
                  b.createObject(
                      kr.keyringId,
                      Attributes.builder()
                          .objectClass(ObjectClass.SECRET_KEY)
                          .keyType(KeyType.AES)
                          .set(AttributeType.CKA_VALUE, aes)
                          .build())));
      failures.add(
          assertThrows(
              HsmException.class,
              () ->
                  b.generateKey(
                      kr.keyringId,
                      KeyGenParams.aes(256),
                      Attributes.builder().set(AttributeType.CKA_VALUE, aes).build())));
      // the import of a damaged PKCS#8 (truncated) and of an AES key of a wrong length
      byte[] cut = Arrays.copyOf(rsaPriv.getEncoded(), rsaPriv.getEncoded().length - 7);
      failures.add(
          assertThrows(
              HsmException.class, () -> kr.importPrivateKey(KeyType.RSA, cut, Attributes.empty())));
      failures.add(
          assertThrows(
              HsmException.class,
              () -> kr.importPrivateKey(KeyType.EC, rsaPriv.getEncoded(), Attributes.empty())));
      failures.add(
          assertThrows(
              HsmException.class,
              () -> kr.importSecretKey(KeyType.AES, Arrays.copyOf(hmac, 31), Attributes.empty())));
      // a tampered blob, opened
      ObjectRecord stored = kr.store.object(kr.keyringId, ecRec.handle()).orElseThrow();
      byte[] blob = stored.blob();
      blob[40] ^= 1;
      kr.store.write(
          tx -> {
            tx.updateObject(stored.withAttributesAndBlob(stored.attributes(), blob));
            return null;
          });
      b.evictObject(kr.keyringId, ecRec.handle());
      failures.add(
          assertThrows(
              HsmException.class,
              () ->
                  b.sign(
                      kr.keyringId,
                      ecRec.handle(),
                      Mechanism.CKM_ECDSA_SHA256,
                      MechanismParams.NONE,
                      DATA)));
      assertEquals(ResultCode.CKR_ENCRYPTED_DATA_INVALID, failures.get(failures.size() - 1).code());
      for (HsmException e : failures) {
        for (Throwable t = e; t != null; t = t.getCause()) {
          texts.add(String.valueOf(t.getMessage()));
          texts.add(t.toString());
        }
      }
      assertTrue(texts.size() > 40);
      // a binary value that is in the store (a sealed blob): the scans must find it raw
      publicValues.add(
          new Needle(
              "SKS blob", kr.store.object(kr.keyringId, genAes.handle()).orElseThrow().blob()));
    }

    // (0) strings shown to callers and logs
    List<String> inTexts = new ArrayList<>();
    for (String t : texts) {
      inTexts.addAll(findInText(secrets, t, "text '" + t + "'"));
    }
    assertEquals(List.of(), inTexts, "secrets in toString() or messages");

    // (a) every row and column, through plain JDBC
    Scan files = scanFiles(dir, deviceKey, secrets);
    Scan filesPublic = scanFiles(dir, deviceKey, publicValues);
    Scan db = scanDatabase(storeConfig, secrets);
    Scan dbPublic = scanDatabase(storeConfig, publicValues);

    assertTrue(db.rows > 10, "the scan read rows: " + db.rows);
    assertTrue(db.cells > 50 && db.bytes > 1000, "the scan read cells: " + db.cells);
    assertEquals(List.of(), db.found, "plaintext key material in the database");
    assertFalse(
        dbPublic.found.isEmpty(), "the scan finds the RSA modulus (public) in the database");
    assertTrue(
        dbPublic.found.stream().anyMatch(f -> f.contains("form 1") && f.contains("OBJECTS")),
        "as lower-case hex in the objects' attributes: " + dbPublic.found);

    // (b) the raw bytes of every file but the device key
    assertTrue(files.files >= 1 && files.bytes > 10_000, "the scan read files: " + files.bytes);
    assertEquals(List.of(), files.found, "plaintext key material in the member's files");
    assertTrue(
        filesPublic.found.stream().anyMatch(f -> f.startsWith("RSA modulus (form 1)")),
        "the scan finds the RSA modulus (public) as hex in the files: " + filesPublic.found);
    assertTrue(
        filesPublic.found.stream().anyMatch(f -> f.startsWith("SKS blob (form 0)")),
        "the scan finds a blob's raw bytes in the files: " + filesPublic.found);
    assertTrue(
        dbPublic.found.stream()
            .anyMatch(f -> f.startsWith("SKS blob (form 0)") && f.contains("BLOB")),
        "the scan finds a blob's raw bytes in the objects.blob column: " + dbPublic.found);

    try (Stream<Path> walk = Files.walk(dir)) {
      assertTrue(
          walk.anyMatch(f -> f.getFileName().toString().endsWith(".mv.db")),
          "the H2 database file was among the files scanned");
    }
  }
}
