package dev.keyring.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/keyring-sim quickstart} as a user runs it, then applications that sign with what it
 * set up, through the one-jar provider only: the getting-started application, and one built on
 * OkHttp 4 (whose {@code okhttp3} package the provider's own OkHttp 5 would otherwise collide
 * with). A second start on the same directory reuses everything.
 */
class QuickstartIT {
  @TempDir Path tmp;

  @Test
  void quickstart_thenApplicationsSign_thenSecondStartReusesEverything() throws Exception {
    Path data = tmp.resolve("qs");
    Path conf;
    String password;
    int adminPort;
    try (Quickstarted q = Quickstarted.start(data)) {
      assertTrue(q.out().contains("passwords generated"), q.out());
      assertFalse(q.err().contains("SLF4J"), q.err());
      assertTrue(
          q.err().contains("crypto API https://127.0.0.1:"),
          "no line for the crypto API:\n" + q.err());
      Path secrets = data.resolve("secrets.properties");
      assertEquals(
          Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
          Files.getPosixFilePermissions(secrets));
      Properties p = load(secrets);
      password = p.getProperty("keyring.password");
      assertTrue(q.out().contains("ks.load(null, \"" + password + "\""), q.out());
      conf = data.resolve("client/Chrystoki.conf");
      assertTrue(Files.readString(conf).contains("DefaultSlot = app;"), Files.readString(conf));
      adminPort =
          Integer.parseInt(load(data.resolve("quickstart.properties")).getProperty("adminPort"));

      DistHome.Run okhttp4 = runApp("OkHttp4App", okhttp4Jars(), conf, password);
      assertEquals(0, okhttp4.exit(), okhttp4.toString());
      assertTrue(okhttp4.out().contains("okhttp 4.12.0 answered pong"), okhttp4.toString());
      assertTrue(okhttp4.out().contains("signer Keyring, verified true"), okhttp4.toString());
      assertTrue(okhttp4.out().contains("SIGN=1"), okhttp4.toString());
      assertTrue(okhttp4.out().contains("keyring-provider-all.jar"), okhttp4.toString());

      Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
      DistHome.Run listed =
          DistHome.exec(
              List.of(
                  keytool.toString(),
                  "-list",
                  "-keystore",
                  "NONE",
                  "-storetype",
                  "Keyring",
                  "-storepass",
                  password,
                  "-providerClass",
                  "dev.keyring.provider.KeyringProvider",
                  "-providerArg",
                  conf.toString(),
                  "-providerPath",
                  DistHome.home().resolve("lib/keyring-provider-all.jar").toString()),
              Map.of());
      assertEquals(0, listed.exit(), listed.toString());
      assertTrue(listed.out().contains("Keystore provider: Keyring"), listed.toString());

      // providers 1 to 12 are the JDK's own; the one jar lists the provider for ServiceLoader
      Path security = tmp.resolve("keyring.security");
      Files.writeString(security, "security.provider.13=Keyring " + conf + "\n");
      DistHome.Run configured =
          runApp(
              "JavaSecurityLineApp",
              List.of(),
              List.of("-Djava.security.properties=" + security),
              List.of(password));
      assertEquals(0, configured.exit(), configured.toString());
      assertEquals("signer Keyring, verified true\n", configured.out());
    }

    try (Quickstarted again = Quickstarted.start(data)) {
      assertTrue(again.out().startsWith("reusing " + data), again.out());
      assertFalse(again.out().contains(password), "a password was shown again:\n" + again.out());
      assertTrue(again.out().contains("admin https://127.0.0.1:" + adminPort + ","), again.out());
      assertFalse(
          again.out().contains("not stopped cleanly"), "stopped by SIGTERM:\n" + again.out());
      DistHome.Run signed = runApp("SignWithKeyring", List.of(), conf, password);
      assertEquals(0, signed.exit(), signed.toString());
      assertEquals("signed on the keyring; SunEC verifies it: true\n", signed.out());
      again.kill(); // SIGKILL: no clean stop
    }

    // the lone member comes back not authorized; the quickstart authorizes it again and says so
    try (Quickstarted crashed = Quickstarted.start(data)) {
      assertTrue(
          crashed
              .out()
              .contains(
                  "was not stopped cleanly last time and came back not authorized:"
                      + " authorized again with the partition CO password in "
                      + data.resolve("secrets.properties")),
          crashed.out());
      DistHome.Run signed = runApp("SignWithKeyring", List.of(), conf, password);
      assertEquals(0, signed.exit(), signed.toString());
      assertEquals("signed on the keyring; SunEC verifies it: true\n", signed.out());
    }
  }

