package dev.keyring.sim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyring-sim member --config}: the channel's settings are read from the file, and a value
 * out of range refuses the start by name (exit code 2) before any port is bound.
 */
class MemberConfigFileTest {
  @TempDir Path dir;

  private String refused(String line) throws Exception {
    Path config = dir.resolve("member.properties");
    Files.writeString(config, line + "\n");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        KeyringSim.run(
            new PrintWriter(out),
            new PrintWriter(err),
            Map.of(),
            "member",
            "--data",
            dir.resolve("data").toString(),
            "--config",
            config.toString());
    assertEquals(2, code, out + "\n" + err);
    return err.toString();
  }

  @Test
  void channelSpinMicros_isReadFromTheFile_andOutOfRangeRefusedByName() throws Exception {
    String err = refused("channelSpinMicros=5000");
    assertTrue(err.contains("channelSpinMicros must be 0 to 1000, got 5000"), err);
    assertTrue(refused("channelSpinMicros=-1").contains("got -1"));
  }

  @Test
  void aStoreUrlThatIsNotJdbc_isRefusedByName_withoutAStackTrace() throws Exception {
    String err = refused("storeJdbcUrl=nonsense");
    assertTrue(err.startsWith("error: jdbcUrl must start with jdbc:h2: or jdbc:postgresql:"), err);
    assertTrue(err.contains("'nonsense'"), err);
  }

  @Test
  void anUnknownKey_isRefusedWithTheKnownOnes() throws Exception {
    String err = refused("channelSpin=10");
    assertTrue(err.contains("unknown key 'channelSpin'"), err);
    assertTrue(err.contains("channelSpinMicros"), err);
  }
}
