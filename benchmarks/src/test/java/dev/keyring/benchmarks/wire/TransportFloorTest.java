package dev.keyring.benchmarks.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The floor benchmark's server answers every request of its callers, signed by ACCP or encrypted,
 * over plain TCP and over the channel's TLS, read by the caller or by a reader thread; its own
 * check (the signature verifies, the ciphertext decrypts back) passes, and a floor whose server
 * failed fails its trial.
 */
class TransportFloorTest {
  @ParameterizedTest
  @CsvSource({
    "P-256-ECDSA, none, caller, 50",
    "P-256-ECDSA, jdk, thread, 50",
    "AES-GCM-1KiB, jdk, caller, 0",
    "AES-GCM-1KiB, none, thread, 0"
  })
  void everyCallIsAnswered_andTheLastAnswerChecks(
      String op, String tls, String reader, int spinMicros) throws Exception {
    TransportFloorBenchmark.Floor floor = new TransportFloorBenchmark.Floor();
    floor.op = op;
    floor.tls = tls;
    floor.reader = reader;
    floor.spinMicros = spinMicros;
    floor.start();
    try {
      for (int t = 0; t < 2; t++) {
        TransportFloorBenchmark.Caller c = new TransportFloorBenchmark.Caller();
        c.connect(floor);
        for (int i = 0; i < 200; i++) {
          byte[] answer = c.call();
          if (FloorServer.P256.equals(op)) {
            assertEquals(0x30, answer[0], "a DER signature");
          } else {
            assertEquals(1024 + 16, answer.length, "the ciphertext and its tag");
          }
        }
        c.check();
        c.close();
      }
    } finally {
      floor.stop();
    }
  }

  @ParameterizedTest
  @CsvSource({
    "RSA, none, caller, op",
    "P-256-ECDSA, tls13, caller, tls",
    "P-256-ECDSA, none, both, reader"
  })
  void anUnknownSetting_isRefusedByName(String op, String tls, String reader, String named) {
    TransportFloorBenchmark.Floor floor = new TransportFloorBenchmark.Floor();
    floor.op = op;
    floor.tls = tls;
    floor.reader = reader;
    floor.spinMicros = 0;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, floor::start);
    assertTrue(e.getMessage().startsWith(named + " must be"), e.getMessage());
  }
}
