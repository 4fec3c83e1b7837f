package dev.keyring.sim.server;

import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.ResultCode;
import java.net.BindException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The port an endpoint of the crypto API (its HTTPS port, its crypto channel) listens on when the
 * API starts: the port it had before, when it ran already, so that clients and the other members
 * find it where they did; else the configured one.
 *
 * <p>A port the system chose ({@code 0} in the configuration) is free for anyone once the endpoint
 * stops: an outgoing connection of any process may be given it as its local port while the cluster
 * service is stopped. Then the endpoint takes a fresh port, says so in the log, and the member's
 * entry in the cluster lists it ({@code ClusterNode} updates a member's changed addresses), so
 * clients follow. A configured port (not {@code 0}) is never changed: taken, it fails the start
 * with {@code CKR_FUNCTION_FAILED} and a message naming the endpoint and the port.
 */
final class RestartPort {
  private static final Logger LOG = LoggerFactory.getLogger(RestartPort.class);

  /** Starts an endpoint on a port, or throws (a port that is taken: {@link BindException}). */
  interface Binder<T> {
    T bind(int port) throws Exception;
  }

  private RestartPort() {}

  /**
   * Starts {@code endpoint} on {@code previous} when above 0, else on {@code configured}, as the
   * class says.
   */
  static <T> T bind(String endpoint, int previous, int configured, Binder<T> binder)
      throws Exception {
    int port = previous > 0 ? previous : configured;
    try {
      return binder.bind(port);
    } catch (Exception e) {
      if (!portTaken(e)) {
        throw e;
      }
      if (configured == 0 && port != 0) {
        LOG.warn(
            "the {} cannot listen on port {} again: it is in use now; listening on another"
                + " port, which the member's cluster entry will list",
            endpoint,
            port);
        return binder.bind(0);
      }
      throw new HsmException(
          ResultCode.CKR_FUNCTION_FAILED,
          "the " + endpoint + " cannot listen on port " + port + ": it is in use",
          e);
    }
  }

  /** Whether {@code e} or one of its causes is a failure to bind a port that is in use. */
  static boolean portTaken(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return true;
      }
    }
    return false;
  }
}
