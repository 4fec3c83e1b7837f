package dev.keyring.client.internal.transport;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes the request frames of one connection, the frames of several threads together where they
 * are ready together: a combining lock. A thread queues its frame and takes the write lock; the
 * holder of the lock writes every frame queued by then (up to {@link #BATCH_BYTES}) in one write,
 * so threads that queued while another was writing find their frames written when they get the
 * lock. A lone frame is written at once, alone and without a copy: nobody waits for company.
 *
 * <p>Frames are written in the order they were queued, each whole. When a write fails, every frame
 * of that write fails with its {@link IOException} (some of it may have reached the member), and
 * every frame still queued, or queued later, with {@link NotWrittenException} (none of it left).
 */
final class FrameWriter {
  /** The most bytes one write carries when it joins several frames. */
  static final int BATCH_BYTES = 64 << 10;

  /** The most frames one write carries. */
  static final int BATCH_FRAMES = ChannelWire.MAX_IN_FLIGHT + 16;

  private static final int QUEUED = 0;
  private static final int WRITTEN = 1;
  private static final int FAILED = 2;
  private static final int NOT_WRITTEN = 3;

  /** A frame to write, and what became of it (read by its owner under the write lock). */
  static class Outgoing<T> extends java.util.concurrent.CompletableFuture<T> {
    final byte[] frame;
    private int state = QUEUED;
    private IOException failure;

    Outgoing(byte[] frame) {
      this.frame = frame;
    }
  }

  /** A frame that was never written: the connection's writing had already failed. */
  static final class NotWrittenException extends IOException {
    private static final long serialVersionUID = 1L;

    NotWrittenException(String message) {
      super(message);
    }
  }

  /**
   * The system property that, set to {@code false}, makes every frame a write of its own (still in
   * queue order, under the same lock): a switch to measure what coalescing does, not a tuning knob.
   */
  static final String COALESCE_PROPERTY = "keyring.client.channel.coalesce";

  private final OutputStream out;
  private final int framesPerWrite;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final ArrayDeque<Outgoing<?>> queue = new ArrayDeque<>();
  private final Outgoing<?>[] batch = new Outgoing<?>[BATCH_FRAMES];
  private final byte[] buffer = new byte[BATCH_BYTES];
  private boolean broken; // guarded by queue
  private volatile long writes;

  FrameWriter(OutputStream out) {
    this(out, true);
  }

  /** With {@code coalesce} false, each frame is written alone. */
  FrameWriter(OutputStream out, boolean coalesce) {
    this.out = out;
    this.framesPerWrite = coalesce ? BATCH_FRAMES : 1;
  }

  /**
   * Whether frames are coalesced: {@code true} unless the system property {@value
   * #COALESCE_PROPERTY} says {@code false}.
   *
   * @throws IllegalArgumentException when the property is neither {@code true} nor {@code false}
   */
  static boolean coalescing() {
    return dev.keyring.protocol.SystemProperties.flag(COALESCE_PROPERTY, true);
  }

  /**
   * Writes {@code o}'s frame, alone or with others queued meanwhile.
   *
   * @throws NotWrittenException when writing had failed before the frame was written
   * @throws IOException when the write that carried the frame failed
   */
  void write(Outgoing<?> o) throws IOException {
    synchronized (queue) {
      if (broken) {
        throw new NotWrittenException("an earlier write on this connection failed");
      }
      queue.addLast(o);
    }
    writeLock.lock();
    try {
      while (o.state == QUEUED) {
        writeQueued();
      }
    } finally {
      writeLock.unlock();
    }
    if (o.state == FAILED) {
      throw o.failure;
    }
    if (o.state == NOT_WRITTEN) {
      throw new NotWrittenException("an earlier write on this connection failed");
    }
  }

  /** Socket writes made so far. */
  long writes() {
    return writes;
  }

  /** Frames queued and not yet taken by a write. */
  int queued() {
    synchronized (queue) {
      return queue.size();
    }
  }

  /** Takes the frames queued (in order, up to the batch's bounds) and writes them; under lock. */
  private void writeQueued() {
    int n = 0;
    int bytes = 0;
    synchronized (queue) {
      Outgoing<?> next;
      while (n < framesPerWrite && (next = queue.peekFirst()) != null) {
        if (n > 0 && bytes + next.frame.length > BATCH_BYTES) {
          break;
        }
        queue.pollFirst();
        batch[n++] = next;
        bytes += next.frame.length;
      }
    }
    try {
      if (n == 1) {
        out.write(batch[0].frame);
      } else {
        int at = 0;
        for (int i = 0; i < n; i++) {
          byte[] f = batch[i].frame;
          System.arraycopy(f, 0, buffer, at, f.length);
          at += f.length;
        }
        out.write(buffer, 0, at);
      }
      out.flush();
      writes++;
      for (int i = 0; i < n; i++) {
        batch[i].state = WRITTEN;
      }
    } catch (IOException | RuntimeException x) {
      IOException e = x instanceof IOException io ? io : new IOException(x.getMessage(), x);
      for (int i = 0; i < n; i++) {
        batch[i].failure = e;
        batch[i].state = FAILED;
      }
      synchronized (queue) {
        broken = true;
        Outgoing<?> left;
        while ((left = queue.pollFirst()) != null) {
          left.state = NOT_WRITTEN;
        }
      }
    } finally {
      java.util.Arrays.fill(batch, 0, n, null);
    }
  }
}
