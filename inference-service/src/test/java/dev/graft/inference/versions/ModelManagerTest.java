package dev.graft.inference.versions;

import dev.graft.inference.TestModels;
import dev.graft.inference.predict.InferenceMetrics;
import dev.graft.shared.store.ModelStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ModelManagerTest {
    @TempDir
    Path root;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private ModelManager manager(ModelStore store) {
        return new ModelManager(new ModelLoader(store), new InferenceMetrics(registry));
    }

    private static void offerAndWait(ModelManager manager, String model, int version) throws Exception {
        manager.offer(model, version).orElseThrow().get();
    }

    @Test
    void aSwappedOutVersionFinishesItsInFlightRequestBeforeItsMemoryIsReleased() throws Exception {
        ModelStore store = new ModelStore(root);
        ModelManager manager = manager(store);
        TestModels.publishClassifier(store, "m", 1);
        offerAndWait(manager, "m", 1);

        LoadedModel inFlight = manager.acquire("m").orElseThrow();
        TestModels.publishClassifier(store, "m", 2);
        offerAndWait(manager, "m", 2);

        assertThat(manager.acquire("m").map(m -> {
            m.release();
            return m.version();
        })).contains(2);
        // version 1 is no longer served, but the request that holds it can still use it
        assertThat(inFlight.isReleased()).isFalse();
        assertThat(inFlight.output(Nd4j.zeros(DataType.FLOAT, 1, 3, 8, 8)).length()).isEqualTo(3);
        inFlight.release();
        assertThat(inFlight.isReleased()).isTrue();
    }

    @Test
    void olderOrFailingVersionsNeverReplaceTheServingOne() throws Exception {
        ModelStore store = new ModelStore(root);
        ModelManager manager = manager(store);
        TestModels.publishClassifier(store, "m", 1);
        TestModels.publishClassifier(store, "m", 2);
        offerAndWait(manager, "m", 2);

        assertThat(manager.offer("m", 1)).isEmpty();
        var corrupt = TestModels.publishClassifier(store, "m", 3);
        Files.writeString(store.artifact(corrupt), "garbage");
        offerAndWait(manager, "m", 3);

        assertThat(manager.serving()).extracting(LoadedModel::version).containsExactly(2);
        assertThat(registry.counter("graft_model_loads", "model", "m", "outcome", "failed").count()).isEqualTo(1.0);
        assertThat(manager.acquire("unknown")).isEmpty();
    }
}
