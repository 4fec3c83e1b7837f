package dev.keyring.benchmarks.wire;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import dev.keyring.protocol.channel.ChannelSocket;
import dev.keyring.protocol.channel.ChannelTls;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under the {@code keyring} rows of {@code ProviderSignBenchmark}: the same operation (a
 * P-256 signature of a 256-byte message hashed on the caller's side, or an AES-GCM encryption of 1
 * KiB) made by ACCP on a server thread of the same JVM, each calling thread on a loopback TCP
 * connection of its own, with nothing of the channel around it ({@link FloorServer}: no TLS, no
 * frame format, no session, no routing). Run in the same JMH run as {@code ProviderSignBenchmark}'s
 * {@code keyring} and {@code sunpkcs11-softhsm2} rows, it says how close any design that sends the
 * operation to another thread over a socket can come to a library signing in the caller's thread,
 * on the same cores:
 *
 * <pre>
 * benchmarks/run.sh '(ProviderSignBenchmark|TransportFloorBenchmark).t(1|2)$' \
 *   -p provider=keyring,sunpkcs11-softhsm2 -p op=P-256-ECDSA,AES-GCM-1KiB -f 1 -wi 3 -w 2 -i 3 -r 2
 * </pre>
 *
 * <p>{@code spinMicros}: how long each end spins for the other's bytes before it blocks in the read
 * (50, the channel's default on both ends, or 0). Every answer is read whole; the last one of each
 * iteration is checked (the signature verifies with the JDK, the ciphertext decrypts back).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
public class TransportFloorBenchmark {

  /** The server, its key, and the message every thread signs or encrypts. */
  @State(Scope.Benchmark)
  public static class Floor {
    @Param({FloorServer.P256, FloorServer.AES_GCM})
    public String op;

    @Param({"50", "0"})
    public int spinMicros;

    /** {@code none}: plain TCP; {@code jdk}: the channel's mutual TLS 1.3 (the JDK's). */
    @Param({"none", "jdk"})
    public String tls;

    /**
     * Who reads the answer: {@code caller}, the calling thread itself (spinning for the bytes
     * first); {@code thread}, a reader thread per connection, blocked in its read, that hands it to
     * the caller, which spins for it and then parks (as the channel's client does).
     */
    @Param({"caller", "thread"})
    public String reader;

    WireCertificates certificates;

    KeyPair pair;
    SecretKey aes;
    final byte[] message = new byte[1024];
    FloorServer server;
    final AtomicInteger threadIndexes = new AtomicInteger();

    @Setup(Level.Trial)
    public void start() throws Exception {
      Arrays.fill(message, (byte) 0x5a);
      SSLContext serverTls = null;
      if ("jdk".equals(tls)) {
        certificates = WireCertificates.create();
        serverTls = certificates.serverContext();
      } else if (!"none".equals(tls)) {
        throw new IllegalArgumentException("tls must be none or jdk, got " + tls);
      }
      if (!"caller".equals(reader) && !"thread".equals(reader)) {
        throw new IllegalArgumentException("reader must be caller or thread, got " + reader);
      }
      if (FloorServer.P256.equals(op)) {
        KeyPairGenerator g =
            KeyPairGenerator.getInstance("EC", AmazonCorrettoCryptoProvider.INSTANCE);
        g.initialize(new ECGenParameterSpec("secp256r1"));
        pair = g.generateKeyPair();
        server = new FloorServer(op, pair.getPrivate(), spinMicros, serverTls);
      } else {
        KeyGenerator g = KeyGenerator.getInstance("AES");
        g.init(256);
        aes = g.generateKey();
        server = new FloorServer(op, aes, spinMicros, serverTls);
      }
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
      Throwable failed = server.failure();
      server.close();
      if (failed != null) {
        throw new IllegalStateException("the floor server failed", failed);
      }
    }
  }

  /** One calling thread's connection. */
  @State(Scope.Thread)
  public static class Caller {
    private Floor floor;
    private Socket socket;
    private OutputStream out;
    private DataInputStream in;
    private InputStream rawIn;
    private MessageDigest sha256;
    private long spinNanos;
    private final byte[] request = new byte[4 + 12 + 1024];
    private final ByteBuffer iv = ByteBuffer.wrap(request, 4, 12);
    private long counter;
    private byte[] last;
    private int checked;
    private Thread caller;
    private Thread readerThread;
    private final AtomicReference<Object> handed = new AtomicReference<>();

    @Setup(Level.Trial)
    public void connect(Floor floor) throws Exception {
      this.floor = floor;
      ChannelSocket raw = new ChannelSocket();
      raw.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), floor.server.port()));
      raw.setTcpNoDelay(true);
      rawIn = raw.getInputStream();
      socket = raw;
      if (floor.certificates != null) {
        SSLSocket ssl =
            (SSLSocket)
                floor
                    .certificates
                    .clientContext()
                    .getSocketFactory()
                    .createSocket(raw, "localhost", raw.getPort(), true);
        ChannelTls.apply(ssl);
        ssl.startHandshake();
        socket = ssl;
      }
      out = socket.getOutputStream();
      in =
          new DataInputStream(
              socket == raw ? rawIn : new BufferedInputStream(socket.getInputStream(), 4096));
      sha256 = MessageDigest.getInstance("SHA-256");
      spinNanos = floor.spinMicros * 1_000L;
      iv.putInt(0, floor.threadIndexes.getAndIncrement());
      caller = Thread.currentThread();
      if ("thread".equals(floor.reader)) {
        readerThread = new Thread(this::readLoop, "floor-client-reader");
        readerThread.setDaemon(true);
        readerThread.start();
      }
    }

    private byte[] readAnswer() throws IOException {
      if (readerThread == null) { // the caller spins; a reader thread blocks, as the channel's
        FloorServer.awaitBytes(in, rawIn, spinNanos);
      }
      byte[] answer = new byte[in.readInt()];
      in.readFully(answer);
      return answer;
    }

    private void readLoop() {
      try {
        while (true) {
          handed.set(readAnswer());
          LockSupport.unpark(caller);
        }
      } catch (IOException | RuntimeException e) {
        handed.set(e);
        LockSupport.unpark(caller);
      }
    }

    /** The answer the reader thread hands over: spun for, then parked for. */
    private byte[] handedAnswer() throws IOException {
      long end = System.nanoTime() + spinNanos;
      Object a;
      while ((a = handed.getAndSet(null)) == null) {
        if (System.nanoTime() < end) {
          Thread.yield();
        } else {
          LockSupport.park(this);
        }
      }
      if (a instanceof byte[] answer) {
        return answer;
      }
      throw new IOException("the reader thread failed", (Throwable) a);
    }

    byte[] call() throws IOException, GeneralSecurityException {
      int length;
      if (floor.pair != null) {
        sha256.update(floor.message, 0, 256);
        sha256.digest(request, 4, 32);
        length = 32;
      } else {
        iv.putLong(4, ++counter);
        System.arraycopy(floor.message, 0, request, 16, 1024);
        length = 12 + 1024;
      }
      request[0] = (byte) (length >>> 24);
      request[1] = (byte) (length >>> 16);
      request[2] = (byte) (length >>> 8);
      request[3] = (byte) length;
      out.write(request, 0, 4 + length);
      out.flush();
      last = readerThread == null ? readAnswer() : handedAnswer();
      return last;
    }

    @TearDown(Level.Iteration)
    public void check() throws GeneralSecurityException {
      if (last == null) {
        return;
      }
      if (floor.pair != null) {
        Signature v = Signature.getInstance("SHA256withECDSA", "SunEC");
        v.initVerify(floor.pair.getPublic());
        v.update(floor.message, 0, 256);
        if (!v.verify(last)) {
          throw new IllegalStateException("the floor server's signature does not verify");
        }
      } else {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        c.init(
            Cipher.DECRYPT_MODE,
            floor.aes,
            new GCMParameterSpec(128, Arrays.copyOfRange(request, 4, 16)));
        if (!Arrays.equals(c.doFinal(last), floor.message)) {
          throw new IllegalStateException("the floor server's ciphertext does not decrypt back");
        }
      }
      checked++;
      last = null;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
      socket.close();
      if (checked == 0) {
        throw new IllegalStateException("no answer was checked");
      }
    }
  }

  @Benchmark
  @Threads(1)
  public byte[] t1(Caller c) throws Exception {
    return c.call();
  }

  @Benchmark
  @Threads(2)
  public byte[] t2(Caller c) throws Exception {
    return c.call();
  }

  @Benchmark
  @Threads(8)
  public byte[] t8(Caller c) throws Exception {
    return c.call();
  }
}
