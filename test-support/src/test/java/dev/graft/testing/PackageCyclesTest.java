package dev.graft.testing;

import dev.graft.testing.PackageRules;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

/** Test helpers over the local Kafka broker. See docs/architecture.md. */
class PackageCyclesTest {
    private static final Map<String, Set<String>> MAY_IMPORT = Map.ofEntries(
            Map.entry("", Set.of()));

    @Test
    void classesLiveUnderTheModulesPackageAndImportOnlyWhatTheRulesAllowWithoutACycle() {
        PackageRules.check("dev.graft.testing", Set.of("kafka"), MAY_IMPORT);
    }
}
