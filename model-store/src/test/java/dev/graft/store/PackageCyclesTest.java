package dev.graft.store;

import dev.graft.testing.PackageRules;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

/** The store on the contract alone; security (deserialization filter, secrets) below it. See docs/architecture.md. */
class PackageCyclesTest {
    private static final Map<String, Set<String>> MAY_IMPORT = Map.ofEntries(
            Map.entry("", Set.of("security")),
            Map.entry("security", Set.of()));

    @Test
    void classesLiveUnderTheModulesPackageAndImportOnlyWhatTheRulesAllowWithoutACycle() {
        PackageRules.check("dev.graft.store", Set.of("contract"), MAY_IMPORT);
    }
}
