package dev.graft.trainer.pool;

import dev.graft.s3local.LocalS3;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.manifest.BaseLineage;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ArtifactCache;
import dev.graft.store.ModelStore;
import dev.graft.store.S3Settings;
import dev.graft.store.StorageUri;
import dev.graft.trainer.storage.TrainerState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** GET /api/trainings/{id} for ids nobody sent, on the real S3 server: answered from what the trainer holds. */
class UnknownRequestLookupTest {
    private static LocalS3 s3;
    private static S3Settings settings;

    @TempDir
    Path work;

    @BeforeAll
    static void start() throws Exception {
        s3 = LocalS3.start(Files.createTempDirectory("graft-lookup-s3"), "graft-models", "graft-state");
        settings = S3Settings.local(s3.endpoint(), LocalS3.ACCESS_KEY, LocalS3.SECRET_KEY);
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    @Test
    void aThousandUnknownIdsCostAHandfulOfStorageRequestsAndKnownOnesAreStillFound() {
        String run = UUID.randomUUID().toString();
        CountingBlobs state = new CountingBlobs(StorageUri.parse("s3://graft-state/" + run + "/").open(settings));
        CountingBlobs models = new CountingBlobs(StorageUri.parse("s3://graft-models/" + run + "/").open(settings));
        ModelStore store = new ModelStore(models, new ArtifactCache(work.resolve("cache"), 1L << 30));
        for (int i = 0; i < 5; i++) {
            store.publish(ModelManifest.draft("m" + i, Task.CLASSIFICATION, List.of("a", "b"), null, InputShape.rgb(8, 8),
                    Preprocessing.UNIT, Map.of("accuracy", 0.5), new BaseLineage("small-convnet", "random", "conv"),
                    "stored-" + i), file -> Files.writeString(file, "weights"));
        }
        TrainerState trainerState = new TrainerState(state, work.resolve("state"));
        PoolSettings pool = new PoolSettings("trainer-b", "graft-trainer", Duration.ofSeconds(15));
        Outcomes outcomes = new Outcomes(trainerState);
        java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();
        outcomes.record(TrainingEvent.failed("known-failed", "m0", "the reason"));
        TrainingRegistry registry = new TrainingRegistry(store, outcomes, new Claims(pool, trainerState),
                new KnownRequests(state, nanos::get), pool);

        int before = state.calls() + models.calls();
        for (int i = 0; i < 1000; i++) {
            assertThat(registry.find("never-sent-" + i)).isEmpty();
        }
        int cost = state.calls() + models.calls() - before;
        assertThat(cost).as("storage requests for 1,000 unknown ids").isLessThanOrEqualTo(2);

        assertThat(registry.find("known-failed")).hasValueSatisfying(s -> assertThat(s.message()).isEqualTo("the reason"));
        // recorded by another trainer after the set was read: found once the set is older than its age limit
        outcomes.record(TrainingEvent.failed("later", "m1", "later reason"));
        nanos.addAndGet(KnownRequests.MAX_AGE.toNanos() + 1);
        assertThat(registry.find("later")).hasValueSatisfying(s -> assertThat(s.message()).isEqualTo("later reason"));
    }
}
