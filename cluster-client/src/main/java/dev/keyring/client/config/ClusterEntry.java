package dev.keyring.client.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One cluster registered on this client: the five {@code LunaSA Client} entries that share an index
 * from {@code 00} to {@code 09} ({@code NN} below).
 *
 * <ul>
 *   <li>{@code LNHServerNN}: {@link #host()}:{@link #port()} of the member that takes this client's
 *       traffic
 *   <li>{@code LNHServerClientCertNN}: {@link #clientCert()}
 *   <li>{@code LNHServerClientKeyNN}: {@link #clientKey()}
 *   <li>{@code LNHServerCAFileNN}: {@link #caFile()}
 *   <li>{@code LNHServerCNNN}: {@link #serverCn()}
 * </ul>
 *
 * @param index position 0–9, written as two digits
 * @param host host name or IP address of the entry-point member (an IPv6 address without brackets)
 * @param port its crypto port, 1–65535; {@value #DEFAULT_PORT} when the file names none
 * @param clientCert the client's certificate (PEM) for mutual TLS with this cluster
 * @param clientKey the client's private key (PEM) belonging to {@code clientCert}
 * @param caFile the CA certificate(s) (PEM) that issued the cluster members' certificates
 * @param serverCn the common name the members' certificates carry
 */
public record ClusterEntry(
    int index,
    String host,
    int port,
    Path clientCert,
    Path clientKey,
    Path caFile,
    String serverCn) {

  /** The cluster crypto port used when {@code LNHServerNN} gives none. */
  public static final int DEFAULT_PORT = 50052;

  /** The number of cluster positions on a client (indexes 00 to 09). */
  public static final int MAX_CLUSTERS = 10;

  /**
   * Validates every component.
   *
   * @throws IllegalArgumentException naming the bad component, its value and the rule
   */
  public ClusterEntry {
    if (index < 0 || index >= MAX_CLUSTERS) {
      throw new IllegalArgumentException("cluster index must be 0-9 (00-09), got " + index);
    }
    Objects.requireNonNull(host, "host");
    if (host.isEmpty() || host.chars().anyMatch(c -> c <= ' ' || c == ';' || c == '"')) {
      throw new IllegalArgumentException(
          "host must be a host name or IP address without blanks, ';' or quotes, got '"
              + host
              + "'");
    }
    if (host.startsWith("[") || host.endsWith("]")) {
      throw new IllegalArgumentException(
          "host must be given without brackets (they are added for IPv6), got '" + host + "'");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be 1-65535, got " + port);
    }
    Objects.requireNonNull(clientCert, "clientCert");
    Objects.requireNonNull(clientKey, "clientKey");
    Objects.requireNonNull(caFile, "caFile");
    Objects.requireNonNull(serverCn, "serverCn");
    if (serverCn.isBlank()) {
      throw new IllegalArgumentException("serverCn must not be blank");
    }
  }

  /** {@code host:port} as written in {@code LNHServerNN}; IPv6 hosts are put in brackets. */
  public String server() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /** The index as the two digits that end this cluster's keys, e.g. {@code "03"}. */
  public String indexSuffix() {
    return String.format("%02d", index);
  }

  /** Returns this entry at another position. */
  public ClusterEntry withIndex(int newIndex) {
    return new ClusterEntry(newIndex, host, port, clientCert, clientKey, caFile, serverCn);
  }
}
