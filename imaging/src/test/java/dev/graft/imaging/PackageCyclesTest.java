package dev.graft.imaging;

import dev.graft.testing.PackageRules;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

/** Images, network files and the engine tuning apart from each other; the oneDNN shim is where DL4J looks it up. See docs/architecture.md. */
class PackageCyclesTest {
    private static final Map<String, Set<String>> MAY_IMPORT = Map.ofEntries(
            Map.entry("", Set.of()),
            Map.entry("engine", Set.of()),
            Map.entry("network", Set.of()));

    @Test
    void classesLiveUnderTheModulesPackageAndImportOnlyWhatTheRulesAllowWithoutACycle() {
        PackageRules.check("dev.graft.imaging", Set.of("contract"), MAY_IMPORT, "org.nd4j.nativeblas");
    }
}
