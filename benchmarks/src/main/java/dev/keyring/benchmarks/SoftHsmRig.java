package dev.keyring.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JDK's {@code SunPKCS11} over SoftHSM2 ({@code libsofthsm2.so}), with keys generated on a
 * fresh token.
 *
 * <p><b>Where SoftHSM2 finds its configuration.</b> The library reads its config file at {@code
 * C_Initialize} from the path in the environment variable {@code SOFTHSM2_CONF}, else from {@code
 * ~/.config/softhsm2/softhsm2.conf}, else from {@code /etc/softhsm/softhsm2.conf}. A JVM cannot set
 * its own environment, and JMH's {@code @Fork} passes JVM options and arguments, not environment
 * variables; but the fork inherits the environment of the JVM that launched it. So the launcher
 * (benchmarks/run.sh) exports {@code SOFTHSM2_CONF} pointing to a fresh path under {@code
 * benchmarks/target/}, and this rig, inside the fork and before SunPKCS11 loads the library, writes
 * the config file at that path: {@code directories.tokendir} in a new temporary directory, {@code
 * objectstore.backend = file}. It then initializes a token there with {@code softhsm2-util
 * --init-token --free --label bench} (the same variable passed explicitly to that process), and
 * configures SunPKCS11 with {@code library} = the SoftHSM2 library and {@code slot} = the slot
 * {@code softhsm2-util} reports. The user's and the system's SoftHSM2 tokens are never touched: the
 * rig refuses to overwrite an existing file at {@code SOFTHSM2_CONF} that it did not write, and
 * fails (loudly) when the variable is not set.
 *
 * <p>The token, its directory and the SunPKCS11 instance live once per JVM (a native library is
 * initialized once per process; with {@code -f 0} several trials share them); the directory is
 * deleted when the JVM exits. Keys are generated per trial as session objects after {@code
 * KeyStore.getInstance("PKCS11", p).load(null, pin)} has logged in.
 *
 * <p>The library is looked for at {@code /usr/lib/softhsm/libsofthsm2.so} (Debian's link) and
 * {@code /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so}; the system property {@value
 * #LIBRARY_PROPERTY} names another. If it is absent every trial of this rig fails with a line
 * saying so ({@code apt-get install softhsm2}).
 *
 * <p>Ed25519 is unsupported: JDK 17's SunPKCS11 registers no EdDSA {@code Signature} or key pair
 * generator (the check reads whether SunPKCS11's class names {@code Ed25519} at all, so a later JDK
 * that adds it is measured).
 */
final class SoftHsmRig extends ProviderRig {
  static final String NAME = "sunpkcs11-softhsm2";
  static final String LIBRARY_PROPERTY = "keyring.bench.softhsm2.library";
  static final String CONF_ENV = "SOFTHSM2_CONF";
  private static final List<String> LIBRARY_PATHS =
      List.of(
          "/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so");
  private static final String TOKEN_LABEL = "bench";
  private static final String PIN = "bench-user-pin-1";
  private static final String SO_PIN = "bench-so-pin-1";
  private static final String MARKER = "# written by Keyring's ProviderSignBenchmark (SoftHsmRig)";
  private static final Pattern SLOT = Pattern.compile("reassigned to slot (\\d+)");

  /** The SunPKCS11 instance over the benchmark's token, one per JVM. */
  private static Provider token;

  private Provider p11;

  @Override
  String name() {
    return NAME;
  }

  @Override
  String unsupported(ProviderOp op) {
    if (op == ProviderOp.ED25519 && !sunPkcs11Mentions("Ed25519")) {
      return "SunPKCS11 of JDK "
          + Runtime.version().feature()
          + " has no EdDSA (no Signature or KeyPairGenerator Ed25519), whatever the token offers";
    }
    return null;
  }

  @Override
  void setUp(ProviderOp op) throws Exception {
    p11 = token();
    KeyStore ks = KeyStore.getInstance("PKCS11", p11);
    ks.load(null, PIN.toCharArray());
    String type = op.engineType();
    if (p11.getService(type, op.algorithm) == null) {
      throw new IllegalStateException(
          "n/a: " + p11.getName() + " offers no " + type + " " + op.algorithm + " on this token");
    }
    generateKeys(op, p11);
  }

  @Override
  Provider provider(ProviderOp op) {
    return p11;
  }

  /** The library's path, or {@code null} if it is not installed. */
  static String library() {
    String configured = System.getProperty(LIBRARY_PROPERTY);
    if (configured != null) {
      return Files.isRegularFile(Path.of(configured)) ? configured : null;
    }
    return LIBRARY_PATHS.stream()
        .filter(p -> Files.isRegularFile(Path.of(p)))
        .findFirst()
        .orElse(null);
  }

  private static synchronized Provider token() throws IOException, InterruptedException {
    if (token != null) {
      return token;
    }
    String library = library();
    if (library == null) {
      throw loud(
          "SoftHSM2 is not installed: no "
              + (System.getProperty(LIBRARY_PROPERTY) != null
                  ? System.getProperty(LIBRARY_PROPERTY)
                  : String.join(" or ", LIBRARY_PATHS))
              + " (apt-get install -y softhsm2; benchmarks/run.sh does it when run as root)");
    }
    String confEnv = System.getenv(CONF_ENV);
    if (confEnv == null || confEnv.isBlank()) {
      throw loud(
          CONF_ENV
              + " is not set: SoftHSM2 takes its config from the file this variable names, else"
              + " from the user's or the system's config, which this benchmark does not touch."
              + " Run via benchmarks/run.sh, or export "
              + CONF_ENV
              + "=<a writable path for a file this benchmark writes>");
    }
    Path conf = Path.of(confEnv).toAbsolutePath();
    if (Files.exists(conf) && !Files.readString(conf).startsWith(MARKER)) {
      throw loud(
          CONF_ENV
              + "="
              + conf
              + " is an existing SoftHSM2 config this benchmark did not write; refusing to"
              + " overwrite it. Point "
              + CONF_ENV
              + " to a new path.");
    }
    Path dir = Files.createTempDirectory("keyring-bench-softhsm2-");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> TempTrees.delete(dir)));
    Path tokens = Files.createDirectory(dir.resolve("tokens"));
    Files.createDirectories(conf.getParent());
    Files.writeString(
        conf,
        MARKER
            + "; rewritten at every run\n"
            + "directories.tokendir = "
            + tokens
            + "\n"
            + "objectstore.backend = file\n"
            + "log.level = ERROR\n"
            + "slots.removable = false\n",
        StandardCharsets.UTF_8);
    long slot = initToken(conf);
    Path p11conf = dir.resolve("sunpkcs11.cfg");
    Files.writeString(
        p11conf,
        "name = SoftHSM2Bench\nlibrary = " + library + "\nslot = " + slot + "\n",
        StandardCharsets.UTF_8);
    Provider p = Security.getProvider("SunPKCS11").configure(p11conf.toString());
    System.out.println(
        "# SoftHSM2: library "
            + library
            + ", config "
            + conf
            + ", token \""
            + TOKEN_LABEL
            + "\" in slot "
            + slot
            + " under "
            + tokens
            + ", provider "
            + p.getName());
    token = p;
    return p;
  }

  /** Runs {@code softhsm2-util --init-token --free} and returns the slot it reports. */
  private static long initToken(Path conf) throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                TOKEN_LABEL,
                "--pin",
                PIN,
                "--so-pin",
                SO_PIN)
            .redirectErrorStream(true);
    pb.environment().put(CONF_ENV, conf.toString());
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw loud("softhsm2-util cannot be started (" + e.getMessage() + "): install softhsm2");
    }
    String out;
    try (InputStream in = process.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw loud("softhsm2-util --init-token did not finish in 60 s");
    }
    Matcher m = SLOT.matcher(out);
    if (process.exitValue() != 0 || !m.find()) {
      throw loud("softhsm2-util --init-token failed (exit " + process.exitValue() + "): " + out);
    }
    return Long.parseLong(m.group(1));
  }

  /**
   * Whether the class {@code sun.security.pkcs11.SunPKCS11}, where SunPKCS11 registers its
   * algorithms, contains {@code text} among its constants. Class files are never encapsulated as
   * resources, so this reads them without opening the module.
   */
  private static boolean sunPkcs11Mentions(String text) {
    Module module = ModuleLayer.boot().findModule("jdk.crypto.cryptoki").orElse(null);
    if (module == null) {
      return false;
    }
    try (InputStream in = module.getResourceAsStream("sun/security/pkcs11/SunPKCS11.class")) {
      return in != null
          && new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Prints {@code message} where it cannot be missed and returns it as an exception to throw. */
  private static IllegalStateException loud(String message) {
    String line = "# ERROR " + NAME + ": " + message;
    System.out.println();
    System.out.println(line);
    System.err.println(line);
    return new IllegalStateException(message);
  }
}
