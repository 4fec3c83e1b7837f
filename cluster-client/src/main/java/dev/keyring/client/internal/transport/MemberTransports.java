package dev.keyring.client.internal.transport;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.api.TransportOptions;
import dev.keyring.client.channel.ReadYourWrites;
import dev.keyring.client.config.ClusterEntry;
import java.util.Objects;

/**
 * Builds the transports to the members of one cluster from one TLS identity: the client
 * certificate, key and CA file of the cluster entry are read once, and every member's transport
 * trusts only that CA, and they share the cluster's read-your-writes position ({@link
 * ReadYourWrites}). Each transport checks the name on its member's certificate separately (see
 * {@link ServerNameVerifier}).
 */
public final class MemberTransports {
  private final ClientTls tls;
  private final TransportOptions options;
  private final ReadYourWrites positions = new ReadYourWrites();

  private MemberTransports(ClientTls tls, TransportOptions options) {
    this.tls = tls;
    this.options = options;
  }

  /**
   * Reads the TLS identity of {@code entry}, and checks the crypto channel's switches ({@link
   * ChannelSwitches}) so that a bad value is refused here, as the other system properties are when
   * the options are built, not by each connection to a member.
   *
   * @throws TransportException of kind CONFIGURATION naming the file at fault
   * @throws IllegalArgumentException naming a switch set to neither {@code true} nor {@code false}
   */
  public static MemberTransports load(ClusterEntry entry, TransportOptions options)
      throws TransportException {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(options, "options");
    ChannelSwitches.read();
    return new MemberTransports(ClientTls.load(entry), options);
  }

  /**
   * A transport to the crypto API at {@code host}:{@code port}, whose certificate must carry {@code
   * memberName}. No connection is made until the first call.
   *
   * @param description how messages name the member
   */
  public HttpTransport open(String host, int port, String memberName, String description) {
    return HttpTransport.open(tls, options, host, port, memberName, description, positions);
  }

  /**
   * The binary crypto channel to the member whose channel listens at {@code host}:{@code port} and
   * whose certificate must carry {@code memberName}. No connection is made until the first call.
   */
  public ChannelMemberChannel openChannel(
      String host, int port, String memberName, String description) {
    return new ChannelMemberChannel(
        tls, options, host, port, memberName, description + " channel :" + port, positions);
  }

  /** The read-your-writes position every transport this builds sends and raises. */
  public ReadYourWrites positions() {
    return positions;
  }
}
