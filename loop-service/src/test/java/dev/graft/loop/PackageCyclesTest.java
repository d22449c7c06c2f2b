package dev.graft.loop;

import dev.graft.testing.PackageRules;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

/**
 * The live figures know nothing of Kafka; the join feeds them, the retraining trigger and the shadow
 * comparer; the endpoint reads the live figures and the comparisons. See docs/architecture.md.
 */
class PackageCyclesTest {
    private static final Map<String, Set<String>> MAY_IMPORT = Map.ofEntries(
            Map.entry("config", Set.of()),
            Map.entry("live", Set.of()),
            Map.entry("store", Set.of()),
            Map.entry("retrain", Set.of("config", "live", "store")),
            Map.entry("shadow", Set.of("store")),
            Map.entry("join", Set.of("config", "live", "store", "retrain", "shadow")),
            Map.entry("health", Set.of("join")),
            Map.entry("endpoint", Set.of("live", "shadow")));

    @Test
    void classesLiveUnderTheModulesPackageAndImportOnlyWhatTheRulesAllowWithoutACycle() {
        PackageRules.check("dev.graft.loop", Set.of("contract", "store"), MAY_IMPORT);
    }
}
