package dev.keyring.client.registration;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@code keyring-register} reads the member's address (no member needed). */
class RegisterCommandHostAndPortTest {
  @Test
  void hostAndPort_acceptsTheFormsOperatorsType() throws Exception {
    assertEquals(List.of("10.0.0.5", "50070"), List.of(RegisterCommand.hostAndPort("10.0.0.5")));
    assertEquals(
        List.of("hsm.example", "1234"), List.of(RegisterCommand.hostAndPort("hsm.example:1234")));
    assertEquals(List.of("::1", "443"), List.of(RegisterCommand.hostAndPort("[::1]:443")));
    assertEquals(List.of("fe80::1", "50070"), List.of(RegisterCommand.hostAndPort("fe80::1")));
  }
}
