package dev.keyring.samples.kafka;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.ClientUtils;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.SecurityConfig;
import org.apache.kafka.common.config.internals.BrokerSecurityConfigs;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.network.ChannelBuilder;
import org.apache.kafka.common.network.ChannelBuilders;
import org.apache.kafka.common.network.CipherInformation;
import org.apache.kafka.common.network.KafkaChannel;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.network.NetworkReceive;
import org.apache.kafka.common.network.NetworkSend;
import org.apache.kafka.common.network.Selector;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;

/**
 * A broker-side SSL listener and a client, each a Kafka {@link Selector} over Kafka's own SSL
 * channel builder, built from properties exactly as a broker's listener and a client build theirs,
 * talking over loopback.
 */
public final class KafkaLoopback implements AutoCloseable {
  /**
   * What one round trip showed.
   *
   * @param clientPrincipal the principal the broker side derived from the client's certificate
   * @param protocol the negotiated TLS version
   * @param cipherSuite the negotiated cipher suite
   * @param received the payload as the broker received it
   * @param reply the broker's answer as the client received it
   */
  public record Exchange(
      String clientPrincipal, String protocol, String cipherSuite, byte[] received, byte[] reply) {}

  private static final int MAX_POLLS = 2_000;
  private static final String BROKER_NODE = "broker";

  private final ServerSocketChannel listener;
  private final Metrics metrics = new Metrics();
  private final Selector server;
  private final Selector client;
  private final List<String> accepted = new ArrayList<>();

  private KafkaLoopback(
      ServerSocketChannel listener, ChannelBuilder serverSide, ChannelBuilder clientSide) {
    this.listener = listener;
    LogContext log = new LogContext();
    this.server = new Selector(60_000, metrics, Time.SYSTEM, "broker", serverSide, log);
    this.client = new Selector(60_000, metrics, Time.SYSTEM, "client", clientSide, log);
  }

  /**
   * Binds a loopback port and builds both sides; configuring each channel builder loads its key
   * store and, for the broker side, validates it with a handshake of its own.
   */
  public static KafkaLoopback start(Properties brokerProperties, Properties clientProperties)
      throws IOException {
    ServerSocketChannel listener = ServerSocketChannel.open();
    ChannelBuilder serverSide = null;
    ChannelBuilder clientSide = null;
    try {
      listener.bind(new InetSocketAddress("127.0.0.1", 0));
      listener.configureBlocking(false);
      serverSide = brokerChannelBuilder(brokerProperties);
      Properties c = new Properties();
      c.putAll(clientProperties);
      c.setProperty(
          AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
          "127.0.0.1:" + ((InetSocketAddress) listener.getLocalAddress()).getPort());
      clientSide =
          ClientUtils.createChannelBuilder(new AdminClientConfig(c), Time.SYSTEM, new LogContext());
      return new KafkaLoopback(listener, serverSide, clientSide);
    } catch (IOException | RuntimeException | Error e) {
      Utils.closeQuietly(serverSide, "broker channel builder");
      Utils.closeQuietly(clientSide, "client channel builder");
      listener.close();
      throw e;
    }
  }

  /**
   * The broker side's channel builder, built the way a broker builds one for an SSL listener named
   * {@code SSL} from its configuration.
   */
  public static ChannelBuilder brokerChannelBuilder(Properties brokerProperties) {
    return ChannelBuilders.serverChannelBuilder(
        ListenerName.forSecurityProtocol(SecurityProtocol.SSL),
        false,
        SecurityProtocol.SSL,
        brokerConfig(brokerProperties),
        null,
        null,
        Time.SYSTEM,
        new LogContext("[broker] "),
        version -> (ApiVersionsResponse) null);
  }

