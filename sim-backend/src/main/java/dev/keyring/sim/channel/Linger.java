package dev.keyring.sim.channel;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;

/**
 * The end of a connection the member refused (its frame of id 0 written): its side is shut for
 * writing, and what the client still sends is read and dropped until the client closes too, for at
 * most {@link #MAX_MILLIS} and {@link #MAX_BYTES}. A socket closed with bytes it has not read
 * resets the connection, and a reset makes the client's writes fail and can drop the refusal before
 * the client reads it: the client would learn that the connection broke, not why.
 */
final class Linger {
  /** The longest a refused connection is kept open for the client to read its refusal. */
  static final int MAX_MILLIS = 1_000;

  /** The most bytes read and dropped from a refused client. */
  static final long MAX_BYTES = 1 << 20;

  private Linger() {}

  /** Shuts {@code raw} for writing and drops what it receives until the end or a bound. */
  static void drain(Socket raw) {
    long deadline = System.nanoTime() + MAX_MILLIS * 1_000_000L;
    try {
      raw.shutdownOutput();
      InputStream in = raw.getInputStream();
      byte[] sink = new byte[8192];
      long dropped = 0;
      while (dropped < MAX_BYTES) {
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
          return;
        }
        raw.setSoTimeout((int) left);
        int n = in.read(sink);
        if (n < 0) {
          return; // the client closed its side
        }
        dropped += n;
      }
    } catch (IOException e) {
      // timed out, reset or closed: the connection is closed next either way
    }
  }
}
