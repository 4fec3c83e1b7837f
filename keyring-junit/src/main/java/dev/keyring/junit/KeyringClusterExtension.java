package dev.keyring.junit;

import dev.keyring.distribution.Quickstart;
import dev.keyring.provider.KeyringProvider;
import dev.keyring.sim.hsm.Passwords;
import dev.keyring.sim.keyring.KeyringService;
import dev.keyring.sim.server.Member;
import dev.keyring.testing.admin.AdminRestClient;
import dev.keyring.testing.cluster.ClusterHarness;
import dev.keyring.testing.leak.SessionLeaks;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts the cluster of a {@link KeyringCluster} class before its first test, resolves its
 * parameters, and stops everything after its last test (the cluster lives in the class's {@link
 * ExtensionContext.Store}; stopped in {@code afterAll}, or by JUnit closing the store when {@code
 * afterAll} did not run).
 */
public final class KeyringClusterExtension
    implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(KeyringClusterExtension.class);
  private static final int MAX_MEMBERS = 5;

  /** Password verifiers cost 10,000 PBKDF2 rounds (310,000 on an appliance): cheap logins. */
  static final int KDF_ITERATIONS = 10_000;

  @Override
  public void beforeAll(ExtensionContext context) {
    Class<?> test = context.getRequiredTestClass();
    if (!test.isAnnotationPresent(KeyringCluster.class)) {
      if (clusterContext(context) == null) {
        throw new ExtensionConfigurationException(
            test.getName() + " uses KeyringClusterExtension without @KeyringCluster");
      }
      return; // a @Nested class: its tests use the enclosing class's cluster
    }
    ExtensionContext outer =
        context.getParent().map(KeyringClusterExtension::clusterContext).orElse(null);
    if (outer != null) {
      throw new ExtensionConfigurationException(
          "@KeyringCluster on "
              + test.getName()
              + ": its enclosing class "
              + outer.getRequiredTestClass().getName()
              + " has a @KeyringCluster already, and a @Nested class takes the enclosing class's"
              + " cluster: remove the annotation from the @Nested class");
    }
    running(context);
  }

  /**
   * Stops the class's cluster once its {@code @AfterAll} methods ran, rather than when JUnit closes
   * the class's store after every extension's {@code afterAll}: an extension registered before this
   * one that reads the members in its {@code afterAll} (the session-leak check of keyring-testing)
   * finds the provider's and the KeyStore's sessions closed. A {@code @Nested} class holds none.
   */
  @Override
  public void afterAll(ExtensionContext context) {
    Running r = context.getStore(NS).remove(Running.class, Running.class);
    if (r != null) {
      r.close();
    }
  }

  /**
   * The cluster of the nearest enclosing {@link KeyringCluster} class, started if it was not yet:
   * constructor parameters of a {@code @TestInstance(PER_CLASS)} class are resolved before the
   * class's {@code beforeAll}.
   */
  private static Running running(ExtensionContext context) {
    ExtensionContext owner = clusterContext(context);
    if (owner == null) {
      throw new ParameterResolutionException(
          "no Keyring cluster: annotate the test class with @KeyringCluster");
    }
    KeyringCluster spec = owner.getRequiredTestClass().getAnnotation(KeyringCluster.class);
    check(spec);
    return owner.getStore(NS).getOrComputeIfAbsent(Running.class, k -> start(spec), Running.class);
  }

  /**
   * The context of the nearest class (this one or an enclosing one) with {@link KeyringCluster}.
   */
  private static ExtensionContext clusterContext(ExtensionContext context) {
    for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
      if (annotatedClass(c) != null) {
        return c;
      }
    }
    return null;
  }

  /** The class of a class's context when it carries {@link KeyringCluster}, else null. */
  private static Class<?> annotatedClass(ExtensionContext c) {
    return c.getElement().orElse(null) instanceof Class<?> k
            && k.isAnnotationPresent(KeyringCluster.class)
        ? k
        : null;
  }

  /** Refuses attribute values no cluster starts with, naming the attribute. */
  private static void check(KeyringCluster spec) {
    if (spec.members() < 1 || spec.members() > MAX_MEMBERS) {
      throw new ExtensionConfigurationException(
          "@KeyringCluster(members) must be 1 to " + MAX_MEMBERS + ", got " + spec.members());
    }
    if (!spec.keyring().matches(KeyringService.LABEL_RULE)) {
      throw new ExtensionConfigurationException(
          "@KeyringCluster(keyring) must be 1 to 64 characters of letters, digits, '_', '.', '-',"
              + " starting with a letter or digit, got \""
              + spec.keyring()
              + "\"");
    }
    int length = Passwords.length(spec.password());
    if (length < Passwords.MIN_LENGTH
        || length > Passwords.MAX_LENGTH
        || spec.password().chars().anyMatch(Character::isISOControl)) {
      throw new ExtensionConfigurationException(
          "@KeyringCluster(password) must be "
              + Passwords.MIN_LENGTH
              + " to "
              + Passwords.MAX_LENGTH
              + " characters, none of them a control character, got "
              + length
              + " characters");
    }
  }

  private static Running start(KeyringCluster spec) {
    Running r = new Running();
    try {
      r.dir = Files.createTempDirectory("keyring-junit-");
      if (spec.members() == 1) {
        r.quickstart =
            Quickstart.start(
                new Quickstart.Settings(
                    r.dir, spec.keyring(), spec.password(), 0, 0, KDF_ITERATIONS));
        Quickstart q = r.quickstart;
        // the session-leak check of keyring-testing watches it, as it does members as processes;
        // the watch outlives the class, the member not
        r.watched.set(q.cluster().member(0));
        AtomicReference<Member> watched = r.watched;
        r.watch =
            SessionLeaks.watch(
                "the member in this JVM",
                () -> {
                  Member m = watched.get();
                  return m == null ? -1 : m.openSessions();
                });
        r.cluster =
            new TestCluster(
                1,
                q.clientConfig(),
                spec.keyring(),
                spec.password(),
                null,
                i -> {
                  var m = q.cluster().member(i);
                  return new AdminRestClient(m.adminPort(), m.adminCertificate())
                      .send("GET", "/metrics", "admin", q.adminPassword(), null)
                      .expect(200)
                      .body();
                });
      } else {
        r.harness = ClusterHarness.startCluster(r.dir, spec.members(), spec.members());
        Path conf =
            ProcessCluster.provisionKeyring(r.harness, r.dir, spec.keyring(), spec.password());
        ClusterHarness h = r.harness;
        r.cluster =
            new TestCluster(
                spec.members(),
                conf,
                spec.keyring(),
                spec.password(),
                h,
                i ->
                    h.member(i)
                        .rest()
                        .send("GET", "/metrics", "admin", ClusterHarness.ADMIN_PW, null)
                        .expect(200)
                        .body());
      }
      r.provider = new KeyringProvider(r.cluster.clientConfig());
      // one check and install: a class started at the same time finds this one's provider
      if (Security.addProvider(r.provider) < 0) {
        throw new ExtensionConfigurationException(
            "a provider named "
                + r.provider.getName()
                + " is installed already ("
                + Security.getProvider(r.provider.getName())
                + "); a @KeyringCluster class installs its own for its tests: remove the other,"
                + " or run such classes one after the other");
      }
      r.installed = true;
      r.keyStore(); // the KRCO logs in: generators work whether or not a test asks for the store
      return r;
    } catch (Exception e) {
      r.close();
      throw new ExtensionConfigurationException("the Keyring cluster did not start: " + e, e);
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> t = parameter.getParameter().getType();
    return t == KeyStore.class
        || t == KeyringProvider.class
        || t == Provider.class
        || t == TestCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Running r = running(context);
    Class<?> t = parameter.getParameter().getType();
    if (t == TestCluster.class) {
      return r.cluster;
    }
    if (t == KeyStore.class) {
      return r.keyStore();
    }
    return r.provider;
  }

  /** What one class's cluster holds; closed by JUnit with the class's store. */
  private static final class Running implements ExtensionContext.Store.CloseableResource {
    Path dir;
    Quickstart quickstart;
    SessionLeaks.Watch watch;
    final AtomicReference<Member> watched = new AtomicReference<>();
    ClusterHarness harness;
    TestCluster cluster;
    KeyringProvider provider;
    boolean installed;
    private KeyStore keyStore;

    synchronized KeyStore keyStore() {
      if (keyStore == null) {
        try {
          KeyStore ks = KeyStore.getInstance("Keyring", provider);
          ks.load(
              new ByteArrayInputStream(
                  ("slot=" + cluster.keyring() + "\n").getBytes(StandardCharsets.UTF_8)),
              cluster.password().toCharArray());
          keyStore = ks;
        } catch (Exception e) {
          throw new ParameterResolutionException("the Keyring KeyStore did not load: " + e, e);
        }
      }
      return keyStore;
    }

    @Override
    public void close() {
      List<Throwable> failures = new ArrayList<>();
      if (harness != null) {
        harness.resumeAll(); // a member the test left paused answers the provider's goodbyes
      }
      if (installed) {
        Security.removeProvider(provider.getName());
      }
      run(
          failures,
          () -> {
            if (provider != null) {
              provider.close();
            }
          });
      run(
          failures,
          () -> {
            if (watch != null) {
              watch.close(); // the last reading, once the provider closed its sessions
              watched.set(null);
            }
            if (quickstart != null) {
              quickstart.close();
            }
          });
      run(
          failures,
          () -> {
            if (harness != null) {
              harness.close();
            }
          });
      run(failures, () -> deleteTree(dir));
      if (!failures.isEmpty()) {
        IllegalStateException e = new IllegalStateException("stopping the Keyring cluster failed");
        failures.forEach(e::addSuppressed);
        throw e;
      }
    }

    private static void run(List<Throwable> failures, ThrowingStep step) {
      try {
        step.run();
      } catch (Exception | Error e) {
        failures.add(e);
      }
    }

    private interface ThrowingStep {
      void run() throws Exception;
    }

    private static void deleteTree(Path root) throws IOException {
      if (root == null || !Files.exists(root)) {
        return;
      }
      try (Stream<Path> s = Files.walk(root)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toArray(Path[]::new)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
