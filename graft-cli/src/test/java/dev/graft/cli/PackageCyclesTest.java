package dev.graft.cli;

import dev.graft.testing.PackageRules;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

/** The command line on the contract and the store; it talks to the services over Kafka and HTTP only. See docs/architecture.md. */
class PackageCyclesTest {
    private static final Map<String, Set<String>> MAY_IMPORT = Map.ofEntries(
            Map.entry("", Set.of()));

    @Test
    void classesLiveUnderTheModulesPackageAndImportOnlyWhatTheRulesAllowWithoutACycle() {
        PackageRules.check("dev.graft.cli", Set.of("contract", "store"), MAY_IMPORT);
    }
}
