package dev.keyring.testing.wycheproof;

import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * One Wycheproof vector file on a {@link WycheproofSubject}: a dynamic test per case, then a
 * summary that prints the per-file counts and elapsed time, checks every case was counted, and
 * checks the file left nothing behind.
 *
 * <p>"valid" cases must succeed with the expected output, "invalid" ones must be refused in a
 * documented way ({@link WycheproofRejection}), "acceptable" ones may go either way and are
 * counted, and cases the subject deliberately does not offer are counted as not covered, with the
 * reason. Anything else fails the case.
 */
public final class WycheproofFileRun {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String suite;
  private final Path file;
  private final String name;
  private final WycheproofSubject subject;

  private int cases;
  private final Map<String, int[]> byResult = new TreeMap<>(); // result -> {covered, ok, refused}
  private final Map<String, List<Integer>> notCovered = new LinkedHashMap<>();
  private final Map<String, Integer> rejections = new TreeMap<>(); // "<result> by <how>" -> n
  private final List<String> failures = new ArrayList<>();
  private int group;
  private long started = -1;

  /**
   * @param suite what the summary line starts with, e.g. "wycheproof via provider"
   */
  public WycheproofFileRun(String suite, Path file, WycheproofSubject subject) {
    this.suite = suite;
    this.file = file;
    this.name = file.getFileName().toString();
    this.subject = subject;
  }

  /** A dynamic test per case, then the summary. */
  public Stream<DynamicTest> tests() {
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
    for (JsonNode g : root.path("testGroups")) {
      groupNo++;
      int no = groupNo;
      for (JsonNode test : g.path("tests")) {
        cases++;
        String display =
            "tcId "
                + test.path("tcId").asInt()
                + " ["
                + test.path("result").asText()
                + "] "
                + comment(test);
        tests.add(dynamicTest(display, () -> execute(no, g, test)));
      }
    }
    int declared = root.path("numberOfTests").asInt(cases);
    tests.add(dynamicTest("summary", () -> summarize(declared)));
    return tests.stream();
  }

  private void execute(int groupNo, JsonNode g, JsonNode test) {
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
    if (started < 0) {
      started = System.nanoTime();
    }
    if (groupNo != group) {
      group = groupNo;
      try {
        subject.groupStarts(groupNo);
      } catch (Exception e) {
        fail(where + "preparing the group failed (deleting the previous group's keys?): " + e, e);
      }
    }
    if (!g.path("type").asText().equals(subject.groupType())) {
      fail(where + "group type " + g.path("type") + ", expected " + subject.groupType());
    }
    String reason = subject.notCovered(g, test);
    if (reason != null) {
      notCovered.computeIfAbsent(reason, r -> new ArrayList<>()).add(test.path("tcId").asInt());
      return;
    }
    int[] tally = byResult.computeIfAbsent(result, r -> new int[3]);
    tally[0]++;
    WycheproofSubject.Case c;
    try {
      c = subject.prepare(g, test);
    } catch (Exception e) {
      fail(where + "the case could not be prepared: " + e, e);
      return;
    }
    boolean succeeded = false;
    String refusal = null;
    AssertionError failure = null;
    try {
      c.run();
      succeeded = true;
    } catch (WycheproofRejection r) {
      refusal = r.getMessage();
      rejections.merge(result + " by " + r.kind(), 1, Integer::sum);
    } catch (AssertionError e) {
      failure = new AssertionError(where + e.getMessage(), e);
    } catch (Throwable t) {
      failure =
          new AssertionError(
              where
                  + "unexpected "
                  + t.getClass().getName()
                  + " (not a documented outcome for bad input): "
                  + t.getMessage(),
              t);
    }
    Exception cleanup = c.cleanUp();
    if (failure != null) {
      if (cleanup != null) {
        failure.addSuppressed(cleanup);
      }
      failures.add(failure.getMessage());
      throw failure;
    }
    if (cleanup != null) {
      fail(where + "destroying what the case made failed: " + cleanup, cleanup);
    }
    switch (result) {
      case "valid":
        if (!succeeded) {
          fail(where + "a valid case was refused: " + refusal);
        }
        tally[1]++;
        break;
      case "invalid":
        if (succeeded) {
          fail(where + "an invalid case was accepted");
        }
        tally[2]++;
        break;
      case "acceptable":
        tally[succeeded ? 1 : 2]++;
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

  private void summarize(int declared) throws Exception {
    subject.finish();
    double seconds = started < 0 ? 0 : (System.nanoTime() - started) / 1e9;
    int[] valid = byResult.getOrDefault("valid", new int[3]);
    int[] invalid = byResult.getOrDefault("invalid", new int[3]);
    int[] acceptable = byResult.getOrDefault("acceptable", new int[3]);
    int uncovered = notCovered.values().stream().mapToInt(List::size).sum();
    StringBuilder line =
        new StringBuilder()
            .append(suite)
            .append(' ')
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
            .append(uncovered)
            .append(String.format(Locale.ROOT, " — %.1f s", seconds));
    if (!failures.isEmpty()) {
      line.append(", FAILED ").append(failures.size());
    }
    notCovered.forEach(
        (reason, ids) ->
            line.append("\n  not covered (").append(reason).append("): tcId ").append(ids(ids)));
    rejections.forEach(
        (how, n) -> line.append("\n  rejected: ").append(how).append(" ×").append(n));
    line.append(subject.report());
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
    String left = subject.leftBehind();
    if (left != null) {
      throw new AssertionError(name + ": " + left);
    }
    if (!failures.isEmpty()) {
      throw new AssertionError(
          name + ": " + failures.size() + " case(s) failed:\n" + String.join("\n", failures));
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
