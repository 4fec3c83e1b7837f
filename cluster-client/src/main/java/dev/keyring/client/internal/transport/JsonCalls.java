package dev.keyring.client.internal.transport;

import dev.keyring.client.api.TransportException;

/**
 * The REST crypto API's calls, one exchange each: over HTTP ({@link HttpTransport}) or as the JSON
 * opcode of the crypto channel ({@link ChannelMemberChannel}). {@link HttpMemberChannel} speaks
 * through it.
 */
interface JsonCalls {
  /** The member, for messages. */
  String name();

  <T> T get(Class<T> answer, String... path) throws TransportException;

  <T> T post(Object body, Class<T> answer, String... path) throws TransportException;

  /** {@code POST} that only the primary answers. */
  <T> T postToPrimary(Object body, Class<T> answer, String... path) throws TransportException;

  <T> T patch(Object body, Class<T> answer, String... path) throws TransportException;

  void delete(String... path) throws TransportException;
}
