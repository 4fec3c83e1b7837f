package dev.keyring.client.internal.transport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

class NoDelaySocketFactoryTest {
  @Test
  void everySocket_hasNagleOff_andKeepAliveOn() throws Exception {
    try (Socket unconnected = NoDelaySocketFactory.INSTANCE.createSocket()) {
      assertTrue(unconnected.getTcpNoDelay());
      assertTrue(unconnected.getKeepAlive());
    }
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket connected =
            NoDelaySocketFactory.INSTANCE.createSocket(
                InetAddress.getLoopbackAddress(), server.getLocalPort())) {
      assertTrue(connected.getTcpNoDelay(), "still on once connected");
    }
  }
}
