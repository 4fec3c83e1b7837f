package dev.keyring.testing.junit;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.keyring.testing.leak.SessionLeaks;
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

  /** How long the session-leak check waits for sessions to end while a fixture runs, in ms. */
  private static final String FIXTURE_LEAK_GRACE_MILLIS = "500";

  /**
   * Runs every test of {@code fixture}, with the extensions the class path registers. While it
   * runs, the session-leak check waits {@value #FIXTURE_LEAK_GRACE_MILLIS} ms (not 5 s) for
   * sessions to end: a fixture that leaks on purpose would otherwise wait out the full grace.
   */
  public static TestExecutionSummary run(Class<?> fixture) {
    String before = System.getProperty(SessionLeaks.GRACE_PROPERTY);
    System.setProperty(SessionLeaks.GRACE_PROPERTY, FIXTURE_LEAK_GRACE_MILLIS);
    try {
      SummaryGeneratingListener listener = new SummaryGeneratingListener();
      LauncherFactory.create()
          .execute(
              LauncherDiscoveryRequestBuilder.request().selectors(selectClass(fixture)).build(),
              listener);
      return listener.getSummary();
    } finally {
      if (before == null) {
        System.clearProperty(SessionLeaks.GRACE_PROPERTY);
      } else {
        System.setProperty(SessionLeaks.GRACE_PROPERTY, before);
      }
    }
  }
}
