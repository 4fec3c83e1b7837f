package dev.keyring.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streamed snapshot ({@link SnapshotStream}) between two H2 file stores: a state of thousands
 * of objects crosses a pipe far smaller than it, a chunk at a time, and installs as the same state;
 * a stream cut off, broken or with a wrong trailer changes nothing on the store that reads it.
 */
class SnapshotStreamTest {
  private static final int KEYRINGS = 24;
  private static final int OBJECTS_PER_KEYRING = 250; // a keyring holds 256 at most
  private static final int OBJECTS = 20 * OBJECTS_PER_KEYRING;
  private static final int CHUNK = 64;
  private static final int PIPE = 8 * 1024;

  @TempDir Path dir;
  private final List<KeyringStore> open = new ArrayList<>();

  @AfterEach
  void close() {
    open.forEach(KeyringStore::close);
  }

  private KeyringStore store(String name) {
    KeyringStore s = KeyringStore.open(StoreConfig.h2File(dir.resolve(name)));
    open.add(s);
    return s;
  }

  /** A primary's store: 24 keyrings, 5,000 objects in 20 of them, a cluster value, all logged. */
  private KeyringStore bigState() {
    KeyringStore s = store("primary");
    UUID cluster = KeyringStoreContract.createCluster(s);
    List<KeyringRecord> keyrings = new ArrayList<>();
    for (int i = 0; i < KEYRINGS; i++) {
      keyrings.add(KeyringStoreContract.newKeyring(cluster, "k" + i));
    }
    s.writeAsPrimary(1, tx -> tx.createKeyrings(cluster, keyrings));
    s.writeAsPrimary(
        1,
        tx -> {
          tx.putClusterValue("membership", "three members".getBytes(StandardCharsets.UTF_8));
          return null;
        });
    for (int k = 0; k < 20; k++) {
      UUID keyring = keyrings.get(k).id();
      int at = k;
      s.writeAsPrimary(
          1,
          tx -> {
            for (int i = 0; i < OBJECTS_PER_KEYRING; i++) {
              tx.insertObject(
                  keyring,
                  UUID.randomUUID(),
                  ObjectClass.SECRET_KEY,
                  KeyringStoreContract.attributes("o-" + at + "-" + i),
                  new byte[] {(byte) i, (byte) at});
            }
            return null;
          });
    }
    return s;
  }

  /** A follower's store with a state of its own, older and different. */
  private KeyringStore olderState(String name) {
    KeyringStore s = store(name);
    UUID cluster = KeyringStoreContract.createCluster(s);
    s.writeAsPrimary(
        1,
        tx -> tx.createKeyrings(cluster, List.of(KeyringStoreContract.newKeyring(cluster, "old"))));
    return s;
  }

  private static byte[] streamed(KeyringStore s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    s.writeSnapshot(out, CHUNK);
    return out.toByteArray();
  }

