package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.wire.WireJson;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ports of a crypto API started again: a port the system chose, taken by another socket while
 * the service was stopped, is replaced by a fresh one that the cluster view then lists; a
 * configured port that is taken fails the start with a message naming it, and leaves nothing of the
 * crypto API running.
 */
class RestartPortTest {
  @TempDir Path dir;

  /** A listening socket on {@code port} of the loopback address, as another process's would be. */
  private static ServerSocket take(int port) throws IOException {
    ServerSocket s = new ServerSocket();
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    return s;
  }

  @Test
  void portsLeftToTheSystem_takenWhileStopped_areReplaced_andTheClusterViewListsThem()
      throws Exception {
    try (CryptoTestMember m = CryptoTestMember.start(dir, b -> {})) {
      int crypto = m.member.cryptoPort();
      int channel = m.member.channelPort();
      m.member.stopCryptoApi();
      try (ServerSocket a = take(crypto);
          ServerSocket b = take(channel)) {
        m.member.startCryptoApi();
        assertNotEquals(crypto, m.member.cryptoPort());
        assertNotEquals(channel, m.member.channelPort());
        assertTrue(m.member.channelPort() > 0);

        // the channel serves on its new port, and the member's entry comes to list both new ports
        JsonNode member = null;
        for (int i = 0; i < 100; i++) {
          try (RawChannel c = RawChannel.open(m.clientTls, m.member.channelPort())) {
            c.send(ChannelCodec.json(1, null, false, "GET", "/v1/cluster", new byte[0]));
            ChannelAnswer view = c.read();
            assertTrue(view.ok(), String.valueOf(view.message));
            member = WireJson.mapper().readTree(view.body.rest()).path("members").get(0);
          }
          if (member.path("channelPort").asInt() == m.member.channelPort()
              && member.path("port").asInt() == m.member.cryptoPort()) {
            break;
          }
          Thread.sleep(100);
        }
        assertEquals(m.member.channelPort(), member.path("channelPort").asInt(), member.toString());
        assertEquals(m.member.cryptoPort(), member.path("port").asInt(), member.toString());
      }
    }
  }

  @Test
  void aConfiguredChannelPortTaken_failsTheStart_withItsPort_andNothingKeepsRunning()
      throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    try (CryptoTestMember m = CryptoTestMember.start(dir, b -> b.channelPort(port))) {
      assertEquals(port, m.member.channelPort());
      m.member.stopCryptoApi();
      try (ServerSocket taken = take(port)) {
        HsmException e = assertThrows(HsmException.class, m.member::startCryptoApi);
        assertEquals(ResultCode.CKR_FUNCTION_FAILED, e.code());
        assertTrue(e.getMessage().contains("crypto channel"), e.getMessage());
        assertTrue(e.getMessage().contains("port " + port), e.getMessage());
        assertTrue(e.getMessage().contains("in use"), e.getMessage());
        assertEquals(-1, m.member.cryptoPort(), "the crypto API is stopped again");
        assertEquals(-1, m.member.channelPort());
      }
      m.member.startCryptoApi(); // the port is free again: the start succeeds on it
      assertEquals(port, m.member.channelPort());
      try (RawChannel c = RawChannel.open(m.clientTls, port)) {
        String sid = c.loginKrco();
        c.send(m.signFrame(2, sid, "after".getBytes(StandardCharsets.UTF_8)));
        assertTrue(c.read().ok());
      }
    }
  }

  @Test
  void onlyAPortInUse_isRetried_otherFailuresGoThroughUnchanged() throws Exception {
    AtomicInteger tries = new AtomicInteger();
    assertEquals(
        "on 0",
        RestartPort.bind(
            "test endpoint",
            4711,
            0,
            p -> {
              tries.incrementAndGet();
              if (p != 0) {
                throw new IOException("Failed to bind", new BindException("in use"));
              }
              return "on " + p;
            }));
    assertEquals(2, tries.get());

    IllegalStateException other = new IllegalStateException("not a port");
    assertEquals(
        other,
        assertThrows(
            IllegalStateException.class,
            () ->
                RestartPort.bind(
                    "test endpoint",
                    4711,
                    0,
                    p -> {
                      throw other;
                    })));
    // never bound before: the configured port alone, no retry
    tries.set(0);
    HsmException e =
        assertThrows(
            HsmException.class,
            () ->
                RestartPort.bind(
                    "test endpoint",
                    -1,
                    4712,
                    p -> {
                      tries.incrementAndGet();
                      throw new BindException("in use");
                    }));
    assertEquals(1, tries.get());
    assertTrue(e.getMessage().contains("test endpoint cannot listen on port 4712"), e.getMessage());
  }
}
