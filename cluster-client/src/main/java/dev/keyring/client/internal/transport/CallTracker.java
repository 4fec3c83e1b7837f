package dev.keyring.client.internal.transport;

import java.net.InetSocketAddress;
import java.net.Proxy;
import okhttp3.Call;
import okhttp3.Connection;
import okhttp3.EventListener;
import okhttp3.Handshake;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Watches one attempt of a call: whether a connection was obtained and whether the request started
 * to go out. A request whose headers never started was not sent, so repeating it is safe whatever
 * it does.
 */
final class CallTracker extends EventListener {
  private volatile boolean madeConnection;
  private volatile boolean connected;
  private volatile boolean requestStarted;
  private volatile boolean handshakeDone;
  private volatile boolean answered;

  @Override
  public void connectStart(Call call, InetSocketAddress address, Proxy proxy) {
    madeConnection = true;
  }

  @Override
  public void secureConnectEnd(Call call, Handshake handshake) {
    handshakeDone = true;
  }

  @Override
  public void responseHeadersEnd(Call call, Response response) {
    answered = true;
  }

  @Override
  public void connectionAcquired(Call call, Connection connection) {
    connected = true;
  }

  @Override
  public void connectionReleased(Call call, Connection connection) {
    PooledConnectionCheck.released(connection);
  }

  @Override
  public void requestHeadersStart(Call call) {
    requestStarted = true;
  }

  @Override
  public void requestHeadersEnd(Call call, Request request) {
    requestStarted = true;
  }

  /** Whether this attempt opened a connection of its own (rather than taking a pooled one). */
  boolean madeConnection() {
    return madeConnection;
  }

  boolean connected() {
    return connected;
  }

  /** Whether this attempt made a new connection whose TLS handshake completed. */
  boolean handshakeDone() {
    return handshakeDone;
  }

  /** Whether an answer's headers arrived. */
  boolean answered() {
    return answered;
  }

  boolean requestStarted() {
    return requestStarted;
  }
}
