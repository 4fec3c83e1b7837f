package dev.keyring.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.keyring.client.api.TransportOptions;
import org.junit.jupiter.api.Test;

/** The command lines' wire: the REST crypto API unless the JVM's property chooses one. */
class ClientOptionsTest {
  @Test
  void commandLines_speakHttp_unlessThePropertyChooses() {
    String was = System.getProperty(TransportOptions.WIRE_PROPERTY);
    try {
      System.clearProperty(TransportOptions.WIRE_PROPERTY);
      assertEquals(TransportOptions.Wire.HTTP, ClientOptions.transport().build().wire());
      // the library's own default stays the channel
      assertEquals(TransportOptions.Wire.CHANNEL, TransportOptions.builder().build().wire());
      System.setProperty(TransportOptions.WIRE_PROPERTY, "channel");
      assertEquals(TransportOptions.Wire.CHANNEL, ClientOptions.transport().build().wire());
      System.setProperty(TransportOptions.WIRE_PROPERTY, "http");
      assertEquals(TransportOptions.Wire.HTTP, ClientOptions.transport().build().wire());
    } finally {
      if (was == null) {
        System.clearProperty(TransportOptions.WIRE_PROPERTY);
      } else {
        System.setProperty(TransportOptions.WIRE_PROPERTY, was);
      }
    }
  }
}
