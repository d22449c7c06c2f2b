package dev.graft.inference.versions;

import dev.graft.inference.TestModels;
import dev.graft.inference.config.ServingSettings;
import dev.graft.shared.events.ModelVersionEvent;
import dev.graft.shared.json.Json;
import dev.graft.shared.store.ModelStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ModelVersionSourceTest {
    @TempDir
    Path root;

    @Test
    void startUpServesTheNewestUsableVersionOfEveryStoredModelAndEventsBringNewerOnes() throws Exception {
        ModelStore store = new ModelStore(root);
        TestModels.publishClassifier(store, "a", 1);
        TestModels.publishClassifier(store, "a", 2);
        TestModels.publishClassifier(store, "b", 3);
        var broken = TestModels.publishClassifier(store, "b", 4);
        Files.writeString(TestModels.artifactFile(store, broken), "truncated");
        ModelManager manager = TestModels.manager(store, ServingSettings.standard(), new SimpleMeterRegistry());
        ModelVersionSource source = new ModelVersionSource(store, manager);
        assertThat(source.startupScanDone()).isFalse();

        source.scanStore(null);
        await().atMost(Duration.ofSeconds(30)).until(source::startupScanDone);
        // b's newest version is broken: its older one serves rather than nothing
        assertThat(manager.status()).extracting(s -> s.model() + "@" + s.version()).containsExactly("a@2", "b@1");
        assertThat(manager.status("b").orElseThrow().failed()).extracting(ModelStatus.VersionNote::version).containsExactly(2);

        source.onVersion("{not an event");   // unreadable events are skipped, the source goes on
        source.onVersion(Json.write(ModelVersionEvent.of(TestModels.publishClassifier(store, "b", 5))));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(manager.status())
                .extracting(s -> s.model() + "@" + s.version()).containsExactly("a@2", "b@3"));
    }
}
