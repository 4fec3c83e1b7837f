package dev.keyring.sim.channel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFrames;
import dev.keyring.protocol.channel.ChannelRequest;
import dev.keyring.protocol.channel.Opcode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** Which requests a connection's reader may serve itself: quick mechanisms with little data. */
class ChannelServerQuickTest {
  private static ChannelRequest request(Opcode op, Mechanism m, int dataBytes) throws IOException {
    byte[] frame =
        ChannelCodec.crypto(
            7, op, null, "0".repeat(32), 5, m, MechanismParams.NONE, new byte[dataBytes], null);
    InputStream in = new ByteArrayInputStream(frame);
    int length = ChannelFrames.readLength(in, ChannelFrames.DEFAULT_MAX_FRAME_BYTES);
    return ChannelCodec.readRequest(ChannelFrames.readFrame(in, length));
  }

  @Test
  void ellipticCurveEdDsaAesAndHmac_areQuick_uptoSixteenKiB() throws IOException {
    for (Mechanism m :
        new Mechanism[] {
          Mechanism.CKM_ECDSA_SHA256,
          Mechanism.CKM_ECDSA,
          Mechanism.CKM_EDDSA,
          Mechanism.CKM_AES_GCM,
          Mechanism.CKM_AES_CBC_PAD,
          Mechanism.CKM_SHA256_HMAC
        }) {
      assertTrue(ChannelServer.quick(request(Opcode.SIGN, m, 256)), m.name());
      assertTrue(ChannelServer.quick(request(Opcode.ENCRYPT, m, 16 << 10)), m.name());
      assertFalse(ChannelServer.quick(request(Opcode.ENCRYPT, m, (16 << 10) + 1)), m.name());
    }
  }

  @Test
  void rsa_isNotQuick_itsPrivateKeyOperationsTakeHundredsOfMicroseconds() throws IOException {
    for (Mechanism m :
        new Mechanism[] {
          Mechanism.CKM_SHA256_RSA_PKCS,
          Mechanism.CKM_SHA256_RSA_PKCS_PSS,
          Mechanism.CKM_RSA_PKCS,
          Mechanism.CKM_RSA_PKCS_OAEP
        }) {
      assertFalse(ChannelServer.quick(request(Opcode.SIGN, m, 32)), m.name());
      assertTrue(ChannelServer.small(request(Opcode.SIGN, m, 32)), m.name());
      assertFalse(ChannelServer.small(request(Opcode.ENCRYPT, m, (16 << 10) + 1)), m.name());
    }
  }
}
