package dev.keyring.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keyringcm sign} and {@code verify} refuse what they cannot use before any member call. */
class SignCommandInputTest {
  @TempDir Path dir;

  @Test
  void anUnknownMechanism_isNamed_withWhatToGive() throws Exception {
    Path config = Files.writeString(dir.resolve("Chrystoki.conf"), "");
    Path data = Files.writeString(dir.resolve("data.txt"), "hello\n");
    for (String command : new String[] {"sign", "verify"}) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int exit =
          KeyringCm.run(
              new PrintWriter(out),
              new PrintWriter(err),
              Map.of(),
              command,
              "--config",
              config.toString(),
              "-slot",
              "app",
              "-key",
              "2",
              "-mechanism",
              "SHA256withECDSA",
              "-in",
              data.toString(),
              command.equals("sign") ? "-out" : "-signature",
              dir.resolve("sig").toString(),
              "-password",
              "pw-1234567");
      assertEquals(2, exit, command + ": " + err);
      assertEquals(
          "error: -mechanism SHA256withECDSA is not a mechanism keyrings support; give a signing"
              + " mechanism such as CKM_ECDSA_SHA256 or CKM_SHA256_RSA_PKCS (see --help)",
          err.toString().strip(),
          command);
    }
  }
}
