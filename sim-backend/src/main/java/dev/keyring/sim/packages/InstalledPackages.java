package dev.keyring.sim.packages;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringStore;
import java.io.IOException;
import java.util.Optional;

/**
 * The software of this simulated appliance: the installed version of its cluster service, the
 * package file last uploaded (verified), and the version an {@code upgrade} installed that takes
 * effect when the cluster service next starts. Kept in the member's own store ({@code hsm_state}
 * row {@value #KEY}, never replicated: each member has its own software), one transaction per
 * change.
 */
public final class InstalledPackages {
  /** The {@code hsm_state} row. */
  public static final String KEY = "appliance.packages";

  /** The cluster service version of a new appliance. */
  public static final String FACTORY_VERSION = "104-00001";

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** The stored row (Jackson bean). */
  static final class Row {
    public String installed = FACTORY_VERSION;
    public String uploadedName;
    public String uploadedVersion;
    public String pending;
  }

  private final KeyringStore store;
  private Row row;

  public InstalledPackages(KeyringStore store) {
    this.store = store;
    Optional<byte[]> raw = store.hsmState(KEY);
    Row r = new Row();
    if (raw.isPresent() && raw.get().length > 0) {
      try {
        r = JSON.readValue(raw.get(), Row.class);
      } catch (IOException e) {
        throw new HsmException(
            ResultCode.CKR_DEVICE_ERROR, "the stored package state " + KEY + " is damaged");
      }
    }
    this.row = r;
  }

  /** The installed cluster service version, e.g. {@code 104-00001}. */
  public synchronized String installed() {
    return row.installed;
  }

  /** The installed cluster service as a package list names it. */
  public synchronized String installedPackage() {
    return PackageFile.fullName(PackageFile.CLUSTER_SERVICE, row.installed);
  }

  /** The version installed by an upgrade, waiting for the cluster service to restart. */
  public synchronized Optional<String> pending() {
    return Optional.ofNullable(row.pending);
  }

  /** The uploaded package file's name and version ({@code name-version}), if any. */
  public synchronized Optional<String> uploaded() {
    return row.uploadedName == null
        ? Optional.empty()
        : Optional.of(PackageFile.fullName(row.uploadedName, row.uploadedVersion));
  }

  /** Keeps a verified package file as the one the next {@code upgrade} installs. */
  public synchronized void upload(PackageFile file) {
    Row next = copy();
    next.uploadedName = file.name();
    next.uploadedVersion = file.version();
    save(next);
  }

  /**
   * Installs the uploaded package: its version becomes pending, and the installed one when the
   * cluster service next starts.
   *
   * @return the pending version
   * @throws IllegalStateException with the reason when nothing can be installed
   */
  public synchronized String upgrade() {
    if (row.uploadedName == null) {
      throw new IllegalStateException(
          "no package file was uploaded: POST /api/lunasa/packageFiles first");
    }
    String v = row.uploadedVersion;
    if (v.compareTo(row.installed) <= 0) {
      throw new IllegalStateException(
          "the uploaded "
              + PackageFile.fullName(row.uploadedName, v)
              + " is not newer than the installed "
              + installedPackage());
    }
    Row next = copy();
    next.pending = v;
    next.uploadedName = null;
    next.uploadedVersion = null;
    save(next);
    return v;
  }

  /**
   * The cluster service starts: a pending version becomes the installed one.
   *
   * @return whether a version was installed by this start
   */
  public synchronized boolean installPending() {
    if (row.pending == null) {
      return false;
    }
    Row next = copy();
    next.installed = row.pending;
    next.pending = null;
    save(next);
    return true;
  }

  private Row copy() {
    try {
      return JSON.readValue(JSON.writeValueAsBytes(row), Row.class);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void save(Row next) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(next);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    store.write(
        tx -> {
          tx.putHsmState(KEY, bytes);
          return null;
        });
    row = next;
  }
}
