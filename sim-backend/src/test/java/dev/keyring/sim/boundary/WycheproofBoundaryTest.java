package dev.keyring.sim.boundary;

import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.keyring.sim.boundary.WycheproofFamily.Outcome;
import dev.keyring.sim.boundary.WycheproofFamily.Rejection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the C2SP Wycheproof vectors through the {@link Boundary}: every operation under test happens
 * inside it, on keys brought in the way a client brings them (see {@link TestKeyring}).
 *
 * <p>The vectors are read (never copied into the repository) from the folder named by system
 * property {@code keyring.wycheproof.dir}, else from {@code ../shared/wycheproof} next to the
 * repository root. Without them the suite fails when env {@code CI=true} and is skipped (with a
 * warning on stderr) otherwise.
 *
 * <p>Per file: "valid" cases must succeed with the expected output, "invalid" ones must be refused
 * with an {@code HsmException}, "acceptable" ones may go either way and are counted, and cases the
 * boundary deliberately does not offer are counted as not covered, with the reason. Any other
 * exception fails the case.
 */
class WycheproofBoundaryTest {
  static final String DIR_PROPERTY = "keyring.wycheproof.dir";

  /** Each file and the family its groups belong to. */
  static final Map<String, WycheproofFamily> FILES = new LinkedHashMap<>();

