package dev.keyring.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.client.KeyringClient;
import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.e2e.WatchedClusters;
import dev.keyring.samples.LocalCluster;
import dev.keyring.testing.cluster.FaultProxy;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fault proxy on a real client-to-member link (mutual TLS through it). */
class FaultProxyTest {

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
}
