package dev.keyring.client.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFileWriteTest {
  @TempDir Path dir;

  private List<String> namesIn(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void write_ofUnchangedFile_reproducesEveryByte() throws IOException {
    Path in = dir.resolve("in.conf");
    Path out = dir.resolve("out.conf");
    byte[] bytes = Fixtures.chrystokiConf().getBytes(StandardCharsets.UTF_8);
    Files.write(in, bytes);
    ConfigFile.read(in).write(out);
    assertArrayEquals(bytes, Files.readAllBytes(out));
  }

  @Test
  void write_ofFileThatIsNotUtf8_reproducesEveryByte() throws IOException {
    Path in = dir.resolve("latin1.conf");
    byte[] bytes =
        "# Z\u00fcrich\nS = {\n  k = caf\u00e9;\n}\n".getBytes(StandardCharsets.ISO_8859_1);
    Files.write(in, bytes);
    ConfigFile f = ConfigFile.read(in);
    assertEquals(Optional.of("caf\u00e9"), f.get("S", "k"));
    f.write(in);
    assertArrayEquals(bytes, Files.readAllBytes(in));
  }

  @Test
  void write_replacesTheFile_keepingItsPermissions_andLeavesNoTemporaryFile() throws IOException {
    Path file = dir.resolve("Chrystoki.conf");
    Files.writeString(file, Fixtures.chrystokiConf());
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    ConfigFile changed = ConfigFile.read(file).set("Luna", "PEDTimeout1", "123");
    changed.write(file);
    assertEquals(changed.render(), Files.readString(file));
    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(List.of("Chrystoki.conf"), namesIn(dir));
  }

  @Test
  void write_throughSymbolicLink_replacesTheTarget_andKeepsTheLink() throws IOException {
    Path real = Files.createDirectory(dir.resolve("real")).resolve("Chrystoki.conf");
    Files.writeString(real, "S = {\n  k = 1;\n}\n");
    Path link = Files.createSymbolicLink(dir.resolve("link.conf"), real);
    ConfigFile.read(link).set("S", "k", "2").write(link);
    assertTrue(Files.isSymbolicLink(link));
    assertEquals("S = {\n  k = 2;\n}\n", Files.readString(real));
  }

  @Test
  void write_intoMissingDirectory_fails_andCreatesNothing() {
    Path missing = dir.resolve("no/such/dir/Chrystoki.conf");
    assertThrows(NoSuchFileException.class, () -> ConfigFile.parse("").write(missing));
    assertTrue(Files.notExists(dir.resolve("no")));
  }

  @Test
  void write_newFile_isCreated() throws IOException {
    Path file = dir.resolve("new.conf");
    ConfigFile.parse("").set("LunaSA Client", "NetClient", "1").write(file);
    assertEquals("LunaSA Client = {\n   NetClient = 1;\n}\n", Files.readString(file));
  }

  @Test
  void write_whileAnotherThreadReads_neverExposesAPartialFile() throws Exception {
    Path file = dir.resolve("Chrystoki.conf");
    ConfigFile small = ConfigFile.parse("S = {\n  k = small;\n}\n");
    ConfigFile large = small.set("S", "k", "x".repeat(200_000));
    small.write(file);
    Set<String> seen = ConcurrentHashMap.newKeySet();
    AtomicBoolean stop = new AtomicBoolean();
    Thread reader =
        new Thread(
            () -> {
              while (!stop.get()) {
                try {
                  seen.add(Files.readString(file));
                } catch (IOException e) {
                  seen.add("read failed: " + e);
                }
              }
            });
    reader.start();
    try {
      for (int i = 0; i < 100; i++) {
        (i % 2 == 0 ? large : small).write(file);
      }
    } finally {
      stop.set(true);
      reader.join();
    }
    seen.remove(small.render());
    seen.remove(large.render());
    assertEquals(Set.of(), seen, "a reader saw a file that was neither version");
  }
}
