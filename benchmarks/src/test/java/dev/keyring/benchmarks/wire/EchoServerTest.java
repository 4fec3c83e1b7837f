package dev.keyring.benchmarks.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every server of the wire benchmark answers every request in order over real mutual TLS on
 * loopback, with the benchmark's own client; {@code netty-openssl} needs netty-tcnative's BoringSSL
 * to load here (it fails, never falls back).
 */
class EchoServerTest {
  private static final char[] PASSWORD = "test".toCharArray();
  private static WireCertificates certificates;

  @BeforeAll
  static void pki() throws Exception {
    certificates = WireCertificates.create();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        EchoServer.JDK_SOCKET,
        EchoServer.JDK_SOCKET_INLINE,
        EchoServer.JDK_SSLENGINE_NIO,
        EchoServer.NETTY_JDK,
        EchoServer.NETTY_OPENSSL
      })
  void everyStack_answersTwoThousandRequestsInOrder_at16InFlight(String stack) throws Exception {
    try (EchoServer server = EchoServer.start(stack, certificates)) {
      EchoClient client = new EchoClient(certificates.clientContext(), server.port(), 16);
      try {
        for (int i = 0; i < 2_000; i++) {
          client.send();
        }
        client.drain(Duration.ofSeconds(30));
        assertEquals(2_000, client.answered());
        assertNull(server.failure(), stack + " server failure");
      } finally {
        client.close();
      }
    }
  }

  @Test
  void aClientCertificateFromAnotherCa_isRefusedByTheServer() throws Exception {
    WireCertificates other = WireCertificates.create();
    // the client trusts the server's CA, but its own certificate comes from another CA
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("key", other.clientKey, PASSWORD, new Certificate[] {other.client, other.ca});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
    kmf.init(keys, PASSWORD);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", certificates.ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(trust);
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    try (EchoServer server = EchoServer.start(EchoServer.JDK_SOCKET, certificates)) {
      // TLS 1.3: the client may finish its side of the handshake before the server's refusal
      // arrives, so the refusal shows either in the handshake or in place of the first answer
      assertThrows(
          Exception.class,
          () -> {
            EchoClient client = new EchoClient(context, server.port(), 1);
            try {
              client.send();
              client.drain(Duration.ofSeconds(10));
            } finally {
              client.close();
            }
          });
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (server.failure() == null && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertInstanceOf(SSLException.class, server.failure());
    }
  }

  @Test
  void unknownStack_isRefusedWithTheKnownNames() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> EchoServer.start("epoll", certificates));
    assertEquals(
        "unknown stack epoll; known: jdk-socket, jdk-socket-inline, jdk-sslengine-nio, netty-jdk, netty-openssl",
        e.getMessage());
  }
}
