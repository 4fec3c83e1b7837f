package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The client's combining writer: frames queued while another thread writes go out together in one
 * write, each whole; a lone frame is written at once without a copy; a batch stays within its
 * bound; a failed write fails every frame it carried with its own IOException (IO, sent) and the
 * frames queued behind it as never written (CONNECT, not sent).
 */
class FrameWriterTest {
  /** An output stream that records each write, can hold its first write and fail one. */
  private static final class RecordingStream extends OutputStream {
    final CountDownLatch firstWriteEntered = new CountDownLatch(1);
    final CountDownLatch releaseFirstWrite = new CountDownLatch(1);
    final List<byte[]> arrays = new CopyOnWriteArrayList<>();
    final List<Integer> lengths = new CopyOnWriteArrayList<>();
    final ByteArrayOutputStream all = new ByteArrayOutputStream();
    final boolean holdFirst;
    final int failingWrite; // 1-based; 0 never

    RecordingStream(boolean holdFirst, int failingWrite) {
      this.holdFirst = holdFirst;
      this.failingWrite = failingWrite;
    }

    @Override
    public void write(int b) {
      throw new UnsupportedOperationException("the writer writes arrays");
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      int n = lengths.size() + 1;
      if (n == 1 && holdFirst) {
        firstWriteEntered.countDown();
        try {
          releaseFirstWrite.await();
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
      arrays.add(b);
      lengths.add(len);
      if (n == failingWrite) {
        throw new IOException("Connection reset by peer");
      }
      synchronized (all) {
        all.write(b, off, len);
      }
    }
  }

  /** A frame as the codec makes it: a length, then {@code size} bytes all equal to {@code tag}. */
  private static byte[] frame(int tag, int size) {
    ByteBuffer b = ByteBuffer.allocate(4 + size);
    b.putInt(size);
    for (int i = 0; i < size; i++) {
      b.put((byte) tag);
    }
    return b.array();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 30 s: " + what);
      }
      Thread.sleep(5);
    }
  }

  /** Each thread writes one frame; what each write threw, by thread. */
  private static List<Thread> writers(
      FrameWriter w, List<byte[]> frames, IOException[] thrown, int from) {
    List<Thread> threads = new ArrayList<>();
    for (int i = from; i < frames.size(); i++) {
      int k = i;
      Thread t =
          new Thread(
              () -> {
                try {
                  w.write(new FrameWriter.Outgoing<Void>(frames.get(k)));
                } catch (IOException e) {
                  thrown[k] = e;
                }
              },
              "writer-" + k);
      threads.add(t);
      t.start();
    }
    return threads;
  }

  /**
   * Writes the first frame and holds its write, queues the other frames behind it (a thread each),
   * then lets the write go on; returns what each thread's write threw.
   */
  private static IOException[] writeBehindHeldWrite(
      FrameWriter w, RecordingStream out, List<byte[]> frames) throws InterruptedException {
    IOException[] thrown = new IOException[frames.size()];
    List<Thread> threads = writers(w, frames.subList(0, 1), thrown, 0);
    assertTrue(out.firstWriteEntered.await(30, TimeUnit.SECONDS));
    threads.addAll(writers(w, frames, thrown, 1));
    int behind = frames.size() - 1;
    await(() -> w.queued() == behind, behind + " frames queued behind the held write");
    out.releaseFirstWrite.countDown();
    for (Thread t : threads) {
      t.join();
    }
    return thrown;
  }

  @Test
  void loneFrame_isWrittenAtOnce_alone_withoutACopy() throws IOException {
    RecordingStream out = new RecordingStream(false, 0);
    FrameWriter w = new FrameWriter(out);
    byte[] f = frame(7, 300);
    w.write(new FrameWriter.Outgoing<Void>(f));
    assertEquals(1, w.writes());
    assertSame(f, out.arrays.get(0), "a lone frame is handed to the socket as it is");
    assertEquals(0, w.queued());
  }

