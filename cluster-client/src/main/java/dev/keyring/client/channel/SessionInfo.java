package dev.keyring.client.channel;

import java.util.Objects;
import java.util.UUID;

/**
 * A physical session a member opened.
 *
 * @param sessionId the member's id for it
 * @param keyringId the keyring's UUID
 * @param label the keyring's label
 */
public record SessionInfo(String sessionId, UUID keyringId, String label) {
  public SessionInfo {
    if (sessionId == null || sessionId.isEmpty()) {
      throw new IllegalArgumentException("a session needs an id");
    }
    Objects.requireNonNull(keyringId, "keyringId");
    Objects.requireNonNull(label, "label");
  }
}
