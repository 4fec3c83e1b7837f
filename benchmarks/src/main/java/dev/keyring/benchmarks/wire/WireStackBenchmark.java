package dev.keyring.benchmarks.wire;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
 * The crypto channel's I/O stack against the alternatives: a mutual-TLS 1.3 echo over loopback (EC
 * P-256 certificates from a CA made in the setup, {@link WireCertificates}) of 100-byte request
 * frames answered by 72-byte answer frames ({@link EchoFrames}), one connection, the same client
 * for every row ({@link EchoClient}: a blocking {@code SSLSocket}, a writer and a reader thread)
 * and one server per {@code stack}:
 *
 * <ul>
 *   <li>{@code jdk-socket}: the member's stack as first built, an {@code SSLSocket} with a reader
 *       and a writer thread per connection ({@link JdkSocketEchoServer});
 *   <li>{@code jdk-socket-inline}: the member as it runs now, the same with its buffered plain
 *       socket and a lone answer written by the reader itself;
 *   <li>{@code jdk-sslengine-nio}: the JDK's {@code SSLEngine} over NIO with one selector thread
 *       ({@link NioEngineEchoServer});
 *   <li>{@code netty-jdk}: Netty 4.2 (NIO transport) with the JDK's TLS, which is also what Netty
 *       runs on a machine without its native library ({@link NettyEchoServer});
 *   <li>{@code netty-openssl}: Netty with BoringSSL from netty-tcnative-boringssl-static; the row
 *       fails in its setup when the native library cannot be loaded, never falling back.
 * </ul>
 *
 * <p>{@code inFlight}: requests the client keeps outstanding. Throughput is requests sent per
 * second, each sent only once fewer than {@code inFlight} are unanswered, so over an iteration it
 * is the answered requests per second. Every answer is checked (length, and its id: the servers
 * answer in order); the teardown waits for the last answers and fails the trial when the client or
 * the server met an error.
 *
 * <p>Client and server share the JVM and its CPUs: on two cores the client's own TLS and threads
 * take a share that is the same for every row, so the ratios between rows understate the difference
 * between the servers alone.
 *
 * <p>Run with {@code benchmarks/run.sh WireStackBenchmark}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Threads(1)
@State(Scope.Benchmark)
public class WireStackBenchmark {
  private static final Duration DRAIN = Duration.ofSeconds(10);

  /** The server's I/O stack. */
  @Param({
    EchoServer.JDK_SOCKET,
    EchoServer.JDK_SOCKET_INLINE,
    EchoServer.JDK_SSLENGINE_NIO,
    EchoServer.NETTY_JDK,
    EchoServer.NETTY_OPENSSL
  })
  public String stack;

  /** Requests the client keeps outstanding on its one connection. */
  @Param({"1", "16"})
  public int inFlight;

  private EchoServer server;
  private EchoClient client;

  /** Makes the certificates, starts the server, connects and checks one round trip. */
  @Setup(Level.Trial)
  public void start() throws Exception {
    WireCertificates certificates = WireCertificates.create();
    server = EchoServer.start(stack, certificates);
    client = new EchoClient(certificates.clientContext(), server.port(), inFlight);
    for (int i = 0; i < inFlight; i++) {
      client.send();
    }
    client.drain(DRAIN);
    checkServer();
  }

  private void checkServer() {
    Throwable t = server.failure();
    if (t != null) {
      throw new IllegalStateException(stack + ": the echo server failed", t);
    }
  }

  /** Sends one request (waiting for a place among the {@code inFlight}). */
  @Benchmark
  public void request() throws InterruptedException {
    client.send();
  }

  /** Waits for the last answers, checks both sides, and closes them. */
  @TearDown(Level.Trial)
  public void stop() throws Exception {
    try {
      if (client != null) {
        client.drain(DRAIN);
        checkServer();
        System.out.println(
            stack
                + ", "
                + inFlight
                + " in flight: "
                + client.answered()
                + " requests answered, each under its id");
      }
    } finally {
      if (client != null) {
        client.close();
      }
      if (server != null) {
        server.close();
      }
    }
  }
}
