package dev.keyring.junit;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.List;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * One test class run as JUnit runs it (the classes run so are static member classes of a test:
 * Surefire does not run those itself): which tests passed, and what failed with which exception.
 */
final class ClassRun implements TestExecutionListener {
  final List<String> passed = new ArrayList<>();
  final List<String> failures = new ArrayList<>();

  private ClassRun() {}

  static ClassRun of(Class<?> test) {
    ClassRun run = new ClassRun();
    LauncherFactory.create()
        .execute(
            LauncherDiscoveryRequestBuilder.request().selectors(selectClass(test)).build(), run);
    return run;
  }

  @Override
  public void executionFinished(TestIdentifier id, TestExecutionResult result) {
    if (result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
      if (id.isTest()) {
        passed.add(id.getDisplayName());
      }
    } else {
      failures.add(
          id.getDisplayName()
              + ": "
              + result.getThrowable().map(String::valueOf).orElse(result.getStatus().name()));
    }
  }

  /** The failures, one a line, for assertion messages. */
  String report() {
    return "passed " + passed + "\nfailed:\n" + String.join("\n", failures);
  }
}
