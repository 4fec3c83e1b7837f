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
 * The serial numbers of the client certificates the cluster revoked, persisted in the member's
 * {@code hsm_state} row {@value #ROW} (lowercase hexadecimal, one per line, ascending), and read
 * without a lock at every handshake. Thread-safe.
 */
final class RevocationList {
  static final String ROW = "pki.revoked";

  private final KeyringStore store;
  private volatile Set<BigInteger> revoked;

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
    return serial != null && revoked.contains(serial);
  }

  /** The revoked serial numbers, ascending. */
  List<BigInteger> serials() {
    return List.copyOf(revoked);
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
    return revoked.size();
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
