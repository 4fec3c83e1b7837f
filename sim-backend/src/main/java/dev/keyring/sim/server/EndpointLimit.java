package dev.keyring.sim.server;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.AbstractConnector;

/**
 * At most {@code max} connections open at once on a TLS connector: at the limit the connector stops
 * accepting (new connections wait in the listen backlog) until one closes. Each network connection
 * is counted once, by its TLS layer. (Jetty 12.0's {@code ConnectionLimit} counts every protocol
 * layer of a connection against a single accept, TLS, ALPN and HTTP alike, so on a connector that
 * negotiates the protocol its count drifts below zero and it never limits.)
 */
final class EndpointLimit implements Connection.Listener {
  private final AbstractConnector connector;
  private final int max;

  // guarded by this
  private int open;
  private boolean limiting;

  EndpointLimit(AbstractConnector connector, int max) {
    this.connector = connector;
    this.max = max;
  }

  @Override
  public void onOpened(Connection c) {
    if (c instanceof SslConnection) {
      synchronized (this) {
        open++;
        if (!limiting && open >= max) {
          limiting = true;
          connector.setAccepting(false);
        }
      }
    }
  }

  @Override
  public void onClosed(Connection c) {
    if (c instanceof SslConnection) {
      synchronized (this) {
        open--;
        if (limiting && open < max) {
          limiting = false;
          connector.setAccepting(true);
        }
      }
    }
  }

  /** Connections open now. */
  synchronized int open() {
    return open;
  }

  /** Whether the connector is at its limit (not accepting). */
  synchronized boolean limiting() {
    return limiting;
  }
}
