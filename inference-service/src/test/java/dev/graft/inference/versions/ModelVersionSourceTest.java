package dev.graft.inference.versions;

import dev.graft.inference.TestModels;
import dev.graft.inference.config.ServingSettings;
import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.json.Json;
import dev.graft.store.ModelStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.apache.commons.io.file.PathUtils;

import java.io.IOException;
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
        ModelVersionSource source = new ModelVersionSource(store, manager, ServingSettings.standard());
        assertThat(source.startupScanDone()).isFalse();

        source.start(null);
        await().atMost(Duration.ofSeconds(30)).until(source::startupScanDone);
        // b's newest version is broken: its older one serves rather than nothing
        assertThat(manager.status()).extracting(s -> s.model() + "@" + s.version()).containsExactly("a@2", "b@1");
        assertThat(manager.status("b").orElseThrow().failed()).extracting(ModelStatus.VersionNote::version).containsExactly(2);

        source.onVersion("{not an event");   // unreadable events are skipped, the source goes on
        source.onVersion(Json.write(ModelVersionEvent.of(TestModels.publishClassifier(store, "b", 5))));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(manager.status())
                .extracting(s -> s.model() + "@" + s.version()).containsExactly("a@2", "b@3"));
        source.stop(null);
    }

    @Test
    void aVersionWrittenWithoutAnEventServesAfterTheNextScanAndRemovedVersionsAreRetiredUnlessServing() throws Exception {
        ModelStore store = new ModelStore(root);
        TestModels.publishClassifier(store, "m", 1);
        ServingSettings settings = ServingSettings.standard().withRescanInterval(Duration.ofMillis(200));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ModelManager manager = TestModels.manager(store, settings, registry);
        ModelVersionSource source = new ModelVersionSource(store, manager, settings);
        source.start(null);
        await().atMost(Duration.ofSeconds(30)).until(source::startupScanDone);
        assertThat(manager.status("m").orElseThrow().version()).isEqualTo(1);

        // stored, its event lost: the scan finds it
        TestModels.publishClassifier(store, "m", 2);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(manager.status("m").orElseThrow().version()).isEqualTo(2));
        LoadedModel one = manager.acquire("m", 1);
        one.release();

        // removed by hand: a loaded older version is unloaded and retired
        delete(root.resolve("m/1"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(manager.status("m").orElseThrow().versions())
                .extracting(v -> v.version() + " " + v.state() + " " + v.inStore() + " " + v.reason())
                .containsExactly("1 retired false not in the store", "2 serving true null"));
        assertThat(one.isReleased()).isTrue();

        // the serving version removed: it serves on, and says why, until a newer one replaces it
        TestModels.publishClassifier(store, "m", 3);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(manager.status("m").orElseThrow().version()).isEqualTo(3));
        delete(root.resolve("m/3"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(manager.status("m").orElseThrow().versions())
                .extracting(v -> v.version() + " " + v.state() + " " + v.reason()).containsExactly(
                        "1 retired not in the store", "2 ready null",
                        "3 serving removed from the store; serves until another version replaces it"));
        LoadedModel stillServing = manager.acquire("m").orElseThrow();
        assertThat(stillServing.version()).isEqualTo(3);
        stillServing.release();
        source.stop(null);
    }

    private static void delete(Path folder) throws IOException {
        PathUtils.deleteDirectory(folder);
    }
}