  /** The broker's SSL settings, parsed with the definitions a broker uses for them. */
  public static AbstractConfig brokerConfig(Properties brokerProperties) {
    ConfigDef def =
        new ConfigDef()
            .withClientSslSupport()
            .define(
                SecurityConfig.SECURITY_PROVIDERS_CONFIG,
                ConfigDef.Type.STRING,
                null,
                ConfigDef.Importance.LOW,
                SecurityConfig.SECURITY_PROVIDERS_DOC)
            .define(
                BrokerSecurityConfigs.SSL_CLIENT_AUTH_CONFIG,
                ConfigDef.Type.STRING,
                BrokerSecurityConfigs.SSL_CLIENT_AUTH_DEFAULT,
                ConfigDef.Importance.MEDIUM,
                BrokerSecurityConfigs.SSL_CLIENT_AUTH_DOC)
            .define(
                BrokerSecurityConfigs.SSL_PRINCIPAL_MAPPING_RULES_CONFIG,
                ConfigDef.Type.STRING,
                BrokerSecurityConfigs.DEFAULT_SSL_PRINCIPAL_MAPPING_RULES,
                ConfigDef.Importance.LOW,
                BrokerSecurityConfigs.SSL_PRINCIPAL_MAPPING_RULES_DOC)
            .define(
                BrokerSecurityConfigs.PRINCIPAL_BUILDER_CLASS_CONFIG,
                ConfigDef.Type.CLASS,
                BrokerSecurityConfigs.PRINCIPAL_BUILDER_CLASS_DEFAULT,
                ConfigDef.Importance.MEDIUM,
                BrokerSecurityConfigs.PRINCIPAL_BUILDER_CLASS_DOC);
    return new AbstractConfig(def, brokerProperties, false);
  }

  /**
   * Connects the client to the broker side, polls both until the TLS handshake is done on both
   * ends, sends {@code payload} as one size-prefixed message and has the broker side answer it.
   */
  public Exchange roundTrip(byte[] payload) throws IOException {
    client.connect(
        BROKER_NODE,
        (InetSocketAddress) listener.getLocalAddress(),
        Selector.USE_DEFAULT_BUFFER_SIZE,
        Selector.USE_DEFAULT_BUFFER_SIZE);
    String serverId = null;
    for (int i = 0; ; i++) {
      if (i == MAX_POLLS) {
        throw new IOException(
            "no TLS handshake after "
                + MAX_POLLS
                + " polls; broker side: "
                + server.disconnected()
                + ", client: "
                + client.disconnected());
      }
      serverId = serverId == null ? accept() : serverId;
      client.poll(5);
      server.poll(5);
      failOnDisconnect();
      if (serverId != null
          && client.isChannelReady(BROKER_NODE)
          && server.isChannelReady(serverId)) {
        break;
      }
    }
    KafkaChannel accepted = server.channel(serverId);
    String principal = accepted.principal().toString();
    CipherInformation cipher = accepted.channelMetadataRegistry().cipherInformation();

    client.send(
        new NetworkSend(
            BROKER_NODE,
            org.apache.kafka.common.network.ByteBufferSend.sizePrefixed(ByteBuffer.wrap(payload))));
    byte[] received = receive(server, serverId);
    byte[] answer = ("received " + received.length + " bytes").getBytes(StandardCharsets.UTF_8);
    server.send(
        new NetworkSend(
            serverId,
            org.apache.kafka.common.network.ByteBufferSend.sizePrefixed(ByteBuffer.wrap(answer))));
    byte[] reply = receive(client, BROKER_NODE);
    return new Exchange(
        principal,
        cipher == null ? null : cipher.protocol(),
        cipher == null ? null : cipher.cipher(),
        received,
        reply);
  }

  private String accept() throws IOException {
    SocketChannel s = listener.accept();
    if (s == null) {
      return null;
    }
    s.configureBlocking(false);
    s.socket().setTcpNoDelay(true);
    String id = Selector.generateConnectionId(s.socket(), accepted.size());
    server.register(id, s);
    accepted.add(id);
    return id;
  }

  private byte[] receive(Selector at, String from) throws IOException {
    for (int i = 0; i < MAX_POLLS; i++) {
      other(at).poll(5);
      at.poll(5);
      failOnDisconnect();
      for (NetworkReceive r : at.completedReceives()) {
        if (r.source().equals(from)) {
          ByteBuffer b = r.payload();
          byte[] out = new byte[b.remaining()];
          b.get(out);
          return out;
        }
      }
    }
    throw new IOException("no message from " + from + " after " + MAX_POLLS + " polls");
  }

  private Selector other(Selector s) {
    return s == server ? client : server;
  }

  private void failOnDisconnect() throws IOException {
    if (!server.disconnected().isEmpty() || !client.disconnected().isEmpty()) {
      Map<String, Object> states = new HashMap<>();
      states.putAll(server.disconnected());
      states.putAll(client.disconnected());
      throw new IOException("a side disconnected: " + states);
    }
  }

  @Override
  public void close() throws IOException {
    Utils.closeQuietly(client, "client selector");
    Utils.closeQuietly(server, "broker selector");
    Utils.closeQuietly(metrics, "metrics");
    listener.close();
  }
}
