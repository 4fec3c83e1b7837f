package dev.keyring.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.protocol.AttributeType;
import dev.keyring.protocol.Attributes;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.KeyType;
import dev.keyring.protocol.ObjectClass;
import dev.keyring.protocol.ResultCode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LogCodecTest {
  private static final UUID CLUSTER = UUID.randomUUID();
  private static final Instant MICROS = Instant.parse("2024-02-29T23:59:59.123456Z");

  private static KeyringRecord keyring(long nextHandle) {
    return new KeyringRecord(
        UUID.fromString("0a000000-0000-0000-0000-000000000001"),
        CLUSTER,
        "ring",
        "verifier",
        true,
        false,
        true,
        3,
        MICROS,
        nextHandle);
  }

  private static ObjectRecord object(byte[] blob) {
    Attributes a =
        Attributes.builder()
            .objectClass(ObjectClass.SECRET_KEY)
            .keyType(KeyType.AES)
            .label("key")
            .id(new byte[] {0, 1, (byte) 0xff})
            .flag(AttributeType.CKA_TOKEN, true)
            .build();
    return new ObjectRecord(
        keyring(1).id(), 7, UUID.randomUUID(), ObjectClass.SECRET_KEY, a, blob, MICROS);
  }

  @Test
  void entry_roundTripsEveryKindOfChange_exactly() {
    LogEntry e =
        new LogEntry(
            new LogPosition(5, 42),
            new ChangeSet(
                List.of(
                    new RowChange.KeyringRow(keyring(1).id(), keyring(7), keyring(8)),
                    new RowChange.KeyringRow(keyring(1).id(), null, keyring(1)),
                    new RowChange.ObjectRow(
                        keyring(1).id(), 7, object(new byte[] {1, 2}), object(null)),
                    new RowChange.ObjectRow(keyring(1).id(), 7, null, object(new byte[0])),
                    new RowChange.ClusterValue("m", new byte[] {9}, null),
                    new RowChange.ClusterValue("n", null, "x".getBytes(StandardCharsets.UTF_8)))));
    LogEntry back = LogCodec.decode(LogCodec.encode(e));
    assertEquals(e, back);
    assertEquals(
        MICROS, ((RowChange.KeyringRow) back.changes().changes().get(0)).after().createdAt());
  }

  @Test
  void snapshot_roundTrips_withAndWithoutACluster() {
    Snapshot s =
        new Snapshot(
            new LogPosition(2, 9),
            new ClusterRecord(CLUSTER, "c", MICROS),
            List.of(keyring(8)),
            List.of(object(new byte[] {3})),
            Map.of("membership", new byte[] {1, 2, 3}));
    Snapshot back = LogCodec.decodeSnapshot(LogCodec.encode(s));
    assertEquals(s.position(), back.position());
    assertEquals(s.cluster(), back.cluster());
    assertEquals(s.keyrings(), back.keyrings());
    assertEquals(s.objects(), back.objects());
    assertArrayEquals(new byte[] {1, 2, 3}, back.clusterValues().get("membership"));

    Snapshot empty = new Snapshot(LogPosition.ZERO, null, List.of(), List.of(), Map.of());
    Snapshot emptyBack = LogCodec.decodeSnapshot(LogCodec.encode(empty));
    assertEquals(null, emptyBack.cluster());
    assertEquals(LogPosition.ZERO, emptyBack.position());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "not json",
        "[]",
        "{}",
        "{\"v\":2,\"epoch\":1,\"sequence\":1,\"changes\":[]}",
        "{\"v\":1,\"epoch\":-1,\"sequence\":1,\"changes\":[]}",
        "{\"v\":1,\"epoch\":1,\"sequence\":1}",
        "{\"v\":1,\"epoch\":1,\"sequence\":1,\"changes\":[{\"table\":\"hsm_state\"}]}",
        "{\"v\":1,\"epoch\":1,\"sequence\":1,\"changes\":[{\"table\":\"cluster_values\","
            + "\"name\":\"m\",\"before\":null,\"after\":\"%%%\"}]}",
        "{\"v\":1,\"epoch\":1,\"sequence\":1,\"changes\":[{\"table\":\"keyrings\","
            + "\"id\":\"not-a-uuid\",\"before\":null,\"after\":null}]}",
        "{\"v\":1,\"epoch\":1,\"sequence\":1,\"changes\":[{\"table\":\"keyrings\","
            + "\"id\":\"0a000000-0000-0000-0000-000000000001\",\"before\":null,\"after\":{}}]}"
      })
  void decodingGarbage_isArgumentsBad_neverARawJsonException(String garbage) {
    byte[] bytes = garbage.getBytes(StandardCharsets.UTF_8);
    HsmException e = assertThrows(HsmException.class, () -> LogCodec.decode(bytes));
    assertEquals(ResultCode.CKR_ARGUMENTS_BAD, e.code(), e.getMessage());
    assertTrue(e.detail().startsWith("cannot decode a log entry: "), e.getMessage());
    HsmException s = assertThrows(HsmException.class, () -> LogCodec.decodeSnapshot(bytes));
    assertEquals(ResultCode.CKR_ARGUMENTS_BAD, s.code(), s.getMessage());
  }
}