  static {
    FILES.put("aes_gcm_test.json", WycheproofFamily.AES_GCM);
    FILES.put("aes_kwp_test.json", WycheproofFamily.AES_KWP);
    FILES.put("ecdh_secp256r1_test.json", WycheproofFamily.ECDH);
    FILES.put("ecdsa_secp256r1_sha256_test.json", WycheproofFamily.ECDSA);
    FILES.put("ecdsa_secp384r1_sha384_test.json", WycheproofFamily.ECDSA);
    FILES.put("ed25519_test.json", WycheproofFamily.ED25519);
    FILES.put("hmac_sha256_test.json", WycheproofFamily.HMAC);
    FILES.put("rsa_oaep_2048_sha256_mgf1sha256_test.json", WycheproofFamily.RSA_OAEP);
    FILES.put("rsa_pkcs1_2048_sig_gen_test.json", WycheproofFamily.RSA_PKCS1_SIGN);
    FILES.put("rsa_pss_2048_sha256_mgf1_32_test.json", WycheproofFamily.RSA_PSS_VERIFY);
    FILES.put("rsa_signature_2048_sha256_test.json", WycheproofFamily.RSA_PKCS1_VERIFY);
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicBoolean ENGINES_PRINTED = new AtomicBoolean();

  private final List<FileRun> runs = new ArrayList<>();

  @TestFactory
  Stream<DynamicNode> wycheproof(@TempDir Path tmp) {
    Path dir = vectorDir();
    if (!Files.isDirectory(dir)) {
      missing("Wycheproof vectors", dir);
    }
    return FILES.entrySet().stream()
        .map(
            e -> {
              Path file = dir.resolve(e.getKey());
              if (!Files.isRegularFile(file)) {
                return dynamicTest(
                    e.getKey(), () -> missing("Wycheproof file " + e.getKey(), file));
              }
              FileRun run = new FileRun(file, e.getValue(), tmp.resolve(e.getKey()));
              runs.add(run);
              return dynamicContainer(e.getKey(), run.tests());
            });
  }

  @AfterEach
  void closeKeyrings() {
    runs.forEach(FileRun::close);
  }

  /** The vector folder: the system property's, else ../shared/wycheproof beside the repo root. */
  static Path vectorDir() {
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
          && Files.isRegularFile(p.resolve("sim-backend/pom.xml"))) {
        return p;
      }
    }
    return start;
  }

  private static void missing(String what, Path where) {
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError(what + " are required in CI: expected at " + where);
    }
    System.err.println(
        "WARNING: " + what + " not found at " + where + "; the Wycheproof suite did NOT run");
    Assumptions.abort(what + " not found at " + where);
  }

  // ---------------------------------------------------------------- one file

  /** One vector file on its own keyring: a dynamic test per case, then a summary. */
  private static final class FileRun {
    private final Path file;
    private final String name;
    private final WycheproofFamily family;
    private final Path workDir;
    private TestKeyring keyring;
    private RuntimeException openFailure;
    private boolean closed;

    private int cases;
    private final Map<String, int[]> byResult =
        new TreeMap<>(); // result -> {covered, ok, rejected}
    private final Map<String, List<Integer>> notCovered = new LinkedHashMap<>();
    private final Map<String, Integer> refusals = new TreeMap<>();
    private final List<String> failures = new ArrayList<>();

    FileRun(Path file, WycheproofFamily family, Path workDir) {
      this.file = file;
      this.name = file.getFileName().toString();
      this.family = family;
      this.workDir = workDir;
    }

    Stream<DynamicTest> tests() {
      JsonNode root;
      try {
        root = JSON.readTree(file.toFile());
      } catch (IOException e) {
        return Stream.of(
            dynamicTest(
                "read " + name,
                () -> {
                  throw new AssertionError("cannot read " + file + ": " + e.getMessage(), e);
                }));
      }
      List<DynamicTest> tests = new ArrayList<>();
      int groupNo = 0;
      for (JsonNode group : root.path("testGroups")) {
        groupNo++;
        int g = groupNo;
        for (JsonNode test : group.path("tests")) {
          cases++;
          String display =
              "tcId "
                  + test.path("tcId").asInt()
                  + " ["
                  + test.path("result").asText()
                  + "] "
                  + comment(test);
          tests.add(dynamicTest(display, () -> execute(g, group, test)));
        }
      }
      int declared = root.path("numberOfTests").asInt(cases);
      tests.add(dynamicTest("summary", () -> summarize(declared)));
      return tests.stream();
    }

    private void execute(int groupNo, JsonNode group, JsonNode test) {
      String result = test.path("result").asText();
      String where =
          name
              + " tcId "
              + test.path("tcId").asInt()
              + " ("
              + comment(test)
              + ") ["
              + result
              + ", flags "
              + test.path("flags")
              + ", group "
              + groupNo
              + "]: ";
      if (!group.path("type").asText().equals(family.groupType())) {
        fail(where + "group type " + group.path("type") + ", expected " + family.groupType());
      }
      String reason = family.notCovered(group, test);
      if (reason != null) {
        notCovered.computeIfAbsent(reason, r -> new ArrayList<>()).add(test.path("tcId").asInt());
        return;
      }
      int[] tally = byResult.computeIfAbsent(result, r -> new int[3]);
      tally[0]++;
      WycheproofFamily.Case c = new WycheproofFamily.Case(keyring(where), group, test);
      Outcome outcome;
      String refusal = null;
      AssertionError failure = null;
      try {
        outcome = family.run(c);
      } catch (Rejection r) {
        outcome = Outcome.REJECTED;
        refusal = r.getMessage();
        refusals.merge(r.code == null ? "output mismatch" : r.code.name(), 1, Integer::sum);
      } catch (AssertionError e) {
        outcome = null;
        failure = new AssertionError(where + e.getMessage(), e);
      } catch (Throwable t) {
        outcome = null;
        failure =
            new AssertionError(
                where
                    + "unexpected "
                    + t.getClass().getName()
                    + " (only HsmException may come out of the boundary, and only from the"
                    + " operation under test): "
                    + t.getMessage(),
                t);
      }
      RuntimeException cleanup = c.destroyAll();
      if (failure != null) {
        if (cleanup != null) {
          failure.addSuppressed(cleanup);
        }
        failures.add(failure.getMessage());
        throw failure;
      }
      if (cleanup != null) {
        fail(where + "destroying the case's objects failed: " + cleanup, cleanup);
      }
      switch (result) {
        case "valid":
          if (outcome != Outcome.SUCCEEDED) {
            fail(where + "a valid case was rejected: " + refusal);
          }
          tally[1]++;
          break;
        case "invalid":
          if (outcome != Outcome.REJECTED) {
            fail(where + "an invalid case was accepted");
          }
          tally[2]++;
          break;
        case "acceptable":
          tally[outcome == Outcome.SUCCEEDED ? 1 : 2]++;
          break;
        default:
          fail(where + "unknown result '" + result + "'");
      }
    }

    private void fail(String message) {
      fail(message, null);
    }

    private void fail(String message, Throwable cause) {
      failures.add(message);
      throw new AssertionError(message, cause);
    }

    private TestKeyring keyring(String where) {
      if (openFailure != null) {
        fail(where + "the keyring could not be opened: " + openFailure, openFailure);
      }
      if (keyring == null) {
        try {
          keyring = new TestKeyring(workDir);
        } catch (RuntimeException e) {
          openFailure = e;
          fail(where + "the keyring could not be opened: " + e, e);
        }
        if (ENGINES_PRINTED.compareAndSet(false, true)) {
          System.out.println(
              "wycheproof: boundary crypto engines (family, engine):\n"
                  + keyring.boundary.engines().describe());
        }
      }
      return keyring;
    }

    private void summarize(int declared) {
      close();
      int[] valid = byResult.getOrDefault("valid", new int[3]);
      int[] invalid = byResult.getOrDefault("invalid", new int[3]);
      int[] acceptable = byResult.getOrDefault("acceptable", new int[3]);
      int uncovered = notCovered.values().stream().mapToInt(List::size).sum();
      StringBuilder line =
          new StringBuilder()
              .append("wycheproof ")
              .append(name)
              .append(": ")
              .append(cases)
              .append(" cases — valid ")
              .append(valid[1])
              .append('/')
              .append(valid[0])
              .append(" passed, invalid ")
              .append(invalid[2])
              .append('/')
              .append(invalid[0])
              .append(" rejected, acceptable ")
              .append(acceptable[0])
              .append(" (")
              .append(acceptable[1])
              .append(" accepted, ")
              .append(acceptable[2])
              .append(" rejected), not covered ")
              .append(uncovered);
      if (!failures.isEmpty()) {
        line.append(", FAILED ").append(failures.size());
      }
      notCovered.forEach(
          (reason, ids) ->
              line.append("\n  not covered (").append(reason).append("): tcId ").append(ids(ids)));
      if (!refusals.isEmpty()) {
        line.append("\n  refusals: ")
            .append(
                refusals.entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue())
                    .collect(Collectors.joining(", ")));
      }
      System.out.println(line);
      int counted = valid[0] + invalid[0] + acceptable[0] + uncovered;
      if (counted != cases || cases != declared) {
        throw new AssertionError(
            name
                + ": "
                + declared
                + " tests declared, "
                + cases
                + " found, "
                + counted
                + " counted; a case was dropped");
      }
      if (!failures.isEmpty()) {
        throw new AssertionError(
            name + ": " + failures.size() + " case(s) failed:\n" + String.join("\n", failures));
      }
    }

    void close() {
      if (!closed) {
        closed = true;
        if (keyring != null) {
          keyring.close();
        }
      }
    }

    private static String comment(JsonNode test) {
      String c = test.path("comment").asText();
      return c.isEmpty() ? "no comment" : c;
    }

    /** 1, 2, 3, 7 → "1-3, 7". */
    private static String ids(List<Integer> ids) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < ids.size(); i++) {
        int start = ids.get(i);
        int end = start;
        while (i + 1 < ids.size() && ids.get(i + 1) == end + 1) {
          end = ids.get(++i);
        }
        if (b.length() > 0) {
          b.append(", ");
        }
        b.append(start).append(end > start ? "-" + end : "");
      }
      return b.toString();
    }
  }
}
