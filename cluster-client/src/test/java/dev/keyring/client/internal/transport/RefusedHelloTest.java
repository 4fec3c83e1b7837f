package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportException.Kind;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.channel.ChannelCodec;
import dev.keyring.protocol.channel.ChannelFormatException;
import dev.keyring.protocol.channel.Opcode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the client makes of what a member sends in place of the hello's answer. */
class RefusedHelloTest {
  private static final ChannelFormatException NOT_A_HELLO =
      new ChannelFormatException("this is not a Keyring crypto channel");

  private static TransportException refused(byte[] bytes) {
    return ChannelWireFailures.refusedHello(
        new ByteArrayInputStream(bytes), "member m1", NOT_A_HELLO);
  }

  /**
   * Too many connections of this client (CKR_DEVICE_MEMORY), or a member that is stopping
   * (CKR_DEVICE_REMOVED): another member, or this one later, takes the call.
   */
  @ParameterizedTest
  @CsvSource({
    "CKR_DEVICE_MEMORY, this client already has 64 crypto channel connections open to this member",
    "CKR_DEVICE_REMOVED, the member is stopping: it takes no new crypto channel connection"
  })
  void aRefusalAnotherMemberWouldNotMake_isConnect_neverSent_andTransient(
      ResultCode code, String message) {
    TransportException e = refused(ChannelCodec.refused(0, Opcode.ERROR, code.value(), message));
    assertEquals(Kind.CONNECT, e.kind());
    assertFalse(e.requestSent());
    assertTrue(e.transientFailure(), "another member, or this one later, takes the call");
    assertTrue(e.getMessage().contains(code.name()), e.getMessage());
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void aVersionNotSpoken_isProtocol_withTheMembersMessage() {
    TransportException e =
        refused(
            ChannelCodec.refused(
                0,
                Opcode.ERROR,
                ResultCode.CKR_FUNCTION_NOT_SUPPORTED.value(),
                "crypto channel version 9 is not spoken by this member; it speaks version 1"));
    assertEquals(Kind.PROTOCOL, e.kind());
    assertFalse(e.requestSent());
    assertFalse(e.transientFailure());
    assertTrue(e.getMessage().contains("version 9 is not spoken"), e.getMessage());
  }

  @Test
  void somethingElseAltogether_isProtocol_notAKeyringMember() {
    TransportException e =
        refused("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    assertEquals(Kind.PROTOCOL, e.kind());
    assertTrue(e.getMessage().contains("not a Keyring member's channel port"), e.getMessage());
  }
}
