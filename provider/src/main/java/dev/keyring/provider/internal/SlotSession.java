package dev.keyring.provider.internal;

import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.TransportException;
import dev.keyring.provider.api.ProviderOperation;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.UUID;

/**
 * The provider's logged-in session on one keyring, shared by every key handle, KeyStore and engine
 * of that keyring: a {@link KeyringChannel}, and the password given at load. The channel recovers
 * on its own (a session a member expired or forgot is opened and logged in again there, a call that
 * may be repeated goes to another member); this class never repeats a call.
 */
public final class SlotSession {
  /** A call on the session's channel. */
  @FunctionalInterface
  public interface Call<T> {
    T apply(KeyringChannel s) throws TransportException;
  }

  private final int clusterIndex;
  private final UUID keyringId;
  private final String label;
  private final OperationCounters counters;
  private final KeyringChannel channel;
  private char[] password;

  SlotSession(
      int clusterIndex, KeyringChannel channel, char[] password, OperationCounters counters) {
    this.clusterIndex = clusterIndex;
    this.keyringId = channel.keyringId();
    this.label = channel.keyringLabel();
    this.channel = channel;
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
        && MessageDigest.isEqual(
            new String(candidate).getBytes(StandardCharsets.UTF_8),
            new String(password).getBytes(StandardCharsets.UTF_8));
  }

  /** Counts one operation of {@code kind} and runs it. */
  public <T> T call(ProviderOperation kind, Call<T> call) throws TransportException {
    if (kind != null) {
      counters.add(kind);
    }
    return call.apply(channel);
  }

  /** Runs {@code call} without counting it. */
  public <T> T call(Call<T> call) throws TransportException {
    return call(null, call);
  }

  /** Logs out and closes the session. */
  synchronized void close() {
    try {
      channel.close();
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
