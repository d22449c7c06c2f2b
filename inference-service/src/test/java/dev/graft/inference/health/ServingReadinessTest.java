package dev.graft.inference.health;

import dev.graft.inference.TestModels;
import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.versions.ModelManager;
import dev.graft.inference.versions.ModelVersionSource;
import dev.graft.store.ModelStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ServingReadinessTest {
    @TempDir
    Path root;

    @Test
    void downUntilTheStartUpLoadsAreDoneAndEveryRequiredModelServes() throws Exception {
        ModelStore store = new ModelStore(root);
        TestModels.publishClassifier(store, "a", 1);
        ServingSettings standard = ServingSettings.standard();
        ServingSettings settings = new ServingSettings(standard.keepVersions(), standard.warmupPredictions(),
                standard.rescanInterval(), standard.loadRetries(), List.of("a", "b"), standard.defaults(), standard.models(), standard.imageLimits(),
                standard.maxImagesPerRequest());
        ModelManager manager = TestModels.manager(store, settings, new SimpleMeterRegistry());
        ModelVersionSource source = new ModelVersionSource(store, manager, settings);
        ServingReadiness readiness = new ServingReadiness(manager, source, settings);
        assertThat(readiness.ready()).as("before the store is scanned").isFalse();

        source.start(null);
        await().atMost(Duration.ofSeconds(30)).until(source::startupScanDone);
        assertThat(readiness.ready()).isFalse();
        assertThat(readiness.missing()).containsExactly("b");
        assertThat(readiness.call().getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);

        TestModels.publishClassifier(store, "b", 2);
        manager.offer("b", 1).get();
        assertThat(readiness.ready()).isTrue();
        assertThat(readiness.call().getStatus()).isEqualTo(HealthCheckResponse.Status.UP);
    }
}
