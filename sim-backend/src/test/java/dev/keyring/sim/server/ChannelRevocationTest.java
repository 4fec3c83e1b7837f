package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelAnswer;
import dev.keyring.protocol.channel.ChannelCodec;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A client revoked while its channel connection is open is cut off, and cannot come back. */
class ChannelRevocationTest {
  @TempDir Path dir;

  @Test
  void revokedClient_isCutOff_andRefusedAtTheHandshake() throws Exception {
    try (CryptoTestMember m = CryptoTestMember.start(dir, b -> {})) {
      RawChannel c = RawChannel.open(m.clientTls, m.member.channelPort());
      c.send(ChannelCodec.openSession(1, null, CryptoTestMember.KEYRING));
      ChannelAnswer opened = c.read();
      assertTrue(opened.ok(), String.valueOf(opened.message));
      assertEquals(1, m.member.openSessions());

      m.revokeClient();

      // refused at once, unasked (id 0), saying why; then the connection is closed
      ChannelAnswer refusal = c.read();
      assertEquals(0, refusal.id, "a refusal of the whole connection");
      assertEquals(ResultCode.CKR_FUNCTION_REJECTED, refusal.code);
      assertTrue(refusal.message.contains("revoked"), refusal.message);
      assertTrue(c.readsToEnd());
      c.close();
      assertEquals(0, m.member.openSessions(), "the client's sessions are closed");
      assertThrows(
          IOException.class,
          () -> RawChannel.open(m.clientTls, m.member.channelPort()).read(),
          "a new connection is refused at the handshake");
    }
  }

  @Test
  void certificateRevokedUnderAnOpenConnection_isRefusedAtItsNextFrame() throws Exception {
    try (CryptoTestMember m = CryptoTestMember.start(dir, b -> {});
        RawChannel c = RawChannel.open(m.clientTls, m.member.channelPort())) {
      c.send(ChannelCodec.ping(1));
      assertEquals(1, c.read().id);
      // the revocation list alone, without the cut-off a revocation through the API also does:
      // the frame check finds it
      m.member.appliance().pki().revoke(new java.math.BigInteger(m.clientSerial, 16));
      c.send(ChannelCodec.ping(2));
      ChannelAnswer refusal = c.read();
      assertEquals(0, refusal.id, "a refusal of the whole connection");
      assertEquals(ResultCode.CKR_FUNCTION_REJECTED, refusal.code);
      assertTrue(refusal.message.contains("revoked"), refusal.message);
      assertTrue(c.readsToEnd(), "then the connection is closed");
    }
  }
}
