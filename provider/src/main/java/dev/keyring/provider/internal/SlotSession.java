package dev.keyring.provider.internal;

import dev.keyring.client.KeyringChannel;
import dev.keyring.client.KeyringClient;
import dev.keyring.client.TransportException;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.provider.KeyringProvider;
import java.util.Arrays;
import java.util.UUID;

/**
 * The provider's logged-in session on one keyring, shared by every key handle, KeyStore and engine
 * of that keyring. Sessions are thread-safe on the member. When the member no longer knows the
 * session (it expired after its idle timeout, or the member restarted), one new session is opened
 * and logged in with the password given at load, and the call is repeated once.
 */
public final class SlotSession {
  /** A call on the session. */
  @FunctionalInterface
  public interface Call<T> {
    T apply(KeyringChannel s) throws TransportException;
  }

  private final KeyringClient client;
  private final int clusterIndex;
  private final UUID keyringId;
  private final String label;
  private final OperationCounters counters;
  private char[] password;
  private volatile KeyringChannel session;

  SlotSession(
      KeyringClient client,
      int clusterIndex,
      KeyringChannel session,
      char[] password,
      OperationCounters counters) {
    this.client = client;
    this.clusterIndex = clusterIndex;
    this.keyringId = session.keyringId();
    this.label = session.keyringLabel();
    this.session = session;
    this.password = password.clone();
    this.counters = counters;
  }

  public UUID keyringId() {
    return keyringId;
  }

  public String label() {
    return label;
  }

  public int clusterIndex() {
    return clusterIndex;
  }

  /** Whether {@code candidate} is the password this session logged in with. */
  synchronized boolean passwordMatches(char[] candidate) {
    return candidate != null
        && java.security.MessageDigest.isEqual(
            new String(candidate).getBytes(java.nio.charset.StandardCharsets.UTF_8),
            new String(password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  synchronized void replacePassword(char[] pw) {
    Arrays.fill(password, '\0');
    password = pw.clone();
  }

  /** Counts one operation of {@code kind} and runs it. */
  public <T> T call(KeyringProvider.Operation kind, Call<T> call) throws TransportException {
    if (kind != null) {
      counters.add(kind);
    }
    KeyringChannel s = session;
    try {
      return call.apply(s);
    } catch (HsmException e) {
      if (!lostSession(e.code())) {
        throw e;
      }
      KeyringChannel fresh = reopen(s);
      return call.apply(fresh);
    }
  }

  /** Runs {@code call} without counting it. */
  public <T> T call(Call<T> call) throws TransportException {
    return call(null, call);
  }

  private static boolean lostSession(ResultCode code) {
    return code == ResultCode.CKR_SESSION_HANDLE_INVALID
        || code == ResultCode.CKR_SESSION_CLOSED
        || code == ResultCode.CKR_USER_NOT_LOGGED_IN;
  }

  private synchronized KeyringChannel reopen(KeyringChannel broken) throws TransportException {
    if (session != broken) {
      return session; // another thread already reopened it
    }
    KeyringChannel fresh = client.openSession(keyringId.toString());
    try {
      fresh.login(Role.KRCO, new String(password));
    } catch (TransportException | RuntimeException e) {
      try {
        fresh.close();
      } catch (TransportException | RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    session = fresh;
    try {
      broken.close();
    } catch (TransportException | RuntimeException ignored) {
      // the member forgot it already
    }
    return fresh;
  }

  /** Logs out and closes the session. */
  synchronized void close() {
    try {
      session.close();
    } catch (TransportException | RuntimeException ignored) {
      // the member closes it after its idle timeout
    }
    Arrays.fill(password, '\0');
  }

  @Override
  public String toString() {
    return "keyring '" + label + "' (" + keyringId + ") on cluster " + clusterIndex;
  }
}
