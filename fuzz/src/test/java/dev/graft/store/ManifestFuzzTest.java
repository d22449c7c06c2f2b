package dev.graft.store;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.ModelManifest;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A manifest as whoever can write to the model store may write it, read as the store reads it: refused
 * with a reason, or one whose artifact is a file inside its own version's folder, in the store and in
 * the cache, so that neither a download nor a cache write can land anywhere else.
 */
class ManifestFuzzTest {
    private static final Path CACHE = Path.of("/cache");

    @FuzzTest(maxDuration = "60s")
    void aManifestIsRefusedOrNamesAFileInItsOwnFolder(byte[] bytes) {
        ModelManifest manifest;
        try {
            manifest = Json.read(new String(bytes, StandardCharsets.UTF_8), ModelManifest.class);
        } catch (IllegalArgumentException unreadable) {
            assertThat(unreadable.getMessage()).isNotBlank();
            return;
        }
        if (manifest == null || manifest.model() == null || !manifest.model().matches("[a-z0-9][a-z0-9._-]{0,63}")) {
            return;   // the store reads manifests of valid names only
        }
        if (ModelStore.problem(manifest, manifest.model(), manifest.version()) != null) {
            return;
        }
        Path folder = CACHE.resolve(manifest.model()).resolve(Integer.toString(manifest.version()));
        Path artifact = folder.resolve(manifest.artifact()).normalize();
        assertThat(artifact.getParent()).isEqualTo(folder.normalize());
    }
}
