package dev.keyring.client.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import org.junit.jupiter.api.Test;

/**
 * The client's module rules. {@code dev.keyring.client.api} holds the public types every layer
 * speaks ({@code KeyringChannel}, {@code Slot}, {@code KeyringObject}, ...) and depends on nothing
 * of the client; the root package holds only the entry point {@code KeyringClient}, which wires the
 * layers; no package, the root included, is in a cycle with another.
 */
class ClientArchitectureTest {
  private static final JavaClasses CLIENT =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.keyring.client");

  /** Every package a slice of its own, the root package dev.keyring.client included. */
  private static final SliceAssignment EVERY_PACKAGE =
      new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
          String p = c.getPackageName();
          return p.equals("dev.keyring.client") || p.startsWith("dev.keyring.client.")
              ? SliceIdentifier.of(p)
              : SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
          return "every package of dev.keyring.client, the root included";
        }
      };

  @Test
  void packages_rootIncluded_areFreeOfCycles() {
    slices().assignedFrom(EVERY_PACKAGE).should().beFreeOfCycles().check(CLIENT);
    slices().matching("dev.keyring.client.(**)").should().beFreeOfCycles().check(CLIENT);
  }

  @Test
  void apiPackage_dependsOnNothingElseOfTheClient() {
    noClasses()
        .that()
        .resideInAPackage("dev.keyring.client.api..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.keyring.client")
        .orShould()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.keyring.client.channel..",
            "dev.keyring.client.internal..",
            "dev.keyring.client.config..",
            "dev.keyring.client.registration..",
            "dev.keyring.client.cli..")
        .check(CLIENT);
  }

  @Test
  void nothingButTheCli_usesTheEntryPoint() {
    noClasses()
        .that()
        .resideOutsideOfPackages("dev.keyring.client", "dev.keyring.client.cli..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.keyring.client")
        .check(CLIENT);
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
        .orShould()
        .dependOnClassesThat()
        .haveSimpleName("RecoveryLoop")
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
