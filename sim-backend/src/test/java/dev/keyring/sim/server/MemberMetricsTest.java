package dev.keyring.sim.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The operation label of a crypto API request: a name from the path, never one of its values. */
class MemberMetricsTest {
  @ParameterizedTest
  @CsvSource({
    "POST, /v1/sessions, open_session",
    "DELETE, /v1/sessions/5f2c7a9e-1111-2222-3333-444455556666, close_session",
    "POST, /v1/sessions/5f2c7a9e-1111-2222-3333-444455556666/sign, sign",
    "POST, /v1/sessions/abc/init-krco, init_krco",
    "POST, /v1/sessions/abc/operations/9f1e, operations",
    "GET, /v1/sessions/abc/objects/12345, objects",
    "POST, /v1/sessions/abc/objects/find, objects",
    "POST, /v1/peer/poll, peer_poll",
    "GET, /v1/health, health",
    "GET, /v1/slots, slots",
    "GET, /v2/anything, other",
    "GET, /v1/sessions/abc/NOT_A_NAME, other",
    "GET, /, other",
  })
  void operation_isNamedByThePath_withoutIdsOrHandles(String method, String path, String op) {
    assertEquals(op, MemberMetrics.operation(method, path));
  }
}
