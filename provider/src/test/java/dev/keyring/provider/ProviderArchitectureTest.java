package dev.keyring.provider;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
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

  @Test
  void publicApi_isTheDocumentedHandful() {
    Set<String> api =
        PROVIDER.stream()
            .filter(c -> c.getPackageName().equals("dev.keyring.provider"))
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
            "KeyringProviderException"),
        api);
  }
}
