package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelRequest;
import dev.keyring.protocol.channel.Frame;
import dev.keyring.protocol.channel.Opcode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which channel requests only read, so that an answer too large for the member's memory budget may
 * be dropped for a refusal: never a write, a login or a part of a multi-part operation.
 */
class ChannelCallsReadsTest {
  @ParameterizedTest(name = "{0} {1}: {2}")
  @CsvSource({
    "GET, /v1/slots, true",
    "GET, /v1/sessions/s1/objects/12, true",
    "GET, /v1/sessions/s1/cloning/objects, true",
    "POST, /v1/sessions/s1/objects/find, true",
    "POST, /v1/sessions/s1/random, true",
    "POST, /v1/sessions/s1/objects, false",
    "PATCH, /v1/sessions/s1/objects/12, false",
    "DELETE, /v1/sessions/s1/objects/12, false",
    "POST, /v1/sessions/s1/keypairs, false",
    "POST, /v1/sessions/s1/keys, false",
    "POST, /v1/sessions/s1/unwrap, false",
    "POST, /v1/sessions/s1/login, false",
    "POST, /v1/sessions/s1/operations, false",
    "POST, /v1/sessions/s1/operations/op1, false",
    "POST, /v1/sessions/s1/cloning/in, false",
    "POST, /v1/sessions/s1/objects/random, false",
    "POST, /v1/sessions/s1/objects/12/find, false",
    "POST, /v2/sessions/s1/random, false",
    "DELETE, /v1/sessions/s1, false",
  })
  void aJsonRequest_readsOnlyWhenItChangesNothing(String method, String path, boolean reads)
      throws Exception {
    byte[] frame = ChannelCodec.json(1, null, false, method, path, new byte[0]);
    assertEquals(reads, ChannelCalls.reads(ChannelCodec.readRequest(Frame.parse(frame))));
  }

  @Test
  void theHotOperations_read_sessionsAndLoginsDoNot() throws Exception {
    assertEquals(true, reads(ChannelCodec.ping(1)));
    for (Opcode op : new Opcode[] {Opcode.SIGN, Opcode.VERIFY, Opcode.ENCRYPT, Opcode.DECRYPT}) {
      byte[] frame =
          ChannelCodec.crypto(
              2,
              op,
              null,
              "s1",
              7L,
              Mechanism.CKM_ECDSA_SHA256,
              MechanismParams.NONE,
              new byte[32],
              op == Opcode.VERIFY ? new byte[64] : null);
      assertEquals(true, reads(frame), op.name());
    }
    assertEquals(false, reads(ChannelCodec.openSession(3, null, "kr1")));
    assertEquals(false, reads(ChannelCodec.login(5, null, "s1", Role.KRCO, "pw")));
    assertEquals(false, reads(ChannelCodec.closeSession(4, "s1")));
  }

  private static boolean reads(byte[] frame) throws Exception {
    ChannelRequest r = ChannelCodec.readRequest(Frame.parse(frame));
    return ChannelCalls.reads(r);
  }
}
