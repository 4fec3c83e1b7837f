package dev.keyring.client.internal.transport;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;

/**
 * The crypto channel connections of one {@link ChannelMemberChannel}: up to {@link
 * TransportOptions#channelConnections()}, each a {@link ChannelConnector}.
 *
 * <p>A call takes an open connection with nothing under way when there is one, else the open one
 * with the fewest requests under way; another connection is opened only when calls overlap (all
 * open ones busy), in the background, and the call goes on the least busy open one meanwhile. So a
 * client calling from one thread keeps one connection, and two (up to {@code channelConnections})
 * threads calling together each get one of their own: a request alone on its connection is served
 * by the member's reading thread without a hand-off, and its caller may spin for the answer. With
 * one connection (the option's 1), every call shares it, as before the option. A connection other
 * than the first that has had no call for {@link ChannelWire#IDLE_HEARTBEATS} heartbeat intervals
 * (60 s by default) is closed, and made again when calls overlap again.
 */
final class ChannelPool implements AutoCloseable {
  private final ChannelConnector[] connectors;

  ChannelPool(
      ClientTls tls,
      TransportOptions options,
      String host,
      int port,
      String memberName,
      String name) {
    connectors = new ChannelConnector[options.channelConnections()];
    for (int i = 0; i < connectors.length; i++) {
      connectors[i] = new ChannelConnector(tls, options, host, port, memberName, name, i > 0);
    }
  }

  /**
   * A connection for one call: an idle open one, else the least busy open one (opening another in
   * the background), else the first connection, made now.
   *
   * @throws TransportException as {@link ChannelConnector#wire()}
   */
  ChannelWire wire() throws TransportException {
    ChannelWire least = null;
    int leastInFlight = Integer.MAX_VALUE;
    ChannelConnector unopened = null;
    for (ChannelConnector c : connectors) {
      ChannelWire w = c.openWire();
      if (w == null) {
        if (unopened == null) {
          unopened = c;
        }
        continue;
      }
      int n = w.inFlight();
      if (n == 0) {
        return w;
      }
      if (n < leastInFlight) {
        least = w;
        leastInFlight = n;
      }
    }
    if (least == null) {
      return connectors[0].wire();
    }
    if (unopened != null) {
      unopened.connectSoon();
    }
    return least;
  }

  /** False once the first connection could not be made; {@link #retry()} clears it. */
  boolean reachable() {
    return connectors[0].reachable();
  }

  /** Lets the next call try to connect again, on every connection. */
  void retry() {
    for (ChannelConnector c : connectors) {
      c.retry();
    }
  }

  /** Whether a connection is open now. */
  boolean connected() {
    for (ChannelConnector c : connectors) {
      if (c.connected()) {
        return true;
      }
    }
    return false;
  }

  /** Closes every connection; those being made are closed when they are done. */
  @Override
  public void close() {
    for (ChannelConnector c : connectors) {
      c.close();
    }
  }
}