  @Test
  void thousandsOfObjects_crossAPipeFarSmallerThanTheState_andInstallAsTheSameState()
      throws Exception {
    KeyringStore primary = bigState();
    KeyringStore follower = olderState("follower");
    PipedInputStream in = new PipedInputStream(PIPE);
    PipedOutputStream pipe = new PipedOutputStream(in);
    FlushCounter out = new FlushCounter(pipe);
    CompletableFuture<LogPosition> written =
        CompletableFuture.supplyAsync(
            () -> {
              try (out) {
                return primary.writeSnapshot(out, CHUNK);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });

    SnapshotStream.Installed installed = follower.installSnapshot(in, CHUNK);

    assertEquals(primary.position(), written.get(60, TimeUnit.SECONDS));
    assertEquals(new SnapshotStream.Installed(primary.position(), KEYRINGS, OBJECTS, 1), installed);
    assertEquals(primary.stateDigest(), follower.stateDigest());
    assertEquals(primary.position(), follower.position());
    assertEquals(primary.keyrings(), follower.keyrings());
    assertEquals(primary.position(), follower.logBase());
    // the state never fit in the pipe: both ends worked on it a part at a time
    assertTrue(out.bytes > 100L * PIPE, "streamed " + out.bytes + " bytes");
    assertTrue(out.flushes >= OBJECTS / CHUNK, "the writer flushed " + out.flushes + " times");
  }

  @Test
  void aStreamCutOffHalfWay_leavesThePreviousState_andTheNextTryInstalls() {
    KeyringStore primary = bigState();
    KeyringStore follower = olderState("follower");
    String before = follower.stateDigest();
    LogPosition at = follower.position();
    byte[] whole = streamed(primary);

    HsmException cut =
        assertThrows(
            HsmException.class,
            () ->
                follower.installSnapshot(
                    new ByteArrayInputStream(Arrays.copyOf(whole, whole.length / 2)), CHUNK));
    assertEquals(ResultCode.CKR_ARGUMENTS_BAD, cut.code());
    assertEquals(before, follower.stateDigest());
    assertEquals(at, follower.position());

    UncheckedIOException broken =
        assertThrows(
            UncheckedIOException.class,
            () -> follower.installSnapshot(new BreaksAfter(whole, whole.length * 2 / 3), CHUNK));
    assertTrue(broken.getMessage().contains("broke"), broken.getMessage());
    assertEquals(before, follower.stateDigest());
    assertEquals(at, follower.position());

    follower.installSnapshot(new ByteArrayInputStream(whole), CHUNK);
    assertEquals(primary.stateDigest(), follower.stateDigest());
    assertEquals(primary.position(), follower.position());
  }

  @Test
  void aTrailerThatDoesNotMatchTheRows_orALineAfterIt_isRefused_andChangesNothing() {
    KeyringStore primary = olderState("primary");
    KeyringStore follower = olderState("follower");
    String before = follower.stateDigest();
    String text = new String(streamed(primary), StandardCharsets.UTF_8);
    assertTrue(text.contains("\"keyrings\":1,"), text);

    String wrongCount = text.replace("\"end\":{\"keyrings\":1,", "\"end\":{\"keyrings\":2,");
    HsmException e =
        assertThrows(
            HsmException.class,
            () ->
                follower.installSnapshot(
                    new ByteArrayInputStream(wrongCount.getBytes(StandardCharsets.UTF_8)), CHUNK));
    assertTrue(e.getMessage().contains("trailer"), e.getMessage());
    assertEquals(before, follower.stateDigest());

    String extra = text + "{\"v\":1,\"keyring\":{}}\n";
    HsmException after =
        assertThrows(
            HsmException.class,
            () ->
                follower.installSnapshot(
                    new ByteArrayInputStream(extra.getBytes(StandardCharsets.UTF_8)), CHUNK));
    assertEquals(ResultCode.CKR_ARGUMENTS_BAD, after.code());
    assertEquals(before, follower.stateDigest());
    assertThrows(
        IllegalArgumentException.class,
        () -> follower.installSnapshot(InputStream.nullInputStream(), 0));
  }

  /** Counts what passes through, and the flushes. */
  private static final class FlushCounter extends java.io.FilterOutputStream {
    long bytes;
    int flushes;

    FlushCounter(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      bytes += len;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      bytes++;
    }

    @Override
    public void flush() throws IOException {
      flushes++;
      super.flush();
    }
  }

  /** The bytes of a stream whose connection breaks after {@code limit} of them. */
  private static final class BreaksAfter extends FilterInputStream {
    private final int limit;
    private int read;

    BreaksAfter(byte[] bytes, int limit) {
      super(new ByteArrayInputStream(bytes));
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      if (read >= limit) {
        throw new IOException("connection reset");
      }
      read++;
      return super.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (read >= limit) {
        throw new IOException("connection reset");
      }
      int n = super.read(b, off, Math.min(len, limit - read));
      if (n > 0) {
        read += n;
      }
      return n;
    }
  }
}
