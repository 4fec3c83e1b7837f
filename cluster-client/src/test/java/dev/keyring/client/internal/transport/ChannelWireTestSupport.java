package dev.keyring.client.internal.transport;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.testing.TestPki;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the tests of one crypto channel connection share: a client of a new cluster CA, the TLS of a
 * {@link TestChannelMember} that CA issued, and a connection of that client to such a member.
 */
abstract class ChannelWireTestSupport {
  @TempDir static Path dir;
  static ClusterEntry entry;
  static SSLContext memberTls;

  @BeforeAll
  static void identities() throws Exception {
    TestPki.ClientIdentity id = TestPki.clientOfNewCa(dir, "channel-wire-test", 1);
    entry = id.entry();
    memberTls = id.memberTls();
  }

  /**
   * A connection to {@code member}, its heartbeat an hour apart, the caller spinning {@code spin}.
   */
  static ChannelWire open(TestChannelMember member, Duration spin) throws TransportException {
    return ChannelWire.open(
        ClientTls.load(entry),
        "127.0.0.1",
        member.port(),
        "m1",
        "member m1 channel",
        Duration.ofSeconds(10),
        Duration.ofHours(1),
        spin,
        false);
  }
}
