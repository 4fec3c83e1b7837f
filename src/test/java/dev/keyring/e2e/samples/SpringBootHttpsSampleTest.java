package dev.keyring.e2e.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.keyring.e2e.WatchedClusters;
import dev.keyring.e2e.tls.PeerTool;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.samples.LocalCluster;
import dev.keyring.samples.ServerCertificates;
import dev.keyring.samples.tomcat.TomcatHttpsSample;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spring Boot 3 sample ({@code samples-spring-boot}) serves HTTPS from Boot's embedded Tomcat
 * with its key on a keyring, configured by {@code server.ssl.key-store-type=Keyring} or by an SSL
 * bundle, started as a user starts it: with a flat class path, and as the {@code java -jar} fat
 * jar. System {@code curl}, trusting the keyring's certificate only, fetches the page and shows the
 * certificate the server sent. The fat jar with nothing but a {@code java.security} line fails to
 * start, as documented.
 */
class SpringBootHttpsSampleTest {
  private static final String PASSWORD = "boot-test-pw-1";
  private static final String ALIAS = "web";
  private static final String PAGE =
      "Hello over HTTPS from Spring Boot; the TLS key stays on its keyring.\n";
  private static final Pattern STARTED =
      Pattern.compile("Tomcat started on port (\\d+) \\(https\\)");
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----");

  /** JVM options that shorten a start on a small machine (C1 only, serial GC); nothing else. */
  private static final List<String> QUICK_START =
      List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

  @TempDir static Path dir;
  static LocalCluster cluster;
  static Path slotFile;
  static Path securityFile;
  static Path certificatePem;
  static X509Certificate certificate;

