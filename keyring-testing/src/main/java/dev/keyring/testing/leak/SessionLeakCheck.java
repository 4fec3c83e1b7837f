package dev.keyring.testing.leak;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves crypto sessions open on a member it started: every member registered
 * with {@link SessionLeaks} during a test (or during a class's {@code @BeforeAll}) must report no
 * open session when it stops, or when the test (or class) ends if it still runs.
 *
 * <p>Registered for a whole module by {@code
 * META-INF/services/org.junit.jupiter.api.extension.Extension} and {@code
 * junit.jupiter.extensions.autodetection.enabled=true}, or per class with {@code @ExtendWith}.
 */
public final class SessionLeakCheck
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(SessionLeakCheck.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    context.getStore(NS).put("mark", SessionLeaks.mark());
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    context.getStore(NS).put("mark", SessionLeaks.mark());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    check(context);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    check(context);
  }

  private static void check(ExtensionContext context) {
    Integer mark = context.getStore(NS).remove("mark", Integer.class);
    if (mark == null) {
      return;
    }
    List<String> leaks = new ArrayList<>();
    for (SessionLeaks.Watch w : SessionLeaks.since(mark)) {
      int open = w.reading();
      if (open > 0) {
        leaks.add(open + " crypto session(s) open on " + w.what());
      }
    }
    if (!leaks.isEmpty()) {
      throw new AssertionError(
          "sessions leaked by "
              + context.getDisplayName()
              + " (a client, KeyStore or provider not closed?): "
              + String.join("; ", leaks));
    }
  }
}
