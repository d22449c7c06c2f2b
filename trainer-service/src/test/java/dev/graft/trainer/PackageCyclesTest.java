package dev.graft.trainer;

import dev.graft.testing.PackageRules;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

/** The recipe (training, base, dataset) knows nothing of Kafka or the pool; pool state knows nothing of the job or the intake; the intake drives the job; never the inference service. See docs/architecture.md. */
class PackageCyclesTest {
    private static final Map<String, Set<String>> MAY_IMPORT = Map.ofEntries(
            Map.entry("config", Set.of()),
            Map.entry("storage", Set.of("config")),
            Map.entry("dataset", Set.of("config")),
            Map.entry("base", Set.of("config", "dataset")),
            Map.entry("training", Set.of("base", "config", "dataset", "storage")),
            Map.entry("messaging", Set.of()),
            Map.entry("pool", Set.of("config", "storage", "training")),
            Map.entry("job", Set.of("dataset", "messaging", "pool", "storage", "training")),
            Map.entry("intake", Set.of("job", "pool")),
            Map.entry("imports", Set.of("base", "messaging")),
            Map.entry("endpoint", Set.of("base", "imports", "pool", "training")));

    @Test
    void classesLiveUnderTheModulesPackageAndImportOnlyWhatTheRulesAllowWithoutACycle() {
        PackageRules.check("dev.graft.trainer", Set.of("contract", "imaging", "store"), MAY_IMPORT);
    }
}
