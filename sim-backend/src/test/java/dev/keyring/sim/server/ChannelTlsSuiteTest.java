package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyring.protocol.channel.ChannelTls;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The member's crypto channel chooses AES-128-GCM records by its own order ({@link ChannelTls}),
 * whatever order the client offers, and still accepts a client that offers only AES-256.
 */
class ChannelTlsSuiteTest {
  private static final String AES_256 = "TLS_AES_256_GCM_SHA384";

  @TempDir static Path dir;
  private static CryptoTestMember m;

  @BeforeAll
  static void start() throws Exception {
    m = CryptoTestMember.start(dir, b -> {});
  }

  @AfterAll
  static void stop() {
    if (m != null) {
      m.close();
    }
  }

  private static String negotiated(String... offered) throws Exception {
    try (SSLSocket s = (SSLSocket) m.clientTls.getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress("127.0.0.1", m.member.channelPort()), 10_000);
      s.setSoTimeout(60_000); // a safety net against a hung test only
      s.setEnabledProtocols(new String[] {"TLSv1.3"});
      s.setEnabledCipherSuites(offered);
      s.startHandshake();
      return s.getSession().getCipherSuite();
    }
  }

  @Test
  void aClientOfferingAes256First_getsAes128() throws Exception {
    assertEquals(ChannelTls.PREFERRED_SUITE, negotiated(AES_256, ChannelTls.PREFERRED_SUITE));
  }

  @Test
  void aClientOfferingOnlyAes256_isStillServed() throws Exception {
    assertEquals(AES_256, negotiated(AES_256));
  }
}
