package dev.graft.inference.versions;

import dev.graft.inference.TestModels;
import dev.graft.inference.predict.InferenceMetrics;
import dev.graft.shared.events.ModelVersionEvent;
import dev.graft.shared.json.Json;
import dev.graft.shared.store.ModelStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ModelVersionSourceTest {
    @TempDir
    Path root;

    @Test
    void startUpServesTheNewestVersionOfEveryStoredModelAndEventsBringNewerOnes() {
        ModelStore store = new ModelStore(root);
        TestModels.publishClassifier(store, "a", 1);
        TestModels.publishClassifier(store, "a", 2);
        TestModels.publishClassifier(store, "b", 3);
        ModelManager manager = new ModelManager(new ModelLoader(store), new InferenceMetrics(new SimpleMeterRegistry()));
        ModelVersionSource source = new ModelVersionSource(store, manager);

        source.scanStore(null);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(manager.serving())
                .extracting(m -> m.model() + "@" + m.version()).containsExactly("a@2", "b@1"));

        source.onVersion("{not an event");   // unreadable events are skipped, the source goes on
        source.onVersion(Json.write(ModelVersionEvent.of(TestModels.publishClassifier(store, "b", 4))));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(manager.serving())
                .extracting(m -> m.model() + "@" + m.version()).containsExactly("a@2", "b@2"));
    }
}
