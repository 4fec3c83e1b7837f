package dev.keyring.testing.junit;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs a fixture test class through the JUnit launcher and returns what happened, for tests of test
 * machinery (an extension must fail a fixture that breaks its rule). Fixtures are nested classes,
 * which the build does not run on their own.
 */
public final class FixtureRun {
  private FixtureRun() {}

  /** Runs every test of {@code fixture}, with the extensions the class path registers. */
  public static TestExecutionSummary run(Class<?> fixture) {
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create()
        .execute(
            LauncherDiscoveryRequestBuilder.request().selectors(selectClass(fixture)).build(),
            listener);
    return listener.getSummary();
  }
}