  @BeforeAll
  static void provision() throws Exception {
    PeerTool.require("curl", "--version");
    for (String p : List.of("jar", "fatjar", "lib")) {
      Path f = Path.of(System.getProperty("keyring.springboot." + p, "(unset)"));
      if (!Files.exists(f)) {
        fail(f + " is missing: build the sample first (mvn -B install -pl samples-spring-boot)");
      }
    }
    cluster = WatchedClusters.start(dir.resolve("home"));
    cluster.createKeyring(ALIAS, PASSWORD);
    slotFile = cluster.writeSlotFile(ALIAS);
    KeyringProvider provider = new KeyringProvider(cluster.clientConfig());
    Security.addProvider(provider);
    try {
      certificate = TomcatHttpsSample.ensureServerKey(slotFile, PASSWORD, ALIAS);
    } finally {
      Security.removeProvider(KeyringProvider.NAME);
      provider.close();
    }
    certificatePem = ServerCertificates.writePem(certificate, dir.resolve("web.pem"));
    // providers 1 to 12 are the JDK's own
    securityFile = dir.resolve("keyring.security");
    Files.writeString(
        securityFile, "security.provider.13=Keyring " + cluster.clientConfig() + "\n");
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void flatClassPath_javaSecurityLine_serverSslKeyStoreTypeKeyring_servesTheKeyringCertificate()
      throws Exception {
    servesTheKeyringCertificate(
        "flat-keystore", flat(List.of("-Djava.security.properties=" + securityFile)), "keystore");
  }

  @Test
  void flatClassPath_javaSecurityLine_sslBundle_servesTheKeyringCertificate() throws Exception {
    servesTheKeyringCertificate(
        "flat-bundle", flat(List.of("-Djava.security.properties=" + securityFile)), "bundle");
  }

  @Test
  void fatJar_providerRegisteredInMain_sslBundle_servesTheKeyringCertificate() throws Exception {
    servesTheKeyringCertificate(
        "fat-main",
        List.of("-Dkeyring.config=" + cluster.clientConfig(), "-jar", prop("fatjar")),
        "bundle");
  }

  @Test
  void fatJar_providerAllOnBootClassPath_javaSecurityLine_serverSsl_servesTheKeyringCertificate()
      throws Exception {
    servesTheKeyringCertificate(
        "fat-bootclasspath",
        List.of(
            "-Xbootclasspath/a:" + Path.of(prop("lib"), "keyring-provider-all.jar"),
            "-Djava.security.properties=" + securityFile,
            "-jar",
            prop("fatjar")),
        "keystore");
  }

  @Test
  void fatJar_javaSecurityLineAlone_doesNotStart_theKeyringKeyStoreIsUnknown() throws Exception {
    List<String> args = new ArrayList<>(QUICK_START);
    args.addAll(List.of("-Djava.security.properties=" + securityFile, "-jar", prop("fatjar")));
    args.addAll(appArgs("keystore"));
    try (SampleProcess app = SampleProcess.java(dir, "fat-line-alone", args, env())) {
      Optional<Matcher> started = app.awaitLine(STARTED);
      assertTrue(
          started.isEmpty(), "started although the provider is not loadable" + app.transcript());
      assertNotEquals(0, app.awaitExit(), app.transcript());
      assertTrue(
          app.output()
              .contains("java.security.NoSuchAlgorithmException: Keyring KeyStore not available"),
          app.transcript());
    }
    assertEquals(0, cluster.cluster().member(0).openSessions(), "sessions left open");
  }

  @Test
  void fatJar_keyringConfigNamingNoFile_stopsBeforeSpringStarts_namingTheFile() throws Exception {
    Path missing = dir.resolve("no-such-Chrystoki.conf");
    List<String> args = new ArrayList<>(QUICK_START);
    args.addAll(List.of("-Dkeyring.config=" + missing, "-jar", prop("fatjar")));
    args.addAll(appArgs("bundle"));
    try (SampleProcess app = SampleProcess.java(dir, "fat-no-config", args, env())) {
      assertNotEquals(0, app.awaitExit(), app.transcript());
      assertTrue(
          app.output().contains("keyring.config names " + missing + ", which is not a file"),
          app.transcript());
      assertFalse(app.output().contains("Starting KeyringBootApp"), app.transcript());
    }
  }

  // ------------------------------------------------------------------ helpers

  private static void servesTheKeyringCertificate(String name, List<String> launch, String profile)
      throws Exception {
    List<String> args = new ArrayList<>(QUICK_START);
    args.addAll(launch);
    args.addAll(appArgs(profile));
    try (SampleProcess app = SampleProcess.java(dir, name, args, env())) {
      Matcher started =
          app.awaitLine(STARTED)
              .orElseThrow(() -> new AssertionError("the application ended" + app.transcript()));
      int port = Integer.parseInt(started.group(1));
      Path body = Files.createTempFile(dir, name + "-body-", ".txt");
      PeerTool.Run curl =
          PeerTool.run(
              dir,
              "",
              List.of(
                  "curl",
                  "-sS",
                  "--cacert",
                  certificatePem.toString(),
                  "--resolve",
                  "localhost:" + port + ":127.0.0.1",
                  "-o",
                  body.toString(),
                  "-w",
                  "%{certs}",
                  "https://localhost:" + port + "/"));
      assertEquals(0, curl.exit(), curl.transcript() + app.transcript());
      assertEquals(PAGE, Files.readString(body, StandardCharsets.UTF_8), curl.transcript());
      Matcher pem = PEM.matcher(curl.out());
      assertTrue(pem.find(), "curl showed no certificate" + curl.transcript());
      X509Certificate served =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(
                      new ByteArrayInputStream(pem.group().getBytes(StandardCharsets.US_ASCII)));
      assertEquals(certificate, served, "the server sent another certificate");
    }
    assertEquals(0, cluster.cluster().member(0).openSessions(), "sessions left open");
  }

  private static List<String> flat(List<String> jvmOptions) {
    List<String> out = new ArrayList<>(jvmOptions);
    out.add("-cp");
    out.add(prop("jar") + ":" + prop("lib") + "/*");
    out.add("dev.keyring.samples.springboot.KeyringBootApp");
    return out;
  }

  private static List<String> appArgs(String profile) {
    return List.of(
        "--spring.profiles.active=" + profile,
        "--keyring.slot-file=" + slotFile,
        "--server.port=0");
  }

  private static Map<String, String> env() {
    return Map.of("KEYRING_KRCO_PASSWORD", PASSWORD);
  }

  private static String prop(String name) {
    return System.getProperty("keyring.springboot." + name);
  }
}
