package dev.keyring.sim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyring.protocol.cli.CliException;
import java.net.ConnectException;
import java.nio.channels.UnresolvedAddressException;
import org.junit.jupiter.api.Test;

/** What the admin commands say when a request fails before the member answers. */
class AdminConnectionFailureTest {
  @Test
  void aHostNameThatDoesNotResolve_isSaid_notReportedAsARefusedConnection() {
    // what the JDK's HttpClient throws for a host name that does not resolve
    ConnectException inner = new ConnectException();
    inner.initCause(new UnresolvedAddressException());
    ConnectException thrown = new ConnectException();
    thrown.initCause(inner);
    CliException e = AdminConnection.failure("https://nosuch.invalid:50070", thrown);
    assertEquals(3, e.exitCode());
    assertEquals(
        "cannot reach the member's admin API at https://nosuch.invalid:50070: its host name"
            + " cannot be resolved (check --host)",
        e.getMessage());
  }

  @Test
  void aRefusedConnection_isSaidSo() {
    CliException e = AdminConnection.failure("https://127.0.0.1:1", new ConnectException(null));
    assertEquals(
        "cannot reach the member's admin API at https://127.0.0.1:1: connection refused",
        e.getMessage());
  }
}
