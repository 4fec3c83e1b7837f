package dev.keyring.sim.arch;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.Slice;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import com.tngtech.archunit.library.dependencies.Slices;
import dev.keyring.sim.Appliance;
import org.junit.jupiter.api.Test;

/**
 * The simulator's packages depend on each other in one direction only. {@code
 * slices().matching("dev.keyring.sim.(*)..")} leaves out the classes of {@code dev.keyring.sim}
 * itself (the pattern needs a package below it), so a cycle through them would go unseen; the
 * second rule puts them in a slice of their own.
 */
class PackageCyclesTest {
  private static final String ROOT = "dev.keyring.sim";

  /** The first package below {@code dev.keyring.sim}; the root package is a slice of its own. */
  private static final SliceAssignment TOP_LEVEL_PACKAGES =
      new SliceAssignment() {
        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
          String p = c.getPackageName();
          if (p.equals(ROOT)) {
            return SliceIdentifier.of(ROOT);
          }
          if (!p.startsWith(ROOT + ".")) {
            return SliceIdentifier.ignore();
          }
          String below = p.substring(ROOT.length() + 1);
          int dot = below.indexOf('.');
          return SliceIdentifier.of(ROOT + "." + (dot < 0 ? below : below.substring(0, dot)));
        }

        @Override
        public String getDescription() {
          return "the packages directly below " + ROOT + ", and " + ROOT + " itself";
        }
      };

  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(new ImportOption.DoNotIncludeTests())
          .importPackages(ROOT);

  @Test
  void packagesBelowTheRoot_areFreeOfCycles() {
    slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(CLASSES);
  }

  @Test
  void packagesWithTheRootPackage_areFreeOfCycles() {
    slices().assignedFrom(TOP_LEVEL_PACKAGES).should().beFreeOfCycles().check(CLASSES);
  }

  @Test
  void everyProductionClass_includingTheRootPackages_isInASlice() {
    Slices all = Slices.assignedFrom(TOP_LEVEL_PACKAGES).transform(CLASSES);
    int inSlices = all.stream().mapToInt(Slice::size).sum();
    assertEquals(CLASSES.size(), inSlices);
    assertTrue(
        all.stream().anyMatch(s -> s.contains(CLASSES.get(Appliance.class))),
        "the root package's classes are in a slice");
  }
}
