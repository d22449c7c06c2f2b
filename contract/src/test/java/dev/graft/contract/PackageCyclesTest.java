package dev.graft.contract;

import dev.graft.testing.PackageRules;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

/** The wire types: events refer to manifests; nothing of Graft beyond this module. See docs/architecture.md. */
class PackageCyclesTest {
    private static final Map<String, Set<String>> MAY_IMPORT = Map.ofEntries(
            Map.entry("events", Set.of("manifest")),
            Map.entry("json", Set.of()),
            Map.entry("manifest", Set.of()));

    @Test
    void classesLiveUnderTheModulesPackageAndImportOnlyWhatTheRulesAllowWithoutACycle() {
        PackageRules.check("dev.graft.contract", Set.of(), MAY_IMPORT);
    }
}
