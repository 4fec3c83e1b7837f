package dev.keyring.client.registration;

import dev.keyring.client.api.TransportException;
import dev.keyring.client.config.ClientConfig;
import dev.keyring.client.config.ClusterEntry;
import dev.keyring.client.config.ConfigFile;
import dev.keyring.client.config.ConfigFileException;
import dev.keyring.client.internal.transport.PemFiles;
import dev.keyring.protocol.HsmException;
import dev.keyring.protocol.admin.ClientRegistration;
import dev.keyring.protocol.cli.CliException;
import dev.keyring.protocol.cli.CommandLines;
import dev.keyring.protocol.cli.FingerprintTrust;
import dev.keyring.protocol.cli.Secrets;
import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Callable;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keyring-register}: registers this client with a cluster, as Luna's {@code
 * LNHClientRegistration} does. It makes an EC P-256 key pair and a CSR, has the cluster CA sign it
 * through a member's admin API, saves the certificate, the key (mode 600) and the cluster CA, and
 * writes the cluster's five {@code LNHServer...NN} entries into the client configuration file, with
 * the JCA provider's {@code Keyring Provider} section ({@link ProviderSection}; {@code
 * --default-slot} names its default keyring). Nothing is written unless the whole registration
 * succeeded.
 *
 * <p>Exit codes: 0 registered; 1 refused by the appliance (its code and message are printed); 2 bad
 * usage or input (including all ten positions in use); 3 network or TLS failure.
 *
 * <p>Run it as {@code java -cp ... dev.keyring.client.registration.RegisterCommand -n CN -i HOST -c
 * CLUSTER_ID}.
 */
@Command(
    name = "keyring-register",
    mixinStandardHelpOptions = true,
    version = "keyring-register 0.1.0",
    sortOptions = false,
    usageHelpAutoWidth = true,
    exitCodeOnInvalidInput = RegisterCommand.BAD_INPUT,
    exitCodeOnExecutionException = RegisterCommand.NETWORK,
    description = {
      "Registers this client with a Keyring cluster through one member's admin API: makes an EC"
          + " P-256 key and a CSR, has the cluster CA sign it, saves the certificate, the key"
          + " (mode 600) and the cluster CA under DIR/CLUSTER_ID/, and writes LNHServerNN,"
          + " LNHServerClientCertNN, LNHServerClientKeyNN, LNHServerCAFileNN and LNHServerCNNN"
          + " into the 'LunaSA Client' section of the configuration file.",
      "Without -m the cluster takes position 00 (an existing 00 is replaced); with -m the next"
          + " free position 01..09. Nothing is written unless the whole registration succeeded.",
      "It also writes the 'Keyring Provider' section the JCA provider reads: with --default-slot,"
          + " DefaultSlot and DefaultCluster (this registration's position); without it, when"
          + " the file has no such section yet, one with DefaultCluster (the provider's default"
          + " cluster). Other keys and sections of the file are kept as they are."
    },
    footer = {
      "",
      "Admin API trust: the appliance's admin certificate is self-signed. With"
          + " --admin-fingerprint only a certificate with that SHA-256 fingerprint is accepted."
          + " Without it the certificate is trusted on first use and its fingerprint is printed:"
          + " compare it with the fingerprint the appliance shows for its certificate before"
          + " relying on this registration, and pass --admin-fingerprint next time.",
      "",
      "Admin password: --admin-password-file, else the environment variable"
          + " KEYRING_ADMIN_PASSWORD, else a prompt when a console is attached.",
      "",
      "Example: keyring-register -n 10.1.2.3 -i 10.0.0.5 -c 6f1c2a4e-3b2d-4c5e-9f10-1a2b3c4d5e6f"
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:registered",
      "1:refused by the appliance (its code and message are printed)",
      "2:bad usage or input, or all 10 positions in use",
      "3:network or TLS failure"
    })
public final class RegisterCommand implements Callable<Integer> {
  /** Registered. */
  public static final int OK = 0;

  /** The appliance refused (wrong admin password, unknown cluster, CN in use, ...). */
  public static final int REFUSED = 1;

