package dev.graft.s3local;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The local S3 server: one package, nothing of Graft. It is not a child of the parent POM, so it checks its rules
 * with ArchUnit directly rather than through {@code PackageRules}. See docs/architecture.md.
 */
class PackageCyclesTest {
    private final JavaClasses own = new ClassFileImporter().importPath(Path.of("target/classes"));

    @Test
    void classesLiveUnderTheModulesPackageAndUseNoOtherGraftModule() {
        classes().should().resideInAPackage("dev.graft.s3local").check(own);
        noClasses().should().dependOnClassesThat(resideInAPackage("dev.graft..").and(not(resideInAPackage("dev.graft.s3local"))))
                .check(own);
    }
}
