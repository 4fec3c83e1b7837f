package dev.keyring.protocol.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.Digest;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.Mechanism;
import dev.keyring.protocol.MechanismParams;
import dev.keyring.protocol.ResultCode;
import dev.keyring.protocol.Role;
import dev.keyring.protocol.wire.ClusterPosition;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ChannelCodecTest {
  private static final ClusterPosition POS =
      new ClusterPosition(UUID.fromString("1b4e28ba-2fa1-11d2-883f-0016d3cca427"), 3, 42);

  private static ChannelRequest request(byte[] frame) throws IOException {
    ByteArrayInputStream in = new ByteArrayInputStream(frame);
    int length = ChannelFrames.readLength(in, ChannelFrames.DEFAULT_MAX_FRAME_BYTES);
    ChannelRequest r = ChannelCodec.readRequest(ChannelFrames.readFrame(in, length));
    assertEquals(-1, in.read(), "the frame is read exactly");
    return r;
  }

  private static ChannelAnswer answer(byte[] frame) throws IOException {
    return ChannelCodec.readAnswer(Frame.parse(frame));
  }

  @Test
  void sign_roundTrips_withPositionAndPssParameters() throws IOException {
    byte[] data = {1, 2, 3, 4};
    ChannelRequest r =
        request(
            ChannelCodec.crypto(
                7,
                Opcode.SIGN,
                POS,
                "abcd",
                99L,
                Mechanism.CKM_SHA256_RSA_PKCS_PSS,
                new MechanismParams.Pss(Digest.SHA384, Digest.SHA256, 20),
                data,
                null));
    assertEquals(7, r.id);
    assertEquals(Opcode.SIGN, r.opcode);
    assertEquals(POS, r.position);
    assertFalse(r.primaryOnly);
    assertEquals("abcd", r.session);
    assertEquals(99L, r.key);
    assertEquals(Mechanism.CKM_SHA256_RSA_PKCS_PSS, r.mechanism);
    MechanismParams.Pss p = (MechanismParams.Pss) r.params;
    assertEquals(Digest.SHA384, p.hash());
    assertEquals(Digest.SHA256, p.mgfHash());
    assertEquals(20, p.saltLength());
    assertArrayEquals(data, r.data);
    assertNull(r.signature);
  }

  @Test
  void ivsLongerThanTheFrameCarries_doNotFit_andTheWriterRefusesThem() {
    assertTrue(MechanismCodec.fits(MechanismParams.NONE));
    assertTrue(MechanismCodec.fits(MechanismParams.Gcm.generatedIv(new byte[] {1})));
    assertTrue(MechanismCodec.fits(new MechanismParams.Gcm(new byte[255], new byte[0], 128)));
    MechanismParams.Gcm longGcm = new MechanismParams.Gcm(new byte[256], new byte[0], 128);
    assertFalse(MechanismCodec.fits(longGcm));
    assertFalse(MechanismCodec.fits(new MechanismParams.Cbc(new byte[300])));
    assertTrue(MechanismCodec.fits(new MechanismParams.Cbc(new byte[16])));
    assertThrows(
        IllegalArgumentException.class,
        () -> MechanismCodec.write(new FrameBuilder(64), Mechanism.CKM_AES_GCM, longGcm));
  }

  @Test
  void verifyAndCiphers_roundTrip_everyParameterKind() throws IOException {
    MechanismParams[] params = {
      MechanismParams.NONE,
      new MechanismParams.Gcm(new byte[12], new byte[] {9}, 96),
      new MechanismParams.Cbc(new byte[16]),
      new MechanismParams.Oaep(Digest.SHA512, Digest.SHA256, new byte[] {5, 6}),
      new MechanismParams.Ecdh(new byte[65]),
      new MechanismParams.TlsPremaster(0x0303, 0x0303)
    };
    for (MechanismParams p : params) {
      ChannelRequest r =
          request(
              ChannelCodec.crypto(
                  Integer.MAX_VALUE,
                  Opcode.VERIFY,
                  null,
                  "s",
                  1L,
                  Mechanism.CKM_ECDSA,
                  p,
                  new byte[0],
                  new byte[] {7}));
      assertEquals(Integer.MAX_VALUE, r.id);
      assertNull(r.position);
      assertEquals(p.toString(), r.params.toString());
      assertArrayEquals(new byte[] {7}, r.signature);
    }
  }

  @Test
  void sessionCallsAndJson_roundTrip() throws IOException {
    ChannelRequest open = request(ChannelCodec.openSession(1, null, "ring-é"));
    assertEquals("ring-é", open.keyring);
    assertNull(open.session, "without an id of the client's, the member picks one");
    ChannelRequest named =
        request(ChannelCodec.openSession(6, POS, "ring", "0123456789abcdef0123456789abcdef"));
    assertEquals("ring", named.keyring);
    assertEquals("0123456789abcdef0123456789abcdef", named.session);
    ChannelRequest login = request(ChannelCodec.login(2, POS, "sid", Role.KRCO, "pässword"));
    assertEquals(Role.KRCO, login.role);
    assertEquals("pässword", login.password);
    assertFalse(login.toString().contains("pässword"), "toString never shows the password");
    assertEquals("sid", request(ChannelCodec.closeSession(3, "sid")).session);
    assertEquals(Opcode.PING, request(ChannelCodec.ping(4)).opcode);
    ChannelRequest json =
        request(
            ChannelCodec.json(
                5, POS, true, "POST", "/v1/sessions/x/objects/find", new byte[] {'{', '}'}));
    assertTrue(json.primaryOnly);
    assertEquals("POST", json.method);
    assertEquals("/v1/sessions/x/objects/find", json.path);
    assertArrayEquals(new byte[] {'{', '}'}, json.json);
  }

  @Test
  void answers_roundTrip() throws IOException {
    ChannelAnswer signed = answer(ChannelCodec.result(9, Opcode.SIGN, null, new byte[] {1, 2}));
    assertTrue(signed.ok());
    assertEquals(9, signed.id);
    assertArrayEquals(new byte[] {1, 2}, signed.body.rest());
    ChannelAnswer v = answer(ChannelCodec.verified(10, POS, false));
    assertEquals(POS, v.position);
    assertEquals(0, v.body.u8("valid"));
    UUID ring = UUID.randomUUID();
    ChannelAnswer s = answer(ChannelCodec.sessionOpened(11, null, "sid", ring, "web"));
    assertEquals("sid", s.body.text8("session"));
    assertEquals(ring, s.body.uuid("keyring id"));
    assertEquals("web", s.body.text16("label"));
    ChannelAnswer no =
        answer(
            ChannelCodec.refused(
                12, Opcode.LOGIN, ResultCode.CKR_PIN_INCORRECT.value(), "wrong password"));
    assertFalse(no.ok());
    assertEquals(ResultCode.CKR_PIN_INCORRECT, no.refusal().code());
    assertEquals("wrong password", no.message);
    ChannelAnswer behind =
        answer(
            ChannelCodec.refused(13, Opcode.SIGN, ResultCode.CKR_MEMBER_BEHIND.value(), "behind"));
    assertEquals(ResultCode.CKR_MEMBER_BEHIND, behind.code, "vendor codes above 2^31 survive");
    byte[] longMessage = ChannelCodec.refused(14, Opcode.ERROR, 5, "x".repeat(100_000));
    assertEquals(4096, answer(longMessage).message.length());
  }

  @Test
  void lengthOverTheLimit_isRefusedBeforeTheFrameIsRead() {
    byte[] header = {0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0, 0};
    ByteArrayInputStream in = new ByteArrayInputStream(header);
    ChannelFormatException e =
        assertThrows(ChannelFormatException.class, () -> ChannelFrames.readLength(in, 1 << 20));
    assertTrue(e.getMessage().contains("over the limit of 1048576 bytes"), e.getMessage());
    assertEquals(2, in.available(), "nothing past the length was read");
  }

  @Test
  void lengthShorterThanAHeader_isRefused() {
    byte[] header = {0, 0, 0, 5};
    assertThrows(
        ChannelFormatException.class,
        () -> ChannelFrames.readLength(new ByteArrayInputStream(header), 1 << 20));
  }

  @Test
  void truncatedFrames_endInEof_andCleanEndIsMinusOne() throws IOException {
    byte[] whole = ChannelCodec.ping(1);
    assertEquals(-1, ChannelFrames.readLength(new ByteArrayInputStream(new byte[0]), 100));
    assertThrows(
        EOFException.class,
        () -> ChannelFrames.readLength(new ByteArrayInputStream(Arrays.copyOf(whole, 2)), 100));
    ByteArrayInputStream cut = new ByteArrayInputStream(Arrays.copyOf(whole, whole.length - 1));
    int length = ChannelFrames.readLength(cut, 100);
    assertThrows(EOFException.class, () -> ChannelFrames.readFrame(cut, length));
  }

  @Test
  void bodyCutShort_namesTheField() {
    byte[] sign =
        ChannelCodec.crypto(
            1, Opcode.SIGN, null, "s", 1, Mechanism.CKM_ECDSA, null, new byte[10], null);
    // the frame claims fewer bytes than the data length says: shorten the frame by 5
    byte[] cut = Arrays.copyOf(sign, sign.length - 5);
    int length = cut.length - 4;
    cut[0] = (byte) (length >>> 24);
    cut[1] = (byte) (length >>> 16);
    cut[2] = (byte) (length >>> 8);
    cut[3] = (byte) length;
    ChannelFormatException e = assertThrows(ChannelFormatException.class, () -> request(cut));
    assertTrue(e.getMessage().contains("data runs past the end of its frame"), e.getMessage());
  }

  @Test
  void bytesAfterTheLastField_areRefused() {
    byte[] ping = ChannelCodec.ping(1);
    byte[] longer = Arrays.copyOf(ping, ping.length + 1);
    longer[3]++;
    assertThrows(ChannelFormatException.class, () -> request(longer));
  }

  @Test
  void unknownOpcodeAndFlags_areRefused() {
    byte[] ping = ChannelCodec.ping(1);
    ping[8] = 0x55;
    ChannelFormatException e = assertThrows(ChannelFormatException.class, () -> request(ping));
    assertTrue(e.getMessage().contains("unknown opcode 0x55"), e.getMessage());
    byte[] flags = ChannelCodec.ping(1);
    flags[9] = (byte) 0x80;
    assertThrows(ChannelFormatException.class, () -> request(flags));
    byte[] error = ChannelCodec.ping(1);
    error[8] = (byte) Opcode.ERROR.code();
    assertThrows(ChannelFormatException.class, () -> request(error), "ERROR is never a request");
  }

  @Test
  void unknownMechanismOrRole_isARefusalWithItsCode() {
    byte[] sign =
        ChannelCodec.crypto(
            1, Opcode.SIGN, null, "s", 1, Mechanism.CKM_ECDSA, null, new byte[1], null);
    int mechAt = 4 + 6 + 2 + 8;
    sign[mechAt + 3] = 0x77; // 0x1077: no such mechanism
    HsmException e = assertThrows(HsmException.class, () -> request(sign));
    assertEquals(ResultCode.CKR_MECHANISM_INVALID, e.code());
    byte[] login = ChannelCodec.login(1, null, "s", Role.KRCO, "p");
    login[4 + 6 + 2] = 9;
    assertEquals(
        ResultCode.CKR_USER_TYPE_INVALID,
        assertThrows(HsmException.class, () -> request(login)).code());
  }

  @Test
  void hello_ofAnotherProtocol_isRefused_andVersionIsRead() throws IOException {
    assertEquals(7, ChannelFrames.readHello(new ByteArrayInputStream(ChannelFrames.hello(7))));
    assertThrows(
        ChannelFormatException.class,
        () -> ChannelFrames.readHello(new ByteArrayInputStream("GET / HTTP/1.1".getBytes())));
    assertThrows(
        EOFException.class,
        () -> ChannelFrames.readHello(new ByteArrayInputStream(new byte[] {'K', 'R'})));
  }

  @Test
  void garbage_isRefusedWithAFormatErrorOrARefusal_neverAnythingElse() throws IOException {
    Random random = new Random(15);
    int refused = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] body = new byte[6 + random.nextInt(80)];
      random.nextBytes(body);
      body[4] = (byte) Opcode.values()[random.nextInt(Opcode.values().length)].code();
      body[5] &= 0x03;
      try {
        ChannelCodec.readRequest(new Frame(body));
      } catch (ChannelFormatException | HsmException expected) {
        refused++;
      }
    }
    assertTrue(refused > 15_000, "most random bodies are refused: " + refused);
  }
}
