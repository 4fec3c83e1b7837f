package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.keyring.sim.boundary.PkiTestSupport.Member;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Interoperability with OpenSSL ({@code openssl} 3 on the PATH; skipped with a notice otherwise):
 * {@code openssl s_client} verifies the appliance certificate of the admin port with {@code
 * -verify_ip 127.0.0.1}, and, with a key and CSR made by {@code openssl req} and a certificate the
 * cluster CA issued from that CSR, completes mutual TLS with the crypto port.
 */
class TlsOpensslInteropTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  @TempDir Path dir;
  private Member member;
  private MemberPki pki;

  @BeforeEach
  void setUp() {
    boolean present = opensslPresent();
    if (!present && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("openssl is required in CI for the OpenSSL interop tests");
    }
    if (!present) {
      System.err.println(
          "WARNING: openssl is not on the PATH: the OpenSSL interop tests did NOT run");
    }
    assumeTrue(present, "openssl is not on the PATH: OpenSSL interop not tested");
    member = Member.create(dir.resolve("member"));
    pki = member.pki();
  }

  @AfterEach
  void tearDown() {
    if (member != null) {
      member.close();
    }
  }

  @ParameterizedTest
  @CsvSource({"-tls1_3", "-tls1_2"})
  void opensslClient_verifiesTheApplianceCertificateOfTheAdminPort(String version)
      throws Exception {
    Path caFile = dir.resolve("appliance.pem");
    Files.writeString(caFile, pem(pki.applianceCertificate("1234567")));
    Result r =
        serveOnce(
            pki.adminServerContext("1234567"),
            false,
            port ->
                List.of(
                    "openssl",
                    "s_client",
                    "-connect",
                    "127.0.0.1:" + port,
                    version,
                    "-CAfile",
                    caFile.toString(),
                    "-verify_return_error",
                    "-verify_ip",
                    "127.0.0.1",
                    "-brief"));
    assertEquals("ping", r.received, r::toString);
    assertTrue(r.opensslOutput.contains("Verification: OK"), r::toString);
  }

  @ParameterizedTest
  @CsvSource({
    "-tls1_3, ec, ec_paramgen_curve:P-256",
    "-tls1_2, ec, ec_paramgen_curve:P-384",
    "-tls1_3, rsa, rsa_keygen_bits:2048",
    "-tls1_2, rsa, rsa_keygen_bits:3072"
  })
  void opensslClient_withACertificateIssuedFromItsOwnCsr_completesMutualTls(
      String version, String alg, String keyOpt) throws Exception {
    X509Certificate ca = pki.createClusterCa(member.clusterId, "interop");
    Path key = dir.resolve("client.key");
    Path csr = dir.resolve("client.csr");
    run(
        List.of(
            "openssl",
            "req",
            "-new",
            "-newkey",
            alg,
            "-pkeyopt",
            keyOpt,
            "-nodes",
            "-keyout",
            key.toString(),
            "-subj",
            "/CN=ossl-client",
            "-outform",
            "DER",
            "-out",
            csr.toString()));
    X509Certificate cert =
        pki.issueClientCertificate(Files.readAllBytes(csr), "ossl-client", Duration.ofHours(1));
    Path certFile = dir.resolve("client.pem");
    Files.writeString(certFile, pem(cert));
    Path caFile = dir.resolve("ca.pem");
    Files.writeString(caFile, pem(ca));
    Result r =
        serveOnce(
            pki.cryptoServerContext("member-1"),
            true,
            port ->
                List.of(
                    "openssl",
                    "s_client",
                    "-connect",
                    "127.0.0.1:" + port,
                    version,
                    "-CAfile",
                    caFile.toString(),
                    "-cert",
                    certFile.toString(),
                    "-key",
                    key.toString(),
                    "-verify_return_error",
                    "-verify_ip",
                    "127.0.0.1",
                    "-brief"));
    assertEquals("ping", r.received, r::toString);
    assertEquals(cert, r.peer, r::toString);
    assertTrue(r.opensslOutput.contains("Verification: OK"), r::toString);
  }

  // ---------------------------------------------------------------- helpers

  private record Result(String received, X509Certificate peer, String opensslOutput) {}

  private interface Command {
    List<String> forPort(int port);
  }

  /** Accepts one connection, reads one line, while {@code openssl} connects and sends "ping". */
  private static Result serveOnce(SSLContext ctx, boolean needClientAuth, Command command)
      throws Exception {
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try (SSLServerSocket ss =
        (SSLServerSocket)
            ctx.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      ss.setNeedClientAuth(needClientAuth);
      ss.setSoTimeout((int) TIMEOUT.toMillis());
      Future<Object[]> server =
          executor.submit(
              () -> {
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                  s.setSoTimeout((int) TIMEOUT.toMillis());
                  s.startHandshake();
                  InputStream in = s.getInputStream();
                  StringBuilder line = new StringBuilder();
                  for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
                    line.append((char) c);
                  }
                  X509Certificate peer =
                      needClientAuth
                          ? (X509Certificate) s.getSession().getPeerCertificates()[0]
                          : null;
                  return new Object[] {line.toString(), peer};
                }
              });
      Process p =
          new ProcessBuilder(new ArrayList<>(command.forPort(ss.getLocalPort())))
              .redirectErrorStream(true)
              .start();
      try {
        OutputStream stdin = p.getOutputStream();
        Object[] got;
        try {
          stdin.write("ping\n".getBytes(StandardCharsets.US_ASCII));
          stdin.flush();
          // s_client sends stdin after the handshake and quits at its end: close it only when
          // the server has the line (or gave up)
          got = server.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          p.destroyForcibly();
          throw new AssertionError(
              "the server failed; openssl said: "
                  + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
              e.getCause());
        } finally {
          try {
            stdin.close();
          } catch (IOException gone) {
            // the process already exited
          }
        }
        if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new AssertionError("openssl s_client did not finish in " + TIMEOUT);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result((String) got[0], (X509Certificate) got[1], out);
      } finally {
        p.destroyForcibly();
      }
    } finally {
      executor.shutdownNow();
      executor.awaitTermination(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Runs a command with bounded time; returns stdout and stderr. */
  private static String run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
    try {
      p.getOutputStream().close();
      if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(command.get(1) + " did not finish in " + TIMEOUT);
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), () -> String.join(" ", command) + ": " + out);
      return out;
    } finally {
      p.destroyForcibly();
    }
  }

  private static boolean opensslPresent() {
    try {
      Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
      boolean done = p.waitFor(10, TimeUnit.SECONDS);
      p.destroyForcibly();
      return done && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String pem(X509Certificate c) throws Exception {
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(c.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }
}
