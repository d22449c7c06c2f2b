package dev.graft.trainer.training;

import org.apache.commons.codec.digest.DigestUtils;
import dev.graft.s3local.LocalS3;
import dev.graft.store.Blobs;
import dev.graft.store.S3Settings;
import dev.graft.store.StorageUri;
import dev.graft.trainer.storage.TrainerState;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checkpoints in object storage: one trainer writes them through its local copy, another trainer
 * (its own local folder, nothing shared but the bucket) resumes from them; a discard empties the prefix.
 */
class ObjectStorageCheckpointTest {
    @TempDir
    Path work;

    @Test
    void aCheckpointWrittenByOneTrainerIsResumedByAnotherThroughTheBucketAlone() throws Exception {
        try (LocalS3 s3 = LocalS3.start(work.resolve("s3"), "graft-state")) {
            S3Settings settings = S3Settings.local(s3.endpoint(), LocalS3.ACCESS_KEY, LocalS3.SECRET_KEY);
            Blobs bucket = StorageUri.parse("s3://graft-state/pool/").open(settings);
            Checkpoints first = new Checkpoints(new TrainerState(bucket, work.resolve("trainer-1")), Duration.ZERO);
            Checkpoints second = new Checkpoints(new TrainerState(StorageUri.parse("s3://graft-state/pool/").open(settings),
                    work.resolve("trainer-2")), Duration.ZERO);

            ComputationGraph network = CheckpointTest.network();
            Checkpoint writing = first.of("r-1", "{request}");
            writing.saveEndOfFrozen(network, CheckpointTest.state(null));
            writing.saveEpoch("fine-tune", 1, network, null, CheckpointTest.state(new Progress.InPhase(1, 0.7, 0, 2.0)));
            writing.saveEpoch("fine-tune", 2, network, network.params().dup(), CheckpointTest.state(new Progress.InPhase(2, 0.55, 0, 4.0)));

            Checkpoint resumed = second.of("r-1", "{request}");
            assertThat(resumed.describe()).hasValue("the checkpoint after fine-tune epoch 2");
            Checkpoint.Saved saved = resumed.lastEpoch("fine-tune").orElseThrow();
            assertThat(saved.network().params()).isEqualTo(network.params());
            assertThat(saved.network().getUpdater().getStateViewArray()).isEqualTo(network.getUpdater().getStateViewArray());
            assertThat(saved.progress().phase()).isEqualTo(new Progress.InPhase(2, 0.55, 0, 4.0));
            assertThat(bucket.children("checkpoints/" + DigestUtils.sha256Hex("r-1") + "/"))
                    .as("the older epoch is gone from the bucket too")
                    .containsExactlyInAnyOrder("request.sha256", "end-of-frozen", "fine-tune-2");

            second.discard("r-1");
            assertThat(bucket.list("checkpoints/")).isEmpty();
            assertThat(first.of("r-1", "{request}").describe()).isEmpty();
        }
    }
}
