package dev.keyring.store;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyringLimits;
import dev.keyring.protocol.ResultCode;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * {@link StoreTransaction#createKeyrings}: the request checked on its own, then against the store
 * (the cluster exists and is locked, the 3,500-keyring limit, unique labels and ids), then the
 * keyrings inserted in one batch. Every refusal comes before the first write.
 */
final class KeyringCreation {
  private KeyringCreation() {}

  /**
   * Checks the store and inserts {@code toCreate} (from {@link #check}); call inside {@link
   * JdbcTransaction#sql}.
   */
  static List<KeyringRecord> insert(
      Connection connection, UUID clusterId, List<KeyringRecord> toCreate) throws SQLException {
    lockCluster(connection, clusterId);
    int held = countKeyrings(connection, clusterId);
    int max = KeyringLimits.MAX_KEYRINGS_PER_CLUSTER;
    if (held + toCreate.size() > max) {
      throw new HsmException(
          ResultCode.CKR_DEVICE_MEMORY,
          "cluster "
              + clusterId
              + " holds "
              + held
              + " keyrings; creating "
              + toCreate.size()
              + " more would pass the limit of "
              + max);
    }
    List<String> labels = new ArrayList<>();
    List<UUID> ids = new ArrayList<>();
    for (KeyringRecord k : toCreate) {
      labels.add(k.label());
      ids.add(k.id());
    }
    Optional<String> usedLabel = Sql.firstExisting(connection, "keyrings", "label", labels);
    if (usedLabel.isPresent()) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD,
          "keyring label '" + usedLabel.get() + "' is already used; labels must be unique");
    }
    Optional<String> usedId = Sql.firstExisting(connection, "keyrings", "id", ids);
    if (usedId.isPresent()) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "keyring id " + usedId.get() + " already exists");
    }
    Rows.KEYRINGS.insertAll(connection, toCreate);
    return Collections.unmodifiableList(toCreate);
  }

  /**
   * Checks the request itself (no database access); returns the records to insert (times to the
   * microsecond, next handle 1).
   */
  static List<KeyringRecord> check(UUID clusterId, List<KeyringRecord> in) {
    List<KeyringRecord> out = new ArrayList<>(in.size());
    Set<String> labels = new HashSet<>();
    Set<UUID> ids = new HashSet<>();
    for (KeyringRecord k : in) {
      Objects.requireNonNull(k, "keyrings contains null");
      if (!k.clusterId().equals(clusterId)) {
        throw new HsmException(
            ResultCode.CKR_ARGUMENTS_BAD,
            "keyring '"
                + k.label()
                + "' names cluster "
                + k.clusterId()
                + " but is being created in cluster "
                + clusterId);
      }
      if (!labels.add(k.label())) {
        throw new HsmException(
            ResultCode.CKR_ARGUMENTS_BAD,
            "keyring label '"
                + k.label()
                + "' appears twice in one request; labels must be unique");
      }
      if (!ids.add(k.id())) {
        throw new HsmException(
            ResultCode.CKR_ARGUMENTS_BAD, "keyring id " + k.id() + " appears twice in one request");
      }
      out.add(
          new KeyringRecord(
              k.id(),
              k.clusterId(),
              k.label(),
              k.credentialVerifier(),
              k.passwordChangeRequired(),
              k.krcoInitialized(),
              k.locked(),
              k.failedLogins(),
              Rows.micros(k.createdAt())));
    }
    return out;
  }

  private static void lockCluster(Connection connection, UUID clusterId) throws SQLException {
    String sql = Rows.CLUSTER.select() + " WHERE id = ? FOR UPDATE";
    if (Rows.CLUSTER.queryOne(connection, sql, clusterId).isEmpty()) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "cluster " + clusterId + " does not exist in this store");
    }
  }

  private static int countKeyrings(Connection connection, UUID clusterId) throws SQLException {
    return Sql.count(connection, "SELECT COUNT(*) FROM keyrings WHERE cluster_id = ?", clusterId);
  }
}
