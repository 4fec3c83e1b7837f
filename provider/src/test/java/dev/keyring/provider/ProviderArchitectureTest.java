package dev.keyring.provider;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import dev.keyring.provider.api.KeyringKey;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/** The provider's module rules: the dependency direction and a small public API. */
class ProviderArchitectureTest {
  private static final JavaClasses PROVIDER =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.keyring.provider");

  @Test
  void provider_neverSeesTheSimulatorOrTheStore() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.keyring.sim..", "dev.keyring.store..")
        .check(PROVIDER);
  }

  @Test
  void handles_neverImplementThePrivateKeyInterfacesThatRevealValues() {
    classes()
        .that()
        .implement(KeyringKey.class)
        .should()
        .notImplement(java.security.interfaces.RSAPrivateKey.class)
        .andShould()
        .notImplement(java.security.interfaces.ECPrivateKey.class)
        .andShould()
        .notImplement(java.security.interfaces.EdECPrivateKey.class)
        .check(PROVIDER);
  }

  /** Every package a slice of its own, the root package dev.keyring.provider included. */
  private static final SliceAssignment EVERY_PACKAGE =
      new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
          String p = c.getPackageName();
          return p.equals("dev.keyring.provider") || p.startsWith("dev.keyring.provider.")
              ? SliceIdentifier.of(p)
              : SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
          return "every package of dev.keyring.provider, the root included";
        }
      };

  @Test
  void packages_rootIncluded_areFreeOfCycles() {
    // the root holds the entry point alone; api holds the types callers see; internal the engines
    slices().assignedFrom(EVERY_PACKAGE).should().beFreeOfCycles().check(PROVIDER);
    slices().matching("dev.keyring.provider.(**)").should().beFreeOfCycles().check(PROVIDER);
  }

  @Test
  void apiPackage_dependsOnNothingElseOfTheProvider() {
    noClasses()
        .that()
        .resideInAPackage("dev.keyring.provider.api..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.keyring.provider", "dev.keyring.provider.internal..")
        .check(PROVIDER);
  }

  @Test
  void publicApi_isTheDocumentedHandful() {
    Set<String> api =
        PROVIDER.stream()
            .filter(c -> c.getPackageName().startsWith("dev.keyring.provider"))
            .filter(c -> !c.getPackageName().contains(".internal"))
            .filter(c -> c.getModifiers().contains(JavaModifier.PUBLIC))
            .filter(c -> !c.isNestedClass())
            .map(c -> c.getSimpleName())
            .collect(Collectors.toSet());
    Assertions.assertEquals(
        Set.of(
            "KeyringProvider",
            "KeyringKey",
            "KeyringPrivateKey",
            "KeyringSecretKey",
            "KeyringKeyGenParameterSpec",
            "KeyringProviderException",
            "ProviderOperation",
            "KeyringAliasKeyManager"),
        api);
  }
}