  @Test
  void sixtyFourThreads_framesQueuedDuringAWrite_goOutTogether_eachWhole() throws Exception {
    RecordingStream out = new RecordingStream(true, 0);
    FrameWriter w = new FrameWriter(out);
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      frames.add(frame(i, 200 + i));
    }
    IOException[] thrown = writeBehindHeldWrite(w, out, frames);
    for (IOException e : thrown) {
      assertEquals(null, e);
    }
    assertEquals(2, w.writes(), "the held frame, then the 63 queued behind it in one write");
    assertTrue(w.writes() < frames.size());
    // every frame whole in the stream, once
    ByteBuffer in = ByteBuffer.wrap(out.all.toByteArray());
    Set<Integer> seen = new HashSet<>();
    while (in.hasRemaining()) {
      int size = in.getInt();
      int tag = in.get(in.position());
      for (int i = 0; i < size; i++) {
        assertEquals(tag, in.get(), "frame " + tag + " is whole");
      }
      assertEquals(200 + tag, size);
      assertTrue(seen.add(tag), "frame " + tag + " written once");
    }
    assertEquals(64, seen.size());
  }

  @Test
  void coalescingOff_framesQueuedDuringAWrite_goOutOneByOne_inOrder() throws Exception {
    RecordingStream out = new RecordingStream(true, 0);
    FrameWriter w = new FrameWriter(out, false);
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      frames.add(frame(i, 100));
    }
    IOException[] thrown = writeBehindHeldWrite(w, out, frames);
    for (IOException e : thrown) {
      assertEquals(null, e);
    }
    assertEquals(16, w.writes(), "a write per frame");
    for (int i = 0; i < 16; i++) {
      assertEquals(104, out.lengths.get(i), "write " + i + " carries one frame");
    }
    assertEquals(16 * 104, out.all.size());
  }

  @Test
  void coalescingSwitch_readsTrueOrFalse_andRefusesAnythingElse() {
    String before = System.getProperty(FrameWriter.COALESCE_PROPERTY);
    try {
      System.clearProperty(FrameWriter.COALESCE_PROPERTY);
      assertTrue(FrameWriter.coalescing());
      System.setProperty(FrameWriter.COALESCE_PROPERTY, "false");
      assertEquals(false, FrameWriter.coalescing());
      System.setProperty(FrameWriter.COALESCE_PROPERTY, "no");
      IllegalArgumentException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class, FrameWriter::coalescing);
      assertTrue(e.getMessage().contains("must be true or false, got 'no'"), e.getMessage());
    } finally {
      if (before == null) {
        System.clearProperty(FrameWriter.COALESCE_PROPERTY);
      } else {
        System.setProperty(FrameWriter.COALESCE_PROPERTY, before);
      }
    }
  }

  @Test
  void largeFrames_queuedTogether_areSplitAtTheBatchBound() throws Exception {
    RecordingStream out = new RecordingStream(true, 0);
    FrameWriter w = new FrameWriter(out);
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      frames.add(frame(i, 20_000));
    }
    IOException[] thrown = writeBehindHeldWrite(w, out, frames);
    // 8 frames of 20,004 bytes: 3 to a write within 64 KiB, so 3 writes after the first
    assertEquals(4, w.writes());
    for (int len : out.lengths) {
      assertTrue(len <= FrameWriter.BATCH_BYTES, "a write of " + len + " bytes");
    }
    assertEquals(9 * 20_004, out.all.size());
  }

  @Test
  void failedWrite_failsEveryFrameOfItsBatch_andThoseQueuedLater_areNotWritten() throws Exception {
    RecordingStream out = new RecordingStream(true, 2);
    FrameWriter w = new FrameWriter(out);
    List<byte[]> frames = new ArrayList<>();
    for (int i = 0; i < 33; i++) {
      frames.add(frame(i, 100));
    }
    IOException[] thrown = writeBehindHeldWrite(w, out, frames);
    assertEquals(null, thrown[0], "the first write went through");
    IOException batchFailure = thrown[1];
    for (int i = 1; i < 33; i++) {
      assertSame(batchFailure, thrown[i], "frame " + i + " failed with its batch's write");
      assertFalse(thrown[i] instanceof FrameWriter.NotWrittenException);
      TransportException t =
          ChannelWireFailures.writeFailure("member m1 channel :1", "sign", thrown[i]);
      assertEquals(Kind.IO, t.kind());
      assertTrue(t.requestSent(), "a frame whose write failed may have reached the member");
      assertTrue(t.transientFailure());
      assertTrue(t.getMessage().contains("Connection reset by peer"), t.getMessage());
    }
    // a frame after the failure is never written, and reported as not sent
    IOException later =
        assertThrows(
            IOException.class, () -> w.write(new FrameWriter.Outgoing<Void>(frame(99, 10))));
    assertInstanceOf(FrameWriter.NotWrittenException.class, later);
    TransportException t = ChannelWireFailures.writeFailure("member m1 channel :1", "sign", later);
    assertEquals(Kind.CONNECT, t.kind());
    assertFalse(t.requestSent());
    assertEquals(2, out.lengths.size(), "nothing written after the failed write");
  }
}
