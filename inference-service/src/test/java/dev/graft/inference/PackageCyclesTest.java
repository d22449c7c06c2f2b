package dev.graft.inference;

import dev.graft.testing.PackageRules;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

/** Versions and batching know nothing of HTTP; endpoints sit on top; never the trainer. See docs/architecture.md. */
class PackageCyclesTest {
    private static final Map<String, Set<String>> MAY_IMPORT = Map.ofEntries(
            Map.entry("config", Set.of()),
            Map.entry("metrics", Set.of()),
            Map.entry("batching", Set.of("config", "metrics")),
            Map.entry("versions", Set.of("batching", "config", "metrics")),
            Map.entry("loop", Set.of("config", "versions")),
            Map.entry("predict", Set.of("config", "loop", "versions")),
            Map.entry("health", Set.of("config", "versions")),
            Map.entry("endpoint", Set.of("config", "health", "loop", "metrics", "predict", "versions")));

    @Test
    void classesLiveUnderTheModulesPackageAndImportOnlyWhatTheRulesAllowWithoutACycle() {
        PackageRules.check("dev.graft.inference", Set.of("contract", "imaging", "store"), MAY_IMPORT);
    }
}
