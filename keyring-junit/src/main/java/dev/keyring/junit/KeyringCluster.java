package dev.keyring.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A simulated Keyring cluster for the annotated test class, started once before its first test and
 * stopped after its last: provisioned (HSM, partition, cluster), with keyring {@link #keyring()}
 * through its first login and a registered client. Test constructors and methods take as
 * parameters:
 *
 * <ul>
 *   <li>{@link java.security.KeyStore} — a {@code Keyring} KeyStore loaded with the keyring's
 *       password (one per class, loaded before the first test: the KRCO is logged in, so the
 *       provider's generators make keys on the keyring even in tests that take no parameter);
 *   <li>{@link dev.keyring.provider.KeyringProvider} (or {@link java.security.Provider}) — the
 *       provider configured with the registered client; it is also installed in {@link
 *       java.security.Security} for the class, so that keyring keys find it by delayed selection;
 *   <li>{@link TestCluster} — the configuration file, the password, and with {@code members > 1}
 *       the faults: kill, restart, pause, resume, cut, isolate, heal, and {@code authorize} (a
 *       member started again after a kill takes its authorization from an authorized member that
 *       stayed active; when every member was killed, the first one back must be authorized, as on
 *       an appliance).
 * </ul>
 *
 * <pre>{@code
 * @KeyringCluster
 * class SignerTest {
 *   @Test
 *   void signs(KeyStore ks) throws Exception {
 *     KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "Keyring");
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <p>Constructors, {@code @BeforeAll}, {@code @BeforeEach} and test methods take these parameters,
 * under either test-instance lifecycle. The {@code @Nested} classes of the annotated class use its
 * cluster; a {@code @Nested} class with a {@code @KeyringCluster} of its own is refused. On a base
 * class, the annotation gives each test class that extends it a cluster of its own.
 *
 * <p>The session-leak check of keyring-testing ({@code SessionLeakCheck}, registered before this
 * extension, as a module's autodetected extensions are) watches every member, the one in the test's
 * JVM too: a KeyStore or provider a test leaves open fails the class, while the class's own
 * provider and KeyStore are closed before the check.
 *
 * <p>With {@code members = 1} the member runs in the test's JVM (a real member on loopback: mutual
 * TLS, H2 store). With more, each member is a JVM of its own (the simulator must be on the test
 * class path, as it is with this module), joined one at a time, with a fault-injecting proxy on
 * every link.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(KeyringClusterExtension.class)
public @interface KeyringCluster {
  /** How many members: 1 (in this JVM) to 5 (processes). */
  int members() default 1;

  /**
   * The keyring's label: 1 to 64 characters of letters, digits, {@code _}, {@code .}, {@code -},
   * starting with a letter or digit.
   */
  String keyring() default "test";

  /**
   * The keyring's KRSO/KRCO password: 7 to 255 characters (with 17 or more, as the default has,
   * failed logins never lock the keyring).
   */
  String password() default "keyring-test-password";
}
