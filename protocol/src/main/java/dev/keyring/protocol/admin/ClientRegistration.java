package dev.keyring.protocol.admin;

/**
 * Client registration through the admin API: {@code POST /api/clusters/{clusterID}/clients} as an
 * appliance user with the {@code admin} role (HTTP Basic or a session cookie). The cluster CA signs
 * the client's CSR; the answer carries what the client writes into its configuration file.
 */
public final class ClientRegistration {
  private ClientRegistration() {}

  /**
   * @param commonName the client certificate's CN ({@code -n}); must equal the CSR subject's CN
   * @param csr a PKCS#10 certificate request, PEM
   * @param label an optional client label ({@code -l})
   * @param monitorUser an optional appliance user with the monitor role to associate ({@code -u})
   */
  public record Request(String commonName, String csr, String label, String monitorUser) {}

  /**
   * @param certificate the client certificate, PEM
   * @param caCertificate the cluster CA certificate, PEM: the only CA the client trusts for the
   *     crypto API
   * @param clusterId the cluster's UUID
   * @param cryptoHost the host the client reaches the member's crypto API at
   * @param cryptoPort the crypto API's port
   * @param serverCommonName the member certificate's CN ({@code LNHServerCNNN})
   */
  public record Response(
      String certificate,
      String caCertificate,
      String clusterId,
      String cryptoHost,
      int cryptoPort,
      String serverCommonName) {}
}
