package dev.keyring.protocol.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ChannelSocketTest {
  /** A listening socket and a connection over loopback to it: the client's and the one accepted. */
  private record Pair(ChannelSocket.Listening listening, Socket client, Socket accepted)
      implements AutoCloseable {
    static Pair open() throws Exception {
      ChannelSocket.Listening l = new ChannelSocket.Listening();
      l.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      ChannelSocket client = new ChannelSocket();
      client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), l.getLocalPort()));
      return new Pair(l, client, l.accept());
    }

    @Override
    public void close() throws Exception {
      accepted.close();
      client.close();
      listening.close();
    }
  }

  @Test
  void accepted_connections_areChannelSockets_withOneBufferedStream() throws Exception {
    try (Pair p = Pair.open()) {
      Socket client = p.client();
      Socket accepted = p.accepted();
      assertInstanceOf(ChannelSocket.class, accepted);
      InputStream in = accepted.getInputStream();
      assertInstanceOf(BufferedInputStream.class, in);
      assertSame(in, accepted.getInputStream(), "the TLS layer and the spin read one stream");
      assertSame(client.getInputStream(), client.getInputStream());
    }
  }

  @Test
  void available_countsTheBufferedBytes_andThoseStillInTheKernel() throws Exception {
    try (Pair p = Pair.open()) {
      Socket client = p.client();
      Socket accepted = p.accepted();
      InputStream in = accepted.getInputStream();
      assertEquals(0, in.available());
      OutputStream out = client.getOutputStream();
      out.write(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
      out.flush();
      assertEquals(1, in.read()); // takes what the kernel holds into the buffer
      while (in.available() < 9) {
        Thread.onSpinWait(); // the other nine arrive with the first on loopback, or just after
      }
      assertEquals(9, in.available());
      out.write(new byte[] {11, 12});
      out.flush();
      while (in.available() < 11) {
        Thread.onSpinWait(); // now nine in the buffer and two in the kernel
      }
      byte[] rest = in.readNBytes(11);
      assertArrayEquals(new byte[] {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, rest);
      assertEquals(0, in.available());
    }
  }

  @Test
  void everyByte_comesThrough_inOrder_whateverTheReadSizes() throws Exception {
    byte[] sent = new byte[(1 << 20) + 17];
    new Random(7).nextBytes(sent);
    try (Pair p = Pair.open()) {
      Socket client = p.client();
      Socket accepted = p.accepted();
      Thread writer =
          new Thread(
              () -> {
                try {
                  OutputStream out = client.getOutputStream();
                  for (int off = 0; off < sent.length; off += 3_001) {
                    out.write(sent, off, Math.min(3_001, sent.length - off));
                  }
                  out.flush();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      writer.start();
      InputStream in = accepted.getInputStream();
      byte[] got = new byte[sent.length];
      int off = 0;
      int[] sizes = {5, 1, 16_384, 40_000, 77, ChannelSocket.BUFFER_BYTES};
      for (int i = 0; off < got.length; i++) {
        int want = Math.min(sizes[i % sizes.length], got.length - off);
        int n = in.read(got, off, want);
        if (n < 0) {
          break;
        }
        off += n;
      }
      writer.join();
      assertEquals(sent.length, off);
      assertArrayEquals(sent, got);
    }
  }

  @Test
  void aClosedSocket_refusesItsStream_asThePlainSocketDoes() throws Exception {
    try (Pair p = Pair.open()) {
      p.accepted().close();
      p.client().close();
      SocketException e = assertThrows(SocketException.class, p.client()::getInputStream);
      assertEquals("Socket is closed", e.getMessage());
      assertThrows(SocketException.class, new ChannelSocket()::getInputStream);
    }
  }
}
