package dev.keyring.e2e.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.provider.KeyringProvider;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import javax.crypto.SecretKey;

/**
 * One Wycheproof test case on the {@link WycheproofKeyring}: its inputs, and the keys its
 * operations made on the keyring (destroyed by {@link #destroyMade()} when the case is done).
 */
final class WycheproofCase {
  private static final HexFormat HEX = HexFormat.of();

  final JsonNode group;
  final JsonNode test;
  final WycheproofKeyring keyring;
  private final Deque<SecretKey> made = new ArrayDeque<>();

  WycheproofCase(WycheproofKeyring keyring, JsonNode group, JsonNode test) {
    this.keyring = keyring;
    this.group = group;
    this.test = test;
  }

  KeyringProvider provider() {
    return keyring.provider();
  }

  /** A hex field of the test. */
  byte[] hex(String field) {
    return HEX.parseHex(test.path(field).asText());
  }

  /** A hex field of the test group. */
  byte[] groupHex(String field) {
    return HEX.parseHex(group.path(field).asText());
  }

  /** A text field of the test group. */
  String groupText(String field) {
    return group.path(field).asText();
  }

  /** Remembers a key an operation made on the keyring, to destroy it when the case is done. */
  <K extends SecretKey> K made(K key) {
    made.push(key);
    return key;
  }

  void expect(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError(what);
    }
  }

  void expectEqual(String what, byte[] expected, byte[] actual) {
    if (!Arrays.equals(expected, actual)) {
      throw new AssertionError(
          what
              + " differs: expected "
              + HEX.formatHex(expected)
              + ", got "
              + (actual == null ? "null" : HEX.formatHex(actual)));
    }
  }

  /** Destroys the keys the case made; returns the first failure, or null. */
  Exception destroyMade() {
    Exception first = null;
    while (!made.isEmpty()) {
      SecretKey k = made.pop();
      try {
        keyring.destroy(k);
      } catch (Exception e) {
        if (first == null) {
          first = e;
        }
      }
    }
    return first;
  }
}
