package dev.keyring.testing.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The member JVMs' options: the default, a replacement, and the JVM's own defaults. */
class MemberProcessOptionsTest {
  @AfterEach
  void clear() {
    System.clearProperty(MemberProcess.JVM_OPTIONS_PROPERTY);
  }

  @Test
  void withoutTheProperty_theClientCompilerAndTheSerialCollector() {
    System.clearProperty(MemberProcess.JVM_OPTIONS_PROPERTY);
    assertEquals(
        List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"), MemberProcess.jvmOptions());
  }

  @Test
  void theProperty_replacesThem_splitOnAnyWhitespace() {
    System.setProperty(MemberProcess.JVM_OPTIONS_PROPERTY, "  -Xmx256m \t -XX:+UseG1GC\n");
    assertEquals(List.of("-Xmx256m", "-XX:+UseG1GC"), MemberProcess.jvmOptions());
  }

  @Test
  void jvmDefaultsUnlessSet_emptiesAnUnsetProperty_andKeepsASetOne() {
    MemberProcess.jvmDefaultsUnlessSet();
    assertEquals(List.of(), MemberProcess.jvmOptions());
    System.setProperty(MemberProcess.JVM_OPTIONS_PROPERTY, "-Xmx256m");
    MemberProcess.jvmDefaultsUnlessSet();
    assertEquals(List.of("-Xmx256m"), MemberProcess.jvmOptions());
  }

  @Test
  void anEmptyProperty_givesTheJvmsOwnDefaults() {
    System.setProperty(MemberProcess.JVM_OPTIONS_PROPERTY, " ");
    assertEquals(List.of(), MemberProcess.jvmOptions());
  }
}
