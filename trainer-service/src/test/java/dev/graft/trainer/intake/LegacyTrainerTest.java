package dev.graft.trainer.intake;

import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;
import dev.graft.testing.KafkaTestClient;
import dev.graft.trainer.pool.LegacyTrainer;
import dev.graft.trainer.pool.Outcomes;
import dev.graft.trainer.pool.PoolSettings;
import dev.graft.trainer.storage.TrainerState;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A pool's first start where a single trainer ran: the share group begins at the oldest request the
 * single trainer took on and did not finish (it acknowledged on receipt, so its consumer group had
 * read further), and that trainer's outcomes answer for their requestIds in the pool.
 */
class LegacyTrainerTest {
    private static final TopicPartition REQUESTS = new TopicPartition(Topics.TRAINING_REQUESTS, 0);

    @TempDir
    Path root;

    @Test
    void theShareGroupStartsAtTheOldestUnfinishedRequestAndOldOutcomesAreAdopted() throws Exception {
        Path journal = root.resolve("models/.trainer/requests");
        Files.createDirectories(journal);
        Files.writeString(journal.resolve(DigestUtils.sha256Hex("done-1") + ".json"),
                Json.write(TrainingEvent.failed("done-1", "m", "dataset folder x does not exist")));
        Files.writeString(journal.resolve(DigestUtils.sha256Hex("half-1") + ".pending.json"), Json.MAPPER.writeValueAsString(Map.of(
                "requestId", "half-1", "request", "{}", "topic", Topics.TRAINING_REQUESTS, "partition", 0, "offset", 2,
                "received", "2026-11-24T00:00:00Z", "attempts", 1)));
        try (LocalKafkaBroker broker = LocalKafkaBroker.startOnFreePorts(root.resolve("kafka"))) {
            broker.createTopics(List.of(Topics.TRAINING_REQUESTS));
            try (KafkaTestClient client = new KafkaTestClient(broker.bootstrapServers())) {
                for (int i = 0; i < 6; i++) {
                    client.send(Topics.TRAINING_REQUESTS, "r-" + i, "{}");
                }
            }
            // the single trainer had read (and committed) up to offset 5
            try (KafkaConsumer<String, String> single = new KafkaConsumer<>(Map.of("bootstrap.servers",
                    broker.bootstrapServers(), "group.id", LegacyTrainer.GROUP), new StringDeserializer(),
                    new StringDeserializer())) {
                single.commitSync(Map.of(REQUESTS, new OffsetAndMetadata(5)));
            }

            PoolSettings pool = new PoolSettings("trainer-1", "graft-trainers", Duration.ofSeconds(15));
            ShareGroup group = new ShareGroup(pool, new LegacyTrainer(journal, TrainerState.folder(root.resolve("state")).blobs()),
                    Map.of("bootstrap.servers", broker.bootstrapServers()));
            group.prepare(() -> false);

            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                assertThat(admin.listShareGroupOffsets(Map.of("graft-trainers", new ListShareGroupOffsetsSpec()))
                        .partitionsToOffsetInfo("graft-trainers").get().get(REQUESTS).startOffset()).isEqualTo(2);
            }
            assertThat(new Outcomes(TrainerState.folder(root.resolve("state"))).outcome("done-1")).hasValueSatisfying(e ->
                    assertThat(e.message()).isEqualTo("dataset folder x does not exist"));
            group.close();
        }
    }
}
