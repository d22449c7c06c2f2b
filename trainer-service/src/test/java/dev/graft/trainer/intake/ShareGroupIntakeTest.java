package dev.graft.trainer.intake;

import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.contract.events.Topics;
import dev.graft.testing.KafkaTestClient;
import dev.graft.trainer.job.Job;
import dev.graft.trainer.job.JobRunner;
import dev.graft.trainer.pool.Claims;
import dev.graft.trainer.pool.LegacyTrainer;
import dev.graft.trainer.pool.PoolSettings;
import dev.graft.trainer.storage.TrainerState;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** While its runner cannot work (storage away), the intake takes no record, so none spends a Kafka delivery. */
class ShareGroupIntakeTest {
    private static final Duration LOCK = Duration.ofSeconds(15);

    @TempDir
    Path root;

    @Test
    void aTrainerWhoseStorageIsAwayLeavesRecordsInTheGroupUntilItIsBack() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(root.resolve("kafka"), LocalKafkaBroker.freePort(),
                LocalKafkaBroker.freePort(), Map.of())) {
            broker.createTopics(List.of(Topics.TRAINING_REQUESTS));
            AtomicBoolean storageAway = new AtomicBoolean(true);
            AtomicInteger askedWhileAway = new AtomicInteger();
            CompletableFuture<Integer> deliveries = new CompletableFuture<>();
            JobRunner runner = new JobRunner() {
                @Override
                public AcknowledgeType run(Job job) {
                    if (storageAway.get()) {
                        return AcknowledgeType.RELEASE;   // what a job that finds storage away ends with
                    }
                    deliveries.complete(job.record().deliveryCount());
                    return AcknowledgeType.ACCEPT;
                }

                @Override
                public Optional<String> unavailable() {
                    if (storageAway.get()) {
                        askedWhileAway.incrementAndGet();
                        return Optional.of("the model store is unreachable");
                    }
                    return Optional.empty();
                }
            };
            PoolSettings pool = new PoolSettings("trainer-1", "graft-trainers", LOCK);
            TrainerState state = TrainerState.folder(root.resolve("state"));
            ShareGroup group = new ShareGroup(pool, new LegacyTrainer(null, state.blobs()), Map.of("bootstrap.servers", broker.bootstrapServers()));
            ShareGroupIntake intake = new ShareGroupIntake(runner, new Claims(pool, state), pool, group,
                    Map.of("bootstrap.servers", broker.bootstrapServers()));
            intake.start(null);
            try (KafkaTestClient client = new KafkaTestClient(broker.bootstrapServers())) {
                client.send(Topics.TRAINING_REQUESTS, "r-1", "{}");
                int askedWhenSent = askedWhileAway.get();
                long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
                // the intake goes round several times after the record was there, asking each time
                while (askedWhileAway.get() < askedWhenSent + 3) {
                    assertThat(System.nanoTime()).as("the intake keeps asking while storage is away").isLessThan(deadline);
                    Thread.sleep(100);
                }
                storageAway.set(false);
                assertThat(deliveries.get(1, TimeUnit.MINUTES)).as("first taken once storage was back").isEqualTo(1);
            } finally {
                intake.stop(null);
                group.close();
            }
        }
    }
}
