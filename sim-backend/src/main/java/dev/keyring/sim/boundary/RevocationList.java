package dev.keyring.sim.boundary;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.store.KeyringStore;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The serial numbers of the client certificates the cluster revoked, read without a lock at every
 * handshake. Two sources, both honoured: the cluster's replicated list of registered clients (given
 * with {@link #replicated(Set)} whenever it changes), and revocations made on this member alone,
 * persisted in its {@code hsm_state} row {@value #ROW} (lowercase hexadecimal, one per line,
 * ascending), as members kept them before registrations were cluster state. Thread-safe.
 */
final class RevocationList {
  static final String ROW = "pki.revoked";

  private final KeyringStore store;
  private volatile Set<BigInteger> revoked;
  private volatile Set<BigInteger> replicated = Set.of();

  /** Counts revocations made here, so crypto contexts drop their sessions after each. */
  private final AtomicLong revocations = new AtomicLong();

  /** Reads the stored list; CKR_DEVICE_ERROR when it is damaged. */
  RevocationList(KeyringStore store) {
    this.store = store;
    this.revoked = load();
  }

  /**
   * Revokes a certificate serial number; persisted, and refused at the next handshake of the crypto
   * API. Returns false when it was already revoked.
   */
  synchronized boolean revoke(BigInteger serial) {
    if (serial == null || serial.signum() <= 0) {
      throw new HsmException(
          ResultCode.CKR_ARGUMENTS_BAD, "a certificate serial number is positive, got " + serial);
    }
    if (revoked.contains(serial)) {
      return false;
    }
    TreeSet<BigInteger> next = new TreeSet<>(revoked);
    next.add(serial);
    byte[] encoded =
        next.stream()
            .map(s -> s.toString(16) + "\n")
            .collect(Collectors.joining())
            .getBytes(StandardCharsets.US_ASCII);
    store.write(
        tx -> {
          tx.putHsmState(ROW, encoded);
          return null;
        });
    revoked = Collections.unmodifiableSet(next);
    revocations.incrementAndGet();
    return true;
  }

  boolean isRevoked(BigInteger serial) {
    return serial != null && (revoked.contains(serial) || replicated.contains(serial));
  }

  /**
   * The serial numbers the cluster's replicated state holds revoked now (it replaces the earlier
   * set); a serial not revoked before starts a new generation, so TLS sessions established before
   * it are dropped.
   *
   * @return the serials revoked now that were not before, ascending
   */
  synchronized List<BigInteger> replicated(Set<BigInteger> now) {
    TreeSet<BigInteger> added = new TreeSet<>(now);
    added.removeAll(replicated);
    added.removeAll(revoked);
    replicated = Collections.unmodifiableSet(new TreeSet<>(now));
    if (!added.isEmpty()) {
      revocations.incrementAndGet();
    }
    return List.copyOf(added);
  }

  /** The revoked serial numbers, ascending. */
  List<BigInteger> serials() {
    TreeSet<BigInteger> all = new TreeSet<>(revoked);
    all.addAll(replicated);
    return List.copyOf(all);
  }

  /** How many revocations were made here: it changes at each one. */
  long generation() {
    return revocations.get();
  }

  /** Reads the list again from the store (after the row was deleted or replaced). */
  synchronized void reload() {
    revoked = load();
  }

  int size() {
    return serials().size();
  }

  private Set<BigInteger> load() {
    Optional<byte[]> raw = store.hsmState(ROW);
    TreeSet<BigInteger> set = new TreeSet<>();
    if (raw.isPresent()) {
      for (String line : new String(raw.get(), StandardCharsets.US_ASCII).split("\n")) {
        if (line.isEmpty()) {
          continue;
        }
        try {
          set.add(new BigInteger(line, 16));
        } catch (NumberFormatException e) {
          throw new HsmException(
              ResultCode.CKR_DEVICE_ERROR,
              "the stored list of revoked certificates (" + ROW + ") is damaged");
        }
      }
    }
    return Collections.unmodifiableSet(set);
  }
}
