package dev.keyring.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidParameterException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.Security;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configuration file that cannot be used, as a server configured by file only meets it: the
 * message names the file and what is wrong with it, wherever the provider was configured from.
 */
class KeyringProviderConfigurationTest {
  @TempDir Path dir;

  private Path config(String certificate, String extra) throws IOException {
    Path f = dir.resolve("Chrystoki.conf");
    Files.writeString(
        f,
        "LunaSA Client = {\n"
            + "   LNHServer00 = 127.0.0.1:50052;\n"
            + "   LNHServerClientCert00 = "
            + certificate
            + ";\n"
            + "   LNHServerClientKey00 = "
            + dir.resolve("clientKey.pem")
            + ";\n"
            + "   LNHServerCAFile00 = "
            + dir.resolve("ca.pem")
            + ";\n"
            + "   LNHServerCN00 = LNH-1;\n"
            + "}\n"
            + extra);
    return f;
  }

  @Test
  void keyStoreLoad_withAMissingClientCertificate_namesTheFiles_notAClusterOutOfReach()
      throws Exception {
    Path missing = dir.resolve("client.pem");
    Path conf = config(missing.toString(), "Keyring Provider = {\n   DefaultSlot = app;\n}\n");
    KeyringProvider p = new KeyringProvider(conf);
    try {
      KeyStore ks = KeyStore.getInstance("Keyring", p);
      IOException e =
          assertThrows(IOException.class, () -> ks.load(null, "app-password".toCharArray()));
      String m = e.getMessage();
      assertTrue(m.contains(conf.toString()), m);
      assertTrue(m.contains(missing + " (LNHServerClientCert00) does not exist"), m);
      assertTrue(m.contains("(CONFIGURATION)"), m);
      assertFalse(m.contains("could not be reached"), m);
      assertFalse(m.contains("app-password"), m);
    } finally {
      p.close();
    }
  }

  /**
   * A client property set to a bad value: read once when the client's options class was
   * initialized, it made {@code KeyStore.load} throw {@code ExceptionInInitializerError} (or,
   * later, {@code NoClassDefFoundError}) instead of an {@code IOException} naming the property.
   */
  @Test
  void keyStoreLoad_withABadClientProperty_namesTheProperty() throws Exception {
    Path conf =
        config(
            dir.resolve("client.pem").toString(),
            "Keyring Provider = {\n   DefaultSlot = app;\n}\n");
    String was = System.getProperty("keyring.client.wire");
    System.setProperty("keyring.client.wire", "htp");
    KeyringProvider p = new KeyringProvider(conf);
    try {
      KeyStore ks = KeyStore.getInstance("Keyring", p);
      IOException e =
          assertThrows(IOException.class, () -> ks.load(null, "app-password".toCharArray()));
      String m = e.getMessage();
      assertTrue(m.contains("cannot open keyring 'app'"), m);
      assertTrue(
          m.contains("system property keyring.client.wire must be http or channel, got 'htp'"), m);
    } finally {
      p.close();
      if (was == null) {
        System.clearProperty("keyring.client.wire");
      } else {
        System.setProperty("keyring.client.wire", was);
      }
    }
  }

  @Test
  void configure_fromCode_withAnInvalidFile_throwsNamingTheProblem() throws Exception {
    Path conf =
        config(dir.resolve("client.pem").toString(), "Keyring Provider = {\n Slot = a;\n}\n");
    InvalidParameterException e =
        assertThrows(
            InvalidParameterException.class,
            () -> new KeyringProvider().configure(conf.toString()));
    assertTrue(e.getMessage().contains("unknown key 'Slot'"), e.getMessage());
  }

  /**
   * The JDK drops a provider whose {@code configure} throws, and the application reads only
   * "Keyring not found": the provider stays, and says why when one of its services is asked for.
   */
  @Test
  void javaSecurityLine_withAnInvalidFile_saysWhatIsWrong_whenTheKeyStoreIsAskedFor()
      throws Exception {
    Path conf =
        config(dir.resolve("client.pem").toString(), "Keyring Provider = {\n Slot = a;\n}\n");
    int position = 1;
    while (Security.getProperty("security.provider." + position) != null) {
      position++; // the JDK reads the lines up to the first gap
    }
    Path props = dir.resolve("keyring.security");
    Files.writeString(props, "security.provider." + position + "=Keyring " + conf + "\n");
    Process child =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp",
                    System.getProperty("java.class.path"),
                    "-Djava.security.properties=" + props,
                    AskForTheKeyStore.class.getName()))
            .redirectErrorStream(true)
            .start();
    boolean ended = child.waitFor(120, TimeUnit.SECONDS);
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!ended) {
      child.destroyForcibly();
    }
    assertTrue(ended, "the child JVM did not end:\n" + out);
    assertEquals(0, child.exitValue(), out);
    assertTrue(out.contains("KeyStoreException: Keyring not found"), out);
    assertTrue(
        out.contains("the Keyring provider of the java.security line is not configured"), out);
    assertTrue(out.contains(conf.toString()), out);
    assertTrue(out.contains("unknown key 'Slot'"), out);
  }

  /** The child JVM: asks for the Keyring KeyStore and prints each exception of the failure. */
  public static final class AskForTheKeyStore {
    private AskForTheKeyStore() {}

    public static void main(String[] args) {
      try {
        KeyStore.getInstance("Keyring");
        System.out.println("the Keyring KeyStore was found");
      } catch (KeyStoreException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
          System.out.println("failure: " + t);
        }
      }
    }
  }
}
