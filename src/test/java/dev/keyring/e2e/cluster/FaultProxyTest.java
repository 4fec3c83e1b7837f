package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.KeyringChannel;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.e2e.WatchedClusters;
import dev.keyring.samples.LocalCluster;
import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.cluster.FaultProxy;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fault proxy on a real client-to-member link (mutual TLS through it). */
class FaultProxyTest {
  private static final Duration SETTLE = Duration.ofSeconds(60);

  private static TransportOptions quick() {
    return TransportOptions.builder()
        .wire(TransportOptions.Wire.CHANNEL)
        .connectTimeout(Duration.ofSeconds(2))
        .readTimeout(Duration.ofSeconds(2))
        .writeTimeout(Duration.ofSeconds(2))
        .callTimeout(Duration.ofSeconds(4))
        .recoveryInterval(Duration.ofMillis(200))
        .build();
  }

  @Test
  void proxy_cutsSilencesDelaysAndRestoresAMemberLink(@TempDir Path dir) throws Exception {
    try (LocalCluster cluster = WatchedClusters.start(dir);
        FaultProxy proxy =
            FaultProxy.start("127.0.0.1", cluster.cluster().member(0).cryptoPort())) {
      ClusterEntry direct = ClientConfig.read(cluster.clientConfig()).cluster(0).orElseThrow();
      ClusterEntry viaProxy =
          new ClusterEntry(
              direct.index(),
              direct.host(),
              proxy.port(),
              direct.clientCert(),
              direct.clientKey(),
              direct.caFile(),
              direct.serverCn());
      TransportOptions quick =
          TransportOptions.builder()
              .wire(TransportOptions.Wire.HTTP) // the proxy sits on the HTTP crypto port only
              .connectTimeout(Duration.ofSeconds(2))
              .readTimeout(Duration.ofSeconds(1))
              .writeTimeout(Duration.ofSeconds(1))
              .callTimeout(Duration.ofSeconds(5))
              .build();
      try (KeyringClient client = KeyringClient.open(viaProxy, quick)) {
        client.ping();
        assertTrue(proxy.acceptedConnections() >= 1, "the call went through the proxy");

        proxy.cut();
        assertEquals(0, proxy.openSockets(), "a cut resets every open connection");
        assertThrows(TransportException.class, client::ping);

        proxy.restore();
        client.ping();

        proxy.blackhole();
        TransportException silent = assertThrows(TransportException.class, client::ping);
        // the pooled connection times out reading; the repeat's handshake times out connecting
        assertTrue(
            silent.kind() == TransportException.Kind.IO
                || silent.kind() == TransportException.Kind.CONNECT,
            "a silent link is found by a timeout: " + silent);

        proxy.restore();
        client.ping();

        proxy.delay(Duration.ofMillis(150));
        Duration slow = client.ping();
        // each direction's bytes wait 150 ms: a lower bound set by the proxy, not a speed claim
        assertTrue(slow.compareTo(Duration.ofMillis(300)) >= 0, "round trip " + slow);
        proxy.restore();
        client.ping();
      }
    }
  }

  /**
   * The harness's client link of a member process covers both wires: the member advertises its
   * channel proxy's port in the cluster view, the client's crypto channel goes through that proxy,
   * and a cut or a blackhole of {@code clientLink} reaches it too.
   */
  @Test
  void harnessClientLink_cutsTheCryptoChannelToo(@TempDir Path dir) throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 1, 1)) {
      Path conf = h.registerClient(0, "proxied", dir.resolve("client").resolve("k.conf"));
      TransportOptions quick = quick();
      FaultProxy channel = h.channelLink(0);
      assertEquals(channel, h.clientLink(0).companion());
      // the client learns the channel port from the view only: the proxy's, not the member's own
      assertTrue(
          h.member(0).channelAddress() != null
              && h.member(0).channelAddress().getPort() != channel.port(),
          "the member listens on its own channel port: " + h.member(0).channelAddress());
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0, quick)) {
        ClusterHarness.await(
            "the client's crypto channel goes through the channel proxy",
            SETTLE,
            () -> {
              try {
                client.ping();
              } catch (TransportException e) {
                return false;
              }
              return channel.acceptedConnections() >= 1 && channel.openSockets() >= 2;
            });
        long viaHttp = h.clientLink(0).acceptedConnections();

        h.clientLink(0).cut();
        assertEquals(FaultProxy.Mode.CUT, channel.mode(), "the cut reached the channel proxy");
        assertEquals(0, channel.openSockets(), "the channel's connection was reset");
        assertThrows(TransportException.class, client::ping);

        h.clientLink(0).restore();
        assertEquals(FaultProxy.Mode.FORWARD, channel.mode());
        long before = channel.acceptedConnections();
        ClusterHarness.await(
            "the client is back on its crypto channel",
            SETTLE,
            () -> {
              try {
                client.ping();
              } catch (TransportException e) {
                return false;
              }
              return channel.acceptedConnections() > before && channel.openSockets() >= 2;
            });

        h.clientLink(0).blackhole();
        assertEquals(FaultProxy.Mode.BLACKHOLE, channel.mode(), "the blackhole reached it too");
        assertThrows(TransportException.class, client::ping);
        h.healAll();
        assertEquals(FaultProxy.Mode.FORWARD, channel.mode(), "healAll restores the channel proxy");
        ClusterHarness.await(
            "the client is served again",
            SETTLE,
            () -> {
              try {
                client.ping();
                return true;
              } catch (TransportException e) {
                return false;
              }
            });
        System.out.printf(
            "client link: %d HTTP connections, %d channel connections through the proxies%n",
            h.clientLink(0).acceptedConnections() - viaHttp, channel.acceptedConnections());
      }
    }
  }

  @Test
  void aSessionClosedWhileItsMemberIsCutOff_isClosedThereOnceTheMemberAnswersAgain(
      @TempDir Path dir) throws Exception {
    try (ClusterHarness h = ClusterHarness.startCluster(dir, 1, 1)) {
      h.createKeyrings(0, "app", "keyring-initial-1", 1, 1);
      Path conf = h.registerClient(0, "leaver", dir.resolve("client").resolve("k.conf"));
      try (KeyringClient client = KeyringClient.open(ClientConfig.read(conf), 0, quick())) {
        KeyringChannel s = client.openSession("app1");
        assertEquals(1, h.state(0).openSessions());
        h.clientLink(0).cut();
        assertThrows(TransportException.class, () -> s.random(8));
        assertFalse(client.memberStates().get(0).up(), "the member is marked down");
        s.close();
        assertEquals(1, h.state(0).openSessions(), "the member holds the session still");
        h.clientLink(0).restore();
        ClusterHarness.await(
            "the session is closed on the member once it answers a probe",
            SETTLE,
            () -> h.state(0).openSessions() == 0);
        assertTrue(client.memberStates().get(0).up());
      }
    }
  }
}
