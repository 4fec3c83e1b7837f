package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One client holds at most {@code maxConnectionsPerClient} connections of the crypto API: a request
 * on one more is answered 409 with CKR_DEVICE_MEMORY and that connection closed (HTTP/1.1 and
 * HTTP/2), while its other connections and other clients are served, and a connection it closes
 * makes room for a new one.
 */
class CryptoApiPerClientLimitTest {
  private static final int LIMIT = 3;

  @TempDir static Path dir;
  private static CryptoTestMember m;

  @BeforeAll
  static void start() throws Exception {
    m = CryptoTestMember.start(dir, b -> b.maxConnectionsPerClient(LIMIT));
  }

  @AfterAll
  static void stop() {
    if (m != null) {
      m.close();
    }
  }

  @Test
  void aConnectionBeyondTheClientsLimit_isRefusedAndClosed_theRestAreServed() throws Exception {
    List<SSLSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < LIMIT; i++) {
        SSLSocket s = open(m.clientTls);
        held.add(s);
        assertEquals(200, get(s).status, "connection " + (i + 1) + " of " + LIMIT);
      }
      try (SSLSocket over = open(m.clientTls)) {
        Reply refused = get(over);
        assertEquals(409, refused.status, refused.body);
        assertTrue(refused.body.contains("CKR_DEVICE_MEMORY"), refused.body);
        assertTrue(refused.body.contains("maxConnectionsPerClient"), refused.body);
        assertEquals("close", refused.headers.get("connection"));
        assertEquals(-1, over.getInputStream().read(), "the member closed the connection");
      }
      // the client's other connections go on; another client is not counted with it
      assertEquals(200, get(held.get(0)).status);
      SSLContext other = m.registerClient("limit-other");
      try (SSLSocket s = open(other)) {
        assertEquals(200, get(s).status, "another client");
      }
      // HTTP/2: one more connection of the same client, refused, and closed by the member
      HttpClient h2 = m.crypto(HttpClient.Version.HTTP_2);
      CryptoTestMember.Answer overH2 = m.send(h2, "GET", "/slots", null);
      assertEquals(409, overH2.status(), overH2.body());
      assertEquals("CKR_DEVICE_MEMORY", overH2.code());
      // a connection closed makes room for a new one
      held.remove(0).close();
      int status = 0;
      for (int i = 0; i < 100 && status != 200; i++) {
        try (SSLSocket s = open(m.clientTls)) {
          status = get(s).status;
        }
        if (status != 200) {
          Thread.sleep(50); // the member sees the close a little later
        }
      }
      assertEquals(200, status, "a connection in place of the one closed");
    } finally {
      for (SSLSocket s : held) {
        s.close();
      }
    }
  }

  private static SSLSocket open(SSLContext tls) throws IOException {
    SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", m.cryptoPort());
    s.setSoTimeout(30_000);
    s.setEnabledProtocols(new String[] {"TLSv1.3"});
    s.startHandshake();
    return s;
  }

  private record Reply(int status, Map<String, String> headers, String body) {}

  /** {@code GET /v1/slots} over HTTP/1.1 on {@code s}, and its answer. */
  private static Reply get(SSLSocket s) throws IOException {
    s.getOutputStream()
        .write(
            "GET /v1/slots HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.UTF_8));
    s.getOutputStream().flush();
    InputStream in = s.getInputStream();
    String statusLine = line(in);
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      int colon = h.indexOf(':');
      headers.put(
          h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(length);
    assertEquals(length, body.length, "a whole answer");
    return new Reply(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("the connection closed in an answer's head");
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.UTF_8);
  }
}
