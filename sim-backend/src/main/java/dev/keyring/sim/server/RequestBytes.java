package dev.keyring.sim.server;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Collections;
import java.util.List;

/**
 * A request body as it arrived, in the pieces it came in: it is parsed straight from them (no copy
 * of the whole), and joined into one array only when a caller asks for {@link #bytes()}.
 */
final class RequestBytes {
  static final RequestBytes EMPTY = new RequestBytes(List.of(), 0);

  private final List<byte[]> parts;
  private final int length;

  RequestBytes(List<byte[]> parts, int length) {
    this.parts = List.copyOf(parts);
    this.length = length;
  }

  int length() {
    return length;
  }

  /** The body to read once, piece by piece. */
  InputStream stream() {
    if (parts.size() == 1) {
      return new ByteArrayInputStream(parts.get(0));
    }
    return new SequenceInputStream(
        Collections.enumeration(parts.stream().map(ByteArrayInputStream::new).toList()));
  }

  /** The body in one array. */
  byte[] bytes() {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    byte[] all = new byte[length];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }
}
