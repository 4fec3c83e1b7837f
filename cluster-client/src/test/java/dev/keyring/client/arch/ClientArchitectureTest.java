package dev.keyring.client.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The client's module rules. The root package {@code dev.keyring.client} is the public API (value
 * types, {@code KeyringChannel}, and the entry point {@code KeyringClient} that wires the rest), so
 * every sub-package uses it and it uses the sub-packages only to build a client; the rules below
 * hold the sub-packages to one direction among themselves.
 */
class ClientArchitectureTest {
  private static final JavaClasses CLIENT =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.keyring.client");

  @Test
  void subPackages_areFreeOfCycles() {
    slices().matching("dev.keyring.client.(**)").should().beFreeOfCycles().check(CLIENT);
  }

  @Test
  void client_neverSeesTheSimulatorOrTheStore() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.keyring.sim..", "dev.keyring.store..")
        .check(CLIENT);
  }

  @Test
  void wireAndRouting_neverReachTheRecoveringChannel() {
    // one retry point: what is below the decorator makes one attempt and never calls back into it
    noClasses()
        .that()
        .resideInAnyPackage(
            "dev.keyring.client.internal.transport..", "dev.keyring.client.internal.routing..")
        .should()
        .dependOnClassesThat()
        .haveSimpleNameStartingWith("RecoveringChannel")
        .orShould()
        .dependOnClassesThat()
        .haveSimpleName("CallKind")
        .check(CLIENT);
  }

  @Test
  void protocolLayer_neverSeesTheClient() {
    noClasses()
        .that()
        .resideInAPackage("dev.keyring.protocol..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.keyring.client..")
        .check(new ClassFileImporter().importPackages("dev.keyring.protocol"));
  }
}
