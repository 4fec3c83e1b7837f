package dev.keyring.store;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.UUID;

/**
 * The state digest: SHA-256 over a canonical serialization of the replicated state. Creation times
 * and the HSM state are not part of it (they are member-local). Neither are the cluster values, the
 * replication log ({@code cluster_log}) nor its base ({@code replication_base}): the digest covers
 * the cluster, keyrings and objects only, as it did before replication existed, so digests stay
 * comparable across versions (replication tests compare cluster values separately).
 *
 * <p>The serialization, all integers big-endian: the tag {@code "keyring-store state v1"}; then
 * three sections, each a tag ({@code "cluster"}, {@code "keyrings"}, {@code "objects"}) followed by
 * its rows, each row preceded by a 1 byte, and a 0 byte ending the section. A row is its fields in
 * the order below, each as: UUID 16 bytes (most significant first), boolean 1 byte, int 4 bytes,
 * long 8 bytes, string and bytes a 4-byte length then the bytes (UTF-8 for strings; length -1 for a
 * null). Rows:
 *
 * <ul>
 *   <li>cluster: id, label; sorted by id
 *   <li>keyrings: id, cluster_id, label, credential_verifier, password_change_required,
 *       krco_initialized, locked, failed_logins, next_handle; sorted by id
 *   <li>objects: keyring_id, handle, object_id, object_class name, the attributes' {@link
 *       dev.keyring.protocol.Attributes#canonicalEncoding()}, blob; sorted by (keyring_id, handle)
 * </ul>
 *
 * UUIDs sort as unsigned 128-bit numbers, which is how both H2 and PostgreSQL order them; the order
 * is checked while reading, so a database that sorted otherwise would fail loudly rather than give
 * a different digest.
 */
final class StateDigest {
  private final MessageDigest sha;
  private final ByteArrayOutputStream buf = new ByteArrayOutputStream(4096);

  private StateDigest() {
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Digests the state seen by {@code c}, which should be in a repeatable-read transaction. */
  static String compute(Connection c) throws SQLException {
    StateDigest d = new StateDigest();
    d.string("keyring-store state v1");
    d.string("cluster");
    try (PreparedStatement ps = c.prepareStatement("SELECT id, label FROM cluster ORDER BY id");
        ResultSet rs = ps.executeQuery()) {
      UUID previous = null;
      while (rs.next()) {
        UUID id = Rows.getUuid(rs, "id");
        previous = checkOrder("cluster", previous, id);
        d.row();
        d.uuid(id);
        d.string(rs.getString("label"));
      }
    }
    d.endSection();
    d.string("keyrings");
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id, cluster_id, label, credential_verifier, password_change_required,"
                + " krco_initialized, locked, failed_logins, next_handle FROM keyrings ORDER BY id")) {
      ps.setFetchSize(1000);
      try (ResultSet rs = ps.executeQuery()) {
        UUID previous = null;
        while (rs.next()) {
          UUID id = Rows.getUuid(rs, "id");
          previous = checkOrder("keyrings", previous, id);
          d.row();
          d.uuid(id);
          d.uuid(Rows.getUuid(rs, "cluster_id"));
          d.string(rs.getString("label"));
          d.string(rs.getString("credential_verifier"));
          d.bool(rs.getBoolean("password_change_required"));
          d.bool(rs.getBoolean("krco_initialized"));
          d.bool(rs.getBoolean("locked"));
          d.int32(rs.getInt("failed_logins"));
          d.int64(rs.getLong("next_handle"));
        }
      }
    }
    d.endSection();
    d.string("objects");
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT keyring_id, handle, object_id, object_class, attributes, blob FROM objects"
                + " ORDER BY keyring_id, handle")) {
      ps.setFetchSize(1000);
      try (ResultSet rs = ps.executeQuery()) {
        UUID previousKeyring = null;
        long previousHandle = 0;
        while (rs.next()) {
          UUID keyring = Rows.getUuid(rs, "keyring_id");
          long handle = rs.getLong("handle");
          if (keyring.equals(previousKeyring)) {
            if (handle <= previousHandle) {
              throw new IllegalStateException("objects came back out of handle order");
            }
          } else {
            checkOrder("objects", previousKeyring, keyring);
          }
          previousKeyring = keyring;
          previousHandle = handle;
          d.row();
          d.uuid(keyring);
          d.int64(handle);
          d.uuid(Rows.getUuid(rs, "object_id"));
          d.string(Rows.objectClass(rs.getString("object_class")).name());
          d.bytes(Rows.attributesFromJson(rs.getString("attributes")).canonicalEncoding());
          d.bytes(rs.getBytes("blob"));
        }
      }
    }
    d.endSection();
    return d.finish();
  }

  /** Unsigned comparison of two UUIDs as 128-bit numbers: the order both databases use. */
  static int compareUnsigned(UUID a, UUID b) {
    int c = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
    return c != 0
        ? c
        : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
  }

  private static UUID checkOrder(String table, UUID previous, UUID next) {
    if (previous != null && compareUnsigned(previous, next) >= 0) {
      throw new IllegalStateException(
          table + " rows came back out of unsigned UUID order: " + previous + " before " + next);
    }
    return next;
  }

  private void row() {
    buf.write(1);
  }

  private void endSection() {
    buf.write(0);
  }

  private void uuid(UUID u) {
    int64(u.getMostSignificantBits());
    int64(u.getLeastSignificantBits());
  }

  private void bool(boolean b) {
    buf.write(b ? 1 : 0);
  }

  private void int32(int x) {
    for (int i = 3; i >= 0; i--) {
      buf.write(x >>> (8 * i));
    }
  }

  private void int64(long x) {
    for (int i = 7; i >= 0; i--) {
      buf.write((int) (x >>> (8 * i)));
    }
  }

  private void string(String s) {
    bytes(s == null ? null : s.getBytes(StandardCharsets.UTF_8));
  }

  private void bytes(byte[] b) {
    if (b == null) {
      int32(-1);
    } else {
      int32(b.length);
      buf.writeBytes(b);
    }
    if (buf.size() >= 64 * 1024) {
      flush();
    }
  }

  private void flush() {
    sha.update(buf.toByteArray());
    buf.reset();
  }

  private String finish() {
    flush();
    return HexFormat.of().formatHex(sha.digest());
  }
}