  @Test
  void quickstart_withABadPassword_refusesBeforeWritingAnything() throws Exception {
    Path data = tmp.resolve("bad");
    DistHome.Run r =
        DistHome.run(
            "keyring-sim",
            Map.of(),
            "quickstart",
            "--data",
            data.toString(),
            "--password",
            "short");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("password must be 7 to 255 characters, got 5"), r.toString());
    assertFalse(Files.exists(data.resolve("secrets.properties")));
  }

  @Test
  void getStartedDocument_holdsTheApplicationTheTestRuns() throws Exception {
    String doc = Files.readString(DistHome.home().resolve("docs/getting-started.md"));
    String app = Files.readString(appSource("SignWithKeyring"));
    assertTrue(
        doc.contains(app), "docs/getting-started.md does not show SignWithKeyring.java as is");
    assertTrue(app.lines().count() <= 25, "the application has grown past 25 lines");
  }

  // ------------------------------------------------------------------ helpers

  private static Properties load(Path f) throws IOException {
    Properties p = new Properties();
    try (var in = Files.newInputStream(f)) {
      p.load(in);
    }
    return p;
  }

  private static Path appSource(String name) {
    try {
      return Path.of(QuickstartIT.class.getResource("/apps/" + name + ".java").toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Path> okhttp4Jars() throws IOException {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("keyring.okhttp4.dir")))) {
      return s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
    }
  }

  /** Compiles {@code apps/name.java} against the one-jar provider and {@code libs}, and runs it. */
  private DistHome.Run runApp(String name, List<Path> libs, Path conf, String password)
      throws Exception {
    return runApp(name, libs, List.of(), List.of(conf.toString(), password));
  }

  /** Compiles {@code apps/name.java} against the one jar and {@code libs}; runs it so. */
  private DistHome.Run runApp(
      String name, List<Path> libs, List<String> jvmOptions, List<String> args) throws Exception {
    List<Path> cp = new ArrayList<>(libs);
    cp.add(DistHome.home().resolve("lib/keyring-provider-all.jar"));
    String classPath = cp.stream().map(Path::toString).collect(Collectors.joining(":"));
    Path classes = Files.createDirectories(tmp.resolve("classes-" + name));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int compiled =
        javac.run(
            null,
            null,
            null,
            "--release",
            "17",
            "-cp",
            classPath,
            "-d",
            classes.toString(),
            appSource(name).toString());
    assertEquals(0, compiled, "the application " + name + " does not compile");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd = new ArrayList<>(List.of(java.toString()));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", classes + ":" + classPath, name));
    cmd.addAll(args);
    return DistHome.exec(cmd, Map.of());
  }

  /** A quickstart process, ready; closing it sends SIGTERM and waits for it to end. */
  private record Quickstarted(Process process, List<String> outLines, StringBuffer errText)
      implements AutoCloseable {
    static Quickstarted start(Path data) throws Exception {
      List<String> cmd =
          List.of(
              DistHome.home().resolve("bin/keyring-sim").toString(),
              "quickstart",
              "--data",
              data.toString(),
              "--admin-port",
              "0",
              "--crypto-port",
              "0",
              "--kdf-iterations",
              "10000");
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
      Process p = pb.start();
      Quickstarted q =
          new Quickstarted(p, Collections.synchronizedList(new ArrayList<>()), new StringBuffer());
      Thread errReader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                  String l;
                  while ((l = in.readLine()) != null) {
                    q.errText.append(l).append('\n');
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      errReader.setDaemon(true);
      errReader.start();
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null) {
        q.outLines.add(line);
        if (line.startsWith("quickstart ready")) {
          Thread rest =
              new Thread(
                  () -> {
                    try {
                      String l;
                      while ((l = out.readLine()) != null) {
                        q.outLines.add(l);
                      }
                    } catch (IOException e) {
                      // the process ended
                    }
                  });
          rest.setDaemon(true);
          rest.start();
          return q;
        }
      }
      p.waitFor(30, TimeUnit.SECONDS);
      throw new AssertionError(
          "quickstart ended before it was ready (exit "
              + p.exitValue()
              + "):\n"
              + String.join("\n", q.outLines)
              + "\n"
              + q.errText);
    }

    String out() {
      return String.join("\n", outLines) + "\n";
    }

    String err() {
      return errText.toString();
    }

    /** SIGKILL, as a crash: no shutdown hook runs. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(60, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
      if (!process.isAlive()) {
        return;
      }
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("quickstart did not stop on SIGTERM within 60 s");
      }
    }
  }
}