  /** Bad usage or input: an option, the configuration file, all positions in use, a local file. */
  public static final int BAD_INPUT = 2;

  /** The appliance could not be reached, TLS failed, or it answered something else. */
  public static final int NETWORK = 3;

  /** The admin port the seed's registration script uses. */
  public static final int DEFAULT_ADMIN_PORT = 50070;

  /** The environment variable read for the admin password. */
  public static final String PASSWORD_ENV = "KEYRING_ADMIN_PASSWORD";

  /** The environment variable read for the configuration file's path. */
  public static final String CONFIG_ENV = ClientConfig.CONFIG_ENV;

  private static final Duration CERT_VALIDITY_MARGIN = Duration.ofMinutes(5);

  @Option(
      names = "-n",
      required = true,
      paramLabel = "CN",
      description = "Common name for the client certificate (usually this client's IP address).")
  String commonName;

  @Option(
      names = "-i",
      required = true,
      paramLabel = "HOST[:ADMIN_PORT]",
      description =
          "A member of the cluster that accepts this client (admin port 50070 unless given).")
  String member;

  @Option(
      names = "-c",
      required = true,
      paramLabel = "CLUSTER_ID",
      description = "The cluster's ID (a UUID).")
  String clusterId;

  @Option(names = "-l", paramLabel = "LABEL", description = "An optional label for the client.")
  String label;

  @Option(
      names = "-u",
      paramLabel = "MONITOR_USER",
      description =
          "An optional appliance user with the monitor role to associate with the client.")
  String monitorUser;

  @Option(
      names = "-m",
      description = "Add the cluster at the next free position (01..09) instead of replacing 00.")
  boolean multiple;

