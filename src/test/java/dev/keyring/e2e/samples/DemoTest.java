package dev.keyring.e2e.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyring.samples.Demo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README demo runs from nothing to a page served with a keyring key. */
class DemoTest {
  @Test
  void demo_servesHttpsWithAKeyringKey_andPrintsEachStep(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    String page;
    try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
      page = Demo.run(dir, out);
    }
    String printed = buf.toString(StandardCharsets.UTF_8);
    assertEquals("Hello from a key that never left its keyring.", page.trim());
    for (int i = 1; i <= 8; i++) {
      assertTrue(printed.contains("[" + i + "] "), "step " + i + " printed:\n" + printed);
    }
    assertTrue(printed.contains("HTTP 200 over TLS"), printed);
    assertTrue(printed.contains("getEncoded() of the private keys: null"), printed);
    assertTrue(printed.contains("Demo finished."), printed);
  }
}
