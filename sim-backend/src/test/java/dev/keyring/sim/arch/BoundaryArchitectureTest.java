package dev.keyring.sim.arch;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Plaintext key material lives only in {@code dev.keyring.sim.boundary}: the types that hold or
 * reveal it are package-private there and used nowhere else, no other production class touches JCA
 * private or secret key types, and the modules depend on each other in one direction only.
 */
class BoundaryArchitectureTest {
  private static final String BOUNDARY = "dev.keyring.sim.boundary";

  /** The boundary's internal types that hold, reveal or seal plaintext key material. */
  private static final List<String> SECRET_HOLDERS =
      List.of(
          "SecretBytes",
          "SecretKeyAccess",
          "SmkVault",
          "LoadedKey",
          "UnwrappedKeyCache",
          "KeyringObjects",
          "SealedIdentities",
          "SksBlob",
          "CryptoEngines");

  /** JCA types through which plaintext key material would travel. */
  private static final List<Class<?>> KEY_MATERIAL_TYPES =
      List.of(
          PrivateKey.class,
          SecretKey.class,
          SecretKeySpec.class,
          PKCS8EncodedKeySpec.class,
          KeyPair.class,
          RSAPrivateKey.class,
          ECPrivateKey.class,
          EdECPrivateKey.class);

  private static JavaClasses classes;

  @BeforeAll
  static void importProductionClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.keyring");
  }

  private static Set<String> secretHolderNames() {
    return SECRET_HOLDERS.stream().map(n -> BOUNDARY + "." + n).collect(Collectors.toSet());
  }

  private static boolean isSecretHolder(JavaClass c) {
    // the type itself or any of its nested types
    String name = c.getName();
    int nested = name.indexOf('$');
    return secretHolderNames().contains(nested < 0 ? name : name.substring(0, nested));
  }

  @Test
  void importedClasses_includeTheBoundaryAndTheProtocolAndStoreModules_andNoTests() {
    assertTrue(classes.contain(BOUNDARY + ".Boundary"), "Boundary was imported");
    for (String n : SECRET_HOLDERS) {
      assertTrue(classes.contain(BOUNDARY + "." + n), n + " was imported");
    }
    assertTrue(
        classes.contain("dev.keyring.protocol.Attributes"), "protocol classes were imported");
    assertTrue(classes.contain("dev.keyring.store.KeyringStore"), "store classes were imported");
    assertTrue(
        classes.stream().anyMatch(c -> c.getPackageName().startsWith("dev.keyring.protocol")));
    assertTrue(classes.stream().anyMatch(c -> c.getPackageName().startsWith("dev.keyring.store")));
    assertFalse(
        classes.contain(BOUNDARY + ".TestKeyring"), "test classes are not part of the rules");
    assertFalse(classes.contain(BoundaryArchitectureTest.class.getName()));
  }

  @Test
  void secretHoldingTypes_areNotPublic() {
    ArchRule rule =
        classes()
            .that(
                describe(
                    "hold or reveal plaintext key material",
                    BoundaryArchitectureTest::isSecretHolder))
            .and()
            .areTopLevelClasses()
            .should()
            .notBePublic()
            .andShould()
            .resideInAPackage(BOUNDARY)
            .allowEmptyShould(false);
    rule.check(classes);
    // and the rule saw every one of them
    for (String n : SECRET_HOLDERS) {
      JavaClass c = classes.get(BOUNDARY + "." + n);
      assertFalse(c.getModifiers().contains(JavaModifier.PUBLIC), c.getName() + " is public");
    }
    assertEquals(
        SECRET_HOLDERS.size(),
        classes.stream().filter(c -> c.isTopLevelClass() && isSecretHolder(c)).count());
  }

  @Test
  void noClassOutsideTheBoundary_dependsOnTheSecretHoldingTypes() {
    NO_SECRET_HOLDERS_OUTSIDE_THE_BOUNDARY.check(classes);
  }

  private static final ArchRule NO_SECRET_HOLDERS_OUTSIDE_THE_BOUNDARY =
      noClasses()
          .that()
          .resideOutsideOfPackage(BOUNDARY + "..")
          .should()
          .dependOnClassesThat(
              describe(
                  "hold or reveal plaintext key material (" + SECRET_HOLDERS + ")",
                  BoundaryArchitectureTest::isSecretHolder));

  @Test
  void noProductionClassOutsideTheBoundary_usesJcaPrivateOrSecretKeyTypes() {
    NO_KEY_MATERIAL_TYPES_OUTSIDE_THE_BOUNDARY.check(classes);
  }

  private static final ArchRule NO_KEY_MATERIAL_TYPES_OUTSIDE_THE_BOUNDARY =
      noClasses()
          .that()
          .resideInAnyPackage("dev.keyring.protocol..", "dev.keyring.store..", "dev.keyring.sim..")
          .and()
          .resideOutsideOfPackage(BOUNDARY + "..")
          .should()
          .dependOnClassesThat(
              describe(
                  "carry plaintext key material "
                      + KEY_MATERIAL_TYPES.stream()
                          .map(Class::getName)
                          .collect(Collectors.toList()),
                  BoundaryArchitectureTest::isKeyMaterialType));

  /** A class outside the boundary that handles a private key: what the rule must catch. */
  static final class LeakyCanary {
    byte[] leak(PrivateKey key) {
      return key.getEncoded();
    }

    Object spec(byte[] raw) {
      return new SecretKeySpec(raw, "AES");
    }
  }

  @Test
  void rules_reportViolations_whenThereAreSome() {
    // rule (b) on a class that handles key material outside the boundary
    JavaClasses canary = new ClassFileImporter().importClasses(LeakyCanary.class);
    assertTrue(
        NO_KEY_MATERIAL_TYPES_OUTSIDE_THE_BOUNDARY.evaluate(canary).hasViolation(),
        "the key material rule catches a PrivateKey parameter and a SecretKeySpec");
    // rule (a)'s predicate does see the boundary's own uses of the secret-holding types
    ArchRule inside =
        noClasses()
            .that()
            .haveFullyQualifiedName(BOUNDARY + ".Boundary")
            .should()
            .dependOnClassesThat(
                describe("hold plaintext key material", BoundaryArchitectureTest::isSecretHolder));
    assertTrue(
        inside.evaluate(classes).hasViolation(),
        "Boundary uses SmkVault, UnwrappedKeyCache, KeyringObjects...: the predicate matches them");
  }

  private static boolean isKeyMaterialType(JavaClass c) {
    for (Class<?> t : KEY_MATERIAL_TYPES) {
      if (c.isEquivalentTo(t) || c.isAssignableTo(t)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void protocol_dependsOnNoOtherKeyringModule() {
    noClasses()
        .that()
        .resideInAPackage("dev.keyring.protocol..")
        .should()
        .dependOnClassesThat(
            describe(
                "reside in a dev.keyring package other than dev.keyring.protocol",
                (JavaClass c) ->
                    c.getPackageName().matches("dev\\.keyring(\\..*)?")
                        && !c.getPackageName().matches("dev\\.keyring\\.protocol(\\..*)?")))
        .check(classes);
  }

  @Test
  void store_doesNotDependOnTheSimulation() {
    noClasses()
        .that()
        .resideInAPackage("dev.keyring.store..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.keyring.sim..")
        .check(classes);
  }

  @Test
  void simulation_doesNotDependOnTheClientOrTheProvider() {
    noClasses()
        .that()
        .resideInAPackage("dev.keyring.sim..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.keyring.client..", "dev.keyring.provider..")
        .check(classes);
  }
}