  @Option(
      names = "--default-slot",
      paramLabel = "KEYRING",
      description =
          "The keyring (label or UUID) that KeyStore.load(null, password) opens: written as"
              + " DefaultSlot, with DefaultCluster = this registration's position, in section"
              + " 'Keyring Provider' of the configuration file.")
  String defaultSlot;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "The client configuration file (default: $"
              + CONFIG_ENV
              + ", else ~/.keyring/Chrystoki.conf).")
  Path config;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description =
          "Where certificates and keys go, in DIR/CLUSTER_ID/ (default: certs/ beside the configuration file).")
  Path dir;

  @Option(
      names = "--admin-user",
      paramLabel = "USER",
      defaultValue = "admin",
      description = "Appliance user with the admin role (default: ${DEFAULT-VALUE}).")
  String adminUser;

  @Option(
      names = "--admin-password-file",
      paramLabel = "FILE",
      description = "File whose first line is the admin password.")
  Path adminPasswordFile;

  @Option(
      names = "--admin-fingerprint",
      paramLabel = "SHA256HEX",
      description =
          "SHA-256 fingerprint of the appliance's admin certificate (hex, colons allowed).")
  String adminFingerprint;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "30",
      description = "Network timeout in seconds (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  private final PrintWriter out;
  private final PrintWriter err;
  private final Map<String, String> env;

  RegisterCommand(PrintWriter out, PrintWriter err, Map<String, String> env) {
    this.out = out;
    this.err = err;
    this.env = env;
  }

  /** Runs the command as a script would, and exits with its code. */
  public static void main(String[] args) {
    int code =
        run(
            new PrintWriter(System.out, true, StandardCharsets.UTF_8),
            new PrintWriter(System.err, true, StandardCharsets.UTF_8),
            System.getenv(),
            args);
    System.exit(code);
  }

  /**
   * Runs the command with these streams and environment; returns the exit code.
   *
   * @param env the environment ({@value #PASSWORD_ENV}, {@value #CONFIG_ENV}, {@code HOME})
   */
  public static int run(PrintWriter out, PrintWriter err, Map<String, String> env, String... args) {
    return CommandLines.execute(
        CommandLines.withFailureReports(
            new CommandLine(new RegisterCommand(out, err, Map.copyOf(env)))),
        out,
        err,
        args);
  }

  /** A problem with what the operator gave: exit code 2. */
  private static final class BadInput extends Exception {
    private static final long serialVersionUID = 1L;

    BadInput(String message) {
      super(message, null, false, false);
    }
  }

  @Override
  public Integer call() {
    try {
      return register();
    } catch (BadInput e) {
      err.println("keyring-register: " + e.getMessage());
      err.println("Nothing was written.");
      return BAD_INPUT;
    } catch (HsmException e) {
      err.println(
          "keyring-register: the appliance refused the registration: "
              + e.code().name()
              + String.format(Locale.ROOT, " (0x%X)", e.code().value())
              + ": "
              + e.detail());
      err.println("Nothing was written.");
      return REFUSED;
    } catch (TransportException e) {
      err.println("keyring-register: " + e.getMessage());
      err.println("Nothing was written.");
      return NETWORK;
    }
  }

  private int register() throws BadInput, TransportException {
    // ---- everything the operator gave is checked before anything is made or sent
    checkCommonName(commonName);
    UUID cluster;
    try {
      cluster = UUID.fromString(clusterId);
      if (!cluster.toString().equalsIgnoreCase(clusterId)) {
        throw new IllegalArgumentException();
      }
    } catch (IllegalArgumentException e) {
      throw new BadInput(
          "-c must be the cluster ID, a UUID such as 6f1c2a4e-3b2d-4c5e-9f10-1a2b3c4d5e6f; got '"
              + clusterId
              + "'");
    }
    String[] hostPort = hostAndPort(member);
    if (timeoutSeconds < 1 || timeoutSeconds > 3600) {
      throw new BadInput("--timeout must be 1 to 3600 seconds, got " + timeoutSeconds);
    }
    String pin = null;
    if (adminFingerprint != null) {
      pin = FingerprintTrust.normalize(adminFingerprint);
      if (pin == null) {
        throw new BadInput(
            "--admin-fingerprint must be a SHA-256 fingerprint: 64 hex digits, colons allowed; got '"
                + adminFingerprint
                + "'");
      }
    }
    if (label != null && label.isBlank()) {
      throw new BadInput("-l must not be blank");
    }
    if (monitorUser != null && monitorUser.isBlank()) {
      throw new BadInput("-u must not be blank");
    }
    if (defaultSlot != null && !ProviderSection.isSlotName(defaultSlot)) {
      throw new BadInput(
          "--default-slot must name a keyring: its label (1 to 256 UTF-8 bytes, no control"
              + " characters, no leading or trailing blanks) or its UUID; got '"
              + defaultSlot
              + "'");
    }
    Path configPath = configPath();
    Path certDir =
        (dir != null ? dir : configPath.toAbsolutePath().getParent().resolve("certs"))
            .toAbsolutePath()
            .resolve(cluster.toString());
    ClientConfig current = readConfig(configPath);
    int index;
    if (multiple) {
      try {
        index = current.nextFreeIndex();
      } catch (IllegalStateException full) {
        throw new BadInput(configPath + ": " + full.getMessage());
      }
    } else {
      index = 0;
    }
    String password = adminPassword();

    // ---- the appliance signs a CSR for a key made here
    ClientIdentity identity = ClientIdentity.create(commonName);
    FingerprintTrust trust = new FingerprintTrust(pin, "the admin API", "--admin-fingerprint");
    ClientRegistration.Response answer;
    try (AdminApiClient admin =
        new AdminApiClient(
            hostPort[0],
            Integer.parseInt(hostPort[1]),
            trust,
            Duration.ofSeconds(timeoutSeconds))) {
      answer =
          admin.register(
              cluster.toString(),
              new ClientRegistration.Request(commonName, identity.csrPem, label, monitorUser),
              adminUser,
              password);
    } finally {
      trust.reportFirstUse(err, "The admin API at " + member);
    }
    Checked checked = check(answer, identity, cluster);

    // ---- files are staged, then moved into place with the configuration
    Path certFile = certDir.resolve(commonName + ".pem");
    Path keyFile = certDir.resolve(commonName + "Key.pem");
    Path caFile = certDir.resolve("ca.pem");
    ClusterEntry entry;
    try {
      entry =
          new ClusterEntry(
              index,
              checked.host,
              answer.cryptoPort(),
              certFile,
              keyFile,
              caFile,
              answer.serverCommonName());
    } catch (IllegalArgumentException e) {
      throw new TransportException(
          TransportException.Kind.PROTOCOL,
          "the appliance's answer cannot be written as a configuration entry: " + e.getMessage());
    }
    ClientConfig updated =
        ProviderSection.apply(current.withoutCluster(index).withCluster(entry), entry, defaultSlot);
    StagedFiles files = new StagedFiles();
    try {
      files.directory(certDir);
      files.stage(certFile, checked.certificatePem, false);
      files.stage(keyFile, identity.privateKeyPem(), true);
      files.stage(caFile, checked.caPem, false);
      Path configDir = configPath.toAbsolutePath().getParent();
      if (configDir != null) {
        files.directory(configDir);
      }
      files.place();
      updated.write(configPath);
      files.commit();
    } catch (IOException | RuntimeException e) {
      files.rollBack();
      throw new BadInput(
          "the registration succeeded on the appliance but its files could not be written ("
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
              + "); the issued certificate is unusable without the key, which was discarded: fix"
              + " the problem and register again");
    }
    out.println(
        "Registered client '"
            + commonName
            + "' with cluster "
            + cluster
            + " at position "
            + entry.indexSuffix()
            + " of "
            + configPath
            + ":");
    out.println("  LNHServer" + entry.indexSuffix() + " = " + entry.server());
    out.println("  LNHServerClientCert" + entry.indexSuffix() + " = " + certFile);
    out.println("  LNHServerClientKey" + entry.indexSuffix() + " = " + keyFile + " (mode 600)");
    out.println("  LNHServerCAFile" + entry.indexSuffix() + " = " + caFile);
    out.println("  LNHServerCN" + entry.indexSuffix() + " = " + entry.serverCn());
    ProviderSection.report(updated, out);
    return OK;
  }

  private record Checked(String host, String certificatePem, String caPem) {}

  /** The answer must be for our key, our CN and this cluster, and the CA must have signed it. */
  private Checked check(ClientRegistration.Response a, ClientIdentity identity, UUID cluster)
      throws TransportException {
    if (a.certificate() == null
        || a.caCertificate() == null
        || a.cryptoHost() == null
        || a.cryptoHost().isBlank()
        || a.serverCommonName() == null
        || a.serverCommonName().isBlank()
        || a.clusterId() == null) {
      throw protocol(
          "the appliance's answer lacks a certificate, the CA, the crypto host or the server name");
    }
    if (a.cryptoPort() < 1 || a.cryptoPort() > 65535) {
      throw protocol("the appliance's answer has crypto port " + a.cryptoPort() + ", not 1-65535");
    }
    if (!a.clusterId().equalsIgnoreCase(cluster.toString())) {
      throw protocol("the appliance answered for cluster " + a.clusterId() + ", not " + cluster);
    }
    List<X509Certificate> certs =
        PemFiles.parseCertificates(a.certificate(), "the issued certificate");
    List<X509Certificate> cas =
        PemFiles.parseCertificates(a.caCertificate(), "the cluster CA certificate");
    X509Certificate cert = certs.get(0);
    if (!cert.getPublicKey().equals(identity.keyPair.getPublic())) {
      throw protocol("the issued certificate is not for the key this registration made");
    }
    if (!commonNameOf(cert).equals(commonName)) {
      throw protocol(
          "the issued certificate's CN is '" + commonNameOf(cert) + "', not '" + commonName + "'");
    }
    boolean signed = false;
    for (X509Certificate ca : cas) {
      try {
        cert.verify(ca.getPublicKey());
        signed = true;
        break;
      } catch (java.security.GeneralSecurityException e) {
        // try the next one
      }
    }
    if (!signed) {
      throw protocol(
          "the issued certificate was not signed by the cluster CA the appliance returned");
    }
    try {
      cert.checkValidity(
          new java.util.Date(System.currentTimeMillis() + CERT_VALIDITY_MARGIN.toMillis()));
    } catch (java.security.cert.CertificateException e) {
      throw protocol("the issued certificate is not valid now: " + e.getMessage());
    }
    String host = a.cryptoHost().strip();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new Checked(host, normalizePem(a.certificate()), normalizePem(a.caCertificate()));
  }

  private static String normalizePem(String pem) {
    String t = pem.replace("\r\n", "\n").strip();
    return t + "\n";
  }

  private static String commonNameOf(X509Certificate cert) {
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return String.valueOf(rdn.getValue());
        }
      }
    } catch (InvalidNameException e) {
      return "";
    }
    return "";
  }

  private static TransportException protocol(String message) {
    return new TransportException(TransportException.Kind.PROTOCOL, message);
  }

  // ---- input

  static void checkCommonName(String cn) throws BadInput {
    if (cn == null || !cn.matches("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")) {
      throw new BadInput(
          "-n must be 1 to 64 letters, digits, '.', '_', ':' or '-', starting with a letter or"
              + " digit (it names the certificate files); got '"
              + cn
              + "'");
    }
  }

  /** {@code host}, {@code host:port}, {@code [v6]}, {@code [v6]:port} or a bare IPv6 address. */
  static String[] hostAndPort(String value) throws BadInput {
    String host;
    String port = null;
    if (value == null || value.isBlank()) {
      throw new BadInput("-i must name a member: HOST or HOST:ADMIN_PORT");
    }
    if (value.startsWith("[")) {
      int close = value.indexOf(']');
      if (close < 0 || (close + 1 < value.length() && value.charAt(close + 1) != ':')) {
        throw new BadInput("-i '" + value + "' is not [IPv6] or [IPv6]:PORT");
      }
      host = value.substring(1, close);
      port = close + 1 < value.length() ? value.substring(close + 2) : null;
    } else {
      int colon = value.indexOf(':');
      if (colon >= 0 && colon == value.lastIndexOf(':')) {
        host = value.substring(0, colon);
        port = value.substring(colon + 1);
      } else {
        host = value;
      }
    }
    if (host.isEmpty() || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@')) {
      throw new BadInput("-i '" + value + "' does not name a host");
    }
    if (port == null) {
      port = Integer.toString(DEFAULT_ADMIN_PORT);
    } else if (!port.matches("\\d{1,5}")
        || Integer.parseInt(port) < 1
        || Integer.parseInt(port) > 65535) {
      throw new BadInput("-i '" + value + "': the admin port must be 1-65535, got '" + port + "'");
    }
    return new String[] {host, port};
  }

  private Path configPath() {
    return config != null ? config : ClientConfig.defaultPath(env);
  }

  private static ClientConfig readConfig(Path path) throws BadInput {
    try {
      if (!Files.exists(path)) {
        return ClientConfig.of(ConfigFile.parse("", path.toString()));
      }
      return ClientConfig.read(path);
    } catch (ConfigFileException e) {
      throw new BadInput(e.getMessage() + " (fix the configuration file first)");
    } catch (IOException e) {
      throw new BadInput(path + " cannot be read: " + e.getMessage());
    }
  }

  private String adminPassword() throws BadInput {
    if (adminPasswordFile != null) {
      try {
        return Secrets.firstLine(adminPasswordFile, "--admin-password-file");
      } catch (CliException e) {
        throw new BadInput(e.getMessage());
      }
    }
    String pw = env.get(PASSWORD_ENV);
    if (pw != null && !pw.isEmpty()) {
      return pw;
    }
    Console console = System.console();
    if (console != null) {
      char[] typed = console.readPassword("Password for appliance user '%s': ", adminUser);
      if (typed != null && typed.length > 0) {
        return new String(typed);
      }
    }
    throw new BadInput(
        "the admin password is needed: give --admin-password-file FILE or set " + PASSWORD_ENV);
  }

  @Override
  public String toString() {
    return "RegisterCommand[" + Objects.toString(commonName) + " -> " + member + "]";
  }
}
