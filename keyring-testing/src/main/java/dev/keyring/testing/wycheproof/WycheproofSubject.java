package dev.keyring.testing.wycheproof;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What one vector file runs on (the boundary, the provider): which cases it deliberately does not
 * offer, and how a case runs there. {@link WycheproofFileRun} does the rest: the dynamic tests, the
 * verdicts by result, the tally and the summary.
 */
public interface WycheproofSubject {
  /** The {@code type} every test group of the file has. */
  String groupType();

  /** Why the subject deliberately does not offer this case, or null when it does. */
  String notCovered(JsonNode group, JsonNode test);

  /** Called before the first case of each group (numbered from 1) that runs. */
  default void groupStarts(int groupNo) throws Exception {}

  /** A covered case, ready to run. */
  Case prepare(JsonNode group, JsonNode test) throws Exception;

  /** After the last case, before the summary: release what the file's run holds. */
  default void finish() throws Exception {}

  /** Lines the summary adds (each starting with a line break), or "". */
  default String report() {
    return "";
  }

  /** What the run left behind that it should not have (objects on the keyring), or null. */
  default String leftBehind() throws Exception {
    return null;
  }

  /** One covered case. */
  interface Case {
    /**
     * Runs it: returns when the operation succeeded with the expected output, throws {@link
     * WycheproofRejection} when it was refused in a documented way, and throws anything else (an
     * {@link AssertionError} for a wrong output) when the case fails whatever its result.
     */
    void run() throws Exception;

    /** Undoes what the case made; the first failure, or null. */
    Exception cleanUp();
  }
}
