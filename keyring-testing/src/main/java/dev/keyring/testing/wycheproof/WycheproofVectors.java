package dev.keyring.testing.wycheproof;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the C2SP Wycheproof vectors are read from (never copied into the repository): the folder
 * named by system property {@value #DIR_PROPERTY} (the parent pom sets it), else {@code
 * ../shared/wycheproof} next to the repository root. Without them a suite fails when env {@code
 * CI=true} and is aborted with a warning on stderr otherwise.
 */
public final class WycheproofVectors {
  public static final String DIR_PROPERTY = "keyring.wycheproof.dir";

  private WycheproofVectors() {}

  /** The vector folder: the system property's, else ../shared/wycheproof beside the repo root. */
  public static Path dir() {
    String prop = System.getProperty(DIR_PROPERTY);
    Path fallback = repoRoot().resolve("../shared/wycheproof").normalize();
    if (prop != null && !prop.isBlank()) {
      Path p = Path.of(prop).toAbsolutePath().normalize();
      return Files.isDirectory(p) || !Files.isDirectory(fallback) ? p : fallback;
    }
    return fallback;
  }

  private static Path repoRoot() {
    Path start = Path.of("").toAbsolutePath();
    for (Path p = start; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("pom.xml"))
          && Files.isRegularFile(p.resolve("keyring-testing/pom.xml"))) {
        return p;
      }
    }
    return start;
  }

  /**
   * {@code what} is not at {@code where}: fails in CI, else says so on stderr and aborts the test,
   * so that the report shows it was not run.
   */
  public static void missing(String suite, String what, Path where) {
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError(what + " are required in CI: expected at " + where);
    }
    System.err.println(
        "WARNING: " + what + " not found at " + where + "; the " + suite + " did NOT run");
    Assumptions.abort(what + " not found at " + where);
  }
}
