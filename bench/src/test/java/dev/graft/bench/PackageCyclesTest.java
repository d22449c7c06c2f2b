package dev.graft.bench;

import dev.graft.testing.PackageRules;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

/** One entry point over one package per benchmark; the serving benchmarks use the packaged inference service as a process. See docs/architecture.md. */
class PackageCyclesTest {
    private static final Map<String, Set<String>> MAY_IMPORT = Map.ofEntries(
            Map.entry("", Set.of("engine", "pool", "resnet50", "serving", "storage", "trainer")),
            Map.entry("engine", Set.of("trainer")),
            Map.entry("pool", Set.of()),
            Map.entry("resnet50", Set.of("trainer")),
            Map.entry("serving", Set.of("trainer")),
            Map.entry("storage", Set.of("trainer")),
            Map.entry("trainer", Set.of()));

    @Test
    void classesLiveUnderTheModulesPackageAndImportOnlyWhatTheRulesAllowWithoutACycle() {
        PackageRules.check("dev.graft.bench", Set.of("contract", "imaging", "kafka", "s3local", "store", "testing", "trainer"), MAY_IMPORT);
    }
}
