package dev.keyring.samples.signing;

import dev.keyring.samples.LocalCluster;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * The JDK's own {@code keytool} and {@code jarsigner} working on a keyring through the Keyring
 * provider, run as real child processes of {@code java.home/bin}. The cluster member runs in this
 * JVM (a {@link LocalCluster}); the tools reach it over loopback with the registered client's
 * configuration file.
 *
 * <h2>The command lines (JDK 17)</h2>
 *
 * <pre>
 * keytool   -providerClass dev.keyring.provider.KeyringProvider -providerArg Chrystoki.conf
 *           -providerPath CLASSPATH
 *           -storetype Keyring -keystore app.keyring -storepass:env KEYRING_PASSWORD ...
 * jarsigner -J-cp -JCLASSPATH
 *           -providerClass dev.keyring.provider.KeyringProvider -providerArg Chrystoki.conf
 *           -storetype Keyring -keystore app.keyring -storepass:env KEYRING_PASSWORD ...
 * </pre>
 *
 * <ul>
 *   <li>CLASSPATH ({@link #providerClassPath()}): the provider jar, {@code keyring-cluster-client},
 *       {@code keyring-protocol} and their dependencies: OkHttp ({@code okhttp-jvm}), Okio, the
 *       Kotlin standard library, BouncyCastle ({@code bcprov}, {@code bcpkix}, {@code bcutil}),
 *       Jackson (databind, core, annotations) and picocli.
 *   <li>keytool 17 honours {@code -providerPath}. jarsigner 17 has no {@code -providerPath}
 *       ("Illegal option"): the provider goes on the tool's own class path with {@code -J-cp}.
 *       {@code -J-cp} works for keytool too, and with the provider on the class path {@code
 *       -addprovider Keyring -providerArg Chrystoki.conf} (found through {@code
 *       META-INF/services/java.security.Provider}) replaces {@code -providerClass}.
 *   <li>{@code -keystore} is the slot file, a properties file {@code slot=<keyring>}; with {@code
 *       -keystore NONE} the KeyStore is loaded from a null stream and uses {@code DefaultSlot} of
 *       section {@code Keyring Provider} in the configuration file. keytool writes the store back
 *       to the {@code -keystore} file after every change; the Keyring KeyStore writes the slot
 *       properties back, so the file stays as it was.
 *   <li>The store password is the keyring's KRCO password, and so is every key password: give
 *       {@code -keypass} the same value (or none). Without {@code -keypass}, {@code keytool
 *       -genkeypair} prompts "Enter key password ... (RETURN if same as keystore password)" on the
 *       terminal; an empty or closed standard input counts as RETURN. A wrong {@code -keypass}
 *       makes jarsigner say "key associated with ALIAS not a private key".
 *   <li>{@code keytool -genkeypair -providerName Keyring} generates the key pair on the keyring
 *       (keytool asks the named provider for the KeyPairGenerator and the self-signing Signature).
 *       Without {@code -providerName} keytool generates a software key (SunEC, SunRsaSign) in its
 *       own memory, self-signs it there, and {@code setKeyEntry} imports it wrapped onto the
 *       keyring: it works, but the private key existed outside the keyring.
 *   <li>jarsigner picks the signature algorithm from the key ({@code SHA256withECDSA} for P-256,
 *       {@code SHA256withRSA} for RSA-2048) and the JDK finds the Keyring Signature by the key (the
 *       provider's {@code SupportedKeyClasses}): no {@code -providerName} is needed.
 *   <li>keytool's creation date is the time the KeyStore was loaded: keyrings record none.
 *   <li>The tools never close the provider; it logs out of the keyring when their JVM exits (a
 *       shutdown hook). Without that the member would keep each run's session until its idle
 *       timeout.
 * </ul>
 *
 * <p>Usage: {@code JarSigningSample [DIR]} (a temporary directory by default).
 */
public final class JarSigningSample {
  /** The keyring the sample works on. */
  public static final String KEYRING = "jars";

  /** Its KRCO password: the store password and every key password. */
  public static final String PASSWORD = "jars-password-1";

  /** The environment variable the tools read the password from ({@code -storepass:env}). */
  public static final String PASSWORD_ENV = "KEYRING_PASSWORD";

  /** The provider class the tools load. */
  public static final String PROVIDER_CLASS = "dev.keyring.provider.KeyringProvider";

  /** A class of every artifact the provider needs at run time, in class path order. */
  private static final List<String> RUNTIME_CLASSES =
      List.of(
          PROVIDER_CLASS,
          "dev.keyring.client.KeyringClient",
          "dev.keyring.protocol.Role",
          "okhttp3.OkHttpClient",
          "okio.Buffer",
          "kotlin.Unit",
          "org.bouncycastle.jce.provider.BouncyCastleProvider",
          "org.bouncycastle.cert.X509CertificateHolder",
          "org.bouncycastle.asn1.cms.ContentInfo",
          "com.fasterxml.jackson.databind.ObjectMapper",
          "com.fasterxml.jackson.core.JsonFactory",
          "com.fasterxml.jackson.annotation.JsonProperty",
          "picocli.CommandLine");

  /** A finished tool: its command line, exit code and what it printed (stdout and stderr). */
  public record ToolRun(List<String> command, int exitCode, String output) {
    /** Throws unless the tool exited 0. */
    public ToolRun requireSuccess() {
      if (exitCode != 0) {
        throw new IllegalStateException(
            String.join(" ", command) + " exited " + exitCode + ":\n" + output);
      }
      return this;
    }
  }

  private final Path clientConfig;
  private final Path slotFile;
  private final Path workDir;
  private final String classPath;
  private final Duration timeout;

  /**
   * @param clientConfig the registered client's configuration file (Chrystoki.conf)
   * @param slotFile a {@code slot=<keyring>} file, the tools' {@code -keystore}
   * @param workDir where jars and requests are written
   * @param timeout how long one tool may run before it is killed
   */
  public JarSigningSample(Path clientConfig, Path slotFile, Path workDir, Duration timeout) {
    this.clientConfig = clientConfig;
    this.slotFile = slotFile;
    this.workDir = workDir;
    this.classPath = String.join(File.pathSeparator, providerClassPath());
    this.timeout = timeout;
  }

  public static void main(String[] args) throws Exception {
    Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("keyring-jar-sample");
    PrintStream out = System.out;
    try (LocalCluster cluster = LocalCluster.start(dir)) {
      cluster.createKeyring(KEYRING, PASSWORD);
      JarSigningSample s =
          new JarSigningSample(
              cluster.clientConfig(),
              cluster.writeSlotFile(KEYRING),
              Files.createDirectories(dir.resolve("work")),
              Duration.ofMinutes(2));
      for (ToolRun r : s.run("signer-ec")) {
        out.println("$ " + String.join(" ", r.command()));
        out.println(r.output());
      }
    }
  }

  /**
   * The whole walk-through; every step must exit 0: list the keyring, generate an EC key pair on it
   * ({@code -providerName Keyring}), list it, write its certificate request, sign a small jar with
   * it, and verify the jar with the plain JDK.
   */
  public List<ToolRun> run(String alias) throws IOException, InterruptedException {
    List<ToolRun> runs = new ArrayList<>();
    runs.add(keytool("-list").requireSuccess());
    runs.add(
        keytool(
                "-genkeypair",
                "-providerName",
                "Keyring",
                "-alias",
                alias,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=" + alias + ",O=Keyring",
                "-validity",
                "365")
            .requireSuccess());
    runs.add(keytool("-list", "-v", "-alias", alias).requireSuccess());
    runs.add(
        keytool("-certreq", "-alias", alias, "-file", csrFile(alias).toString()).requireSuccess());
    Path jar = writeJar(workDir.resolve("app.jar"));
    runs.add(
        jarsigner("-signedjar", signedJar(alias).toString(), jar.toString(), alias)
            .requireSuccess());
    runs.add(verify(signedJar(alias)).requireSuccess());
    return runs;
  }

  /** Where {@link #run} writes the certificate request of {@code alias}. */
  public Path csrFile(String alias) {
    return workDir.resolve(alias + ".csr");
  }

  /** Where {@link #run} writes the jar signed with {@code alias}. */
  public Path signedJar(String alias) {
    return workDir.resolve("app-" + alias + ".jar");
  }

  /**
   * {@code keytool} with the Keyring provider and KeyStore options, then {@code args}; the password
   * comes from the environment.
   */
  public ToolRun keytool(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(tool("keytool"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("-providerClass", PROVIDER_CLASS, "-providerArg", clientConfig.toString()));
    cmd.addAll(List.of("-providerPath", classPath));
    cmd.addAll(keyStoreOptions());
    return exec(cmd);
  }

  /**
   * {@code jarsigner} with the provider on its class path ({@code -J-cp}), the Keyring provider and
   * KeyStore options, then {@code args}.
   */
  public ToolRun jarsigner(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(tool("jarsigner"));
    cmd.addAll(List.of("-J-cp", "-J" + classPath));
    cmd.addAll(List.of("-providerClass", PROVIDER_CLASS, "-providerArg", clientConfig.toString()));
    cmd.addAll(keyStoreOptions());
    cmd.addAll(List.of(args));
    return exec(cmd);
  }

  /** {@code jarsigner -verify -verbose -certs} with the plain JDK: no provider, no keyring. */
  public ToolRun verify(Path jar) throws IOException, InterruptedException {
    return exec(List.of(tool("jarsigner"), "-verify", "-verbose", "-certs", jar.toString()));
  }

  private List<String> keyStoreOptions() {
    return List.of(
        "-storetype",
        "Keyring",
        "-keystore",
        slotFile.toString(),
        "-storepass:env",
        PASSWORD_ENV,
        "-keypass:env",
        PASSWORD_ENV);
  }

  private static String tool(String name) {
    return Path.of(System.getProperty("java.home"), "bin", name).toString();
  }

  private ToolRun exec(List<String> cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put(PASSWORD_ENV, PASSWORD);
    env.remove("JAVA_TOOL_OPTIONS");
    env.remove("JDK_JAVA_OPTIONS");
    Path log = Files.createTempFile(workDir, "tool", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    p.getOutputStream().close(); // no terminal: a prompt reads end of input
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly().waitFor();
      throw new IllegalStateException(
          String.join(" ", cmd)
              + " did not finish within "
              + timeout
              + ":\n"
              + Files.readString(log, StandardCharsets.UTF_8));
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    return new ToolRun(List.copyOf(cmd), p.exitValue(), output);
  }

  /**
   * The class path a tool needs for the Keyring provider: the jar (or classes directory) of each
   * artifact the provider uses, found from this JVM's class path.
   */
  public static List<String> providerClassPath() {
    Set<String> out = new LinkedHashSet<>();
    for (String name : RUNTIME_CLASSES) {
      try {
        Class<?> c = Class.forName(name, false, JarSigningSample.class.getClassLoader());
        out.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
      } catch (ClassNotFoundException | URISyntaxException | NullPointerException e) {
        throw new IllegalStateException(
            "the Keyring provider needs " + name + " on the class path: " + e, e);
      }
    }
    return List.copyOf(out);
  }

  /** A small jar with a manifest and two entries. */
  public static Path writeJar(Path jar) throws IOException {
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_TITLE, "keyring jar signing sample");
    try (OutputStream f = Files.newOutputStream(jar);
        JarOutputStream j = new JarOutputStream(f, m)) {
      j.putNextEntry(new JarEntry("hello/hello.txt"));
      j.write("hello from a jar signed on a keyring\n".getBytes(StandardCharsets.UTF_8));
      j.closeEntry();
      j.putNextEntry(new JarEntry("hello/data.bin"));
      j.write(new byte[4096]);
      j.closeEntry();
    }
    return jar;
  }
}
