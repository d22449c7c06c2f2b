package dev.graft.loop.join;

import dev.graft.contract.events.FeedbackRecord;
import dev.graft.contract.events.LabelledExample;
import dev.graft.contract.events.PredictionRecord;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.Task;
import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.loop.live.LiveMetrics;
import dev.graft.loop.shadow.ShadowMetrics;
import dev.graft.loop.retrain.RetrainCounts;
import dev.graft.loop.retrain.RetrainSettings;
import dev.graft.store.FolderBlobs;
import dev.graft.testing.KafkaTestClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The join stopped mid-stream, its local state deleted, and started again on what came meanwhile:
 * nothing lost (feedback that was waiting for its prediction when it stopped still joins), nothing
 * twice (each answer is one example, read as a consumer of committed records reads it).
 */
class JoinRestartTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final JoinSettings SETTINGS = new JoinSettings(Duration.ofHours(1), Duration.ZERO, Duration.ofHours(1),
            Duration.ofMillis(500));

    private static final String APPLICATION = "graft-loop-restart-test";

    @TempDir
    Path dir;

    private KafkaStreams start(LocalKafkaBroker kafka, Path state, LiveMetrics live) {
        KafkaStreams streams = new KafkaStreams(JoinTopology.build(APPLICATION, SETTINGS, new JoinCounts(new SimpleMeterRegistry()),
                live, new ShadowMetrics(new SimpleMeterRegistry()), new RetrainSettings(Map.of(), new FolderBlobs(dir.resolve("captured")), "captured", Duration.ofHours(1),
                Duration.ofDays(1)),
                new RetrainCounts(new SimpleMeterRegistry())),
                new java.util.Properties() {{
                    put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION);
                    put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
                    put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
                    put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
                    put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
                }});
        streams.start();
        return streams;
    }

    private static String prediction(int i, Instant time) {
        String id = "p" + i;
        return Json.write(new PredictionRecord(id, "m", 1, Task.CLASSIFICATION, "a", List.of(new PredictionRecord.Scored("a", 0.9)),
                null, 1.0, "sha" + i, null, time, null, null));
    }

    private static String feedback(int i, String label, Instant time) {
        return Json.write(new FeedbackRecord("p" + i, "m", 1, label, null, time, "test"));
    }

    /** The examples topic as a consumer that reads committed records only sees it, to its end. */
    private static List<ConsumerRecord<String, String>> committedExamples(KafkaTestClient client) {
        return client.readCommitted(Topics.EXAMPLES);
    }

    @Test
    void restartedWithoutItsLocalStateTheJoinLosesAndRepeatsNothing() {
        Instant now = Instant.now();
        try (LocalKafkaBroker kafka = LocalKafkaBroker.startOnFreePorts(dir.resolve("kafka"));
             KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
            kafka.createTopics(List.of(Topics.PREDICTIONS, Topics.FEEDBACK, Topics.EXAMPLES, Topics.FEEDBACK_DLQ,
                    JoinTopology.examplesByModel(APPLICATION), JoinTopology.shadowByModel(APPLICATION)));
            KafkaStreams first = start(kafka, dir.resolve("state-1"), new LiveMetrics(new SimpleMeterRegistry()));
            for (int i = 1; i <= 5; i++) {
                client.send(Topics.PREDICTIONS, "p" + i, prediction(i, now));
                client.send(Topics.FEEDBACK, "p" + i, feedback(i, i % 2 == 0 ? "b" : "a", now));
            }
            client.send(Topics.FEEDBACK, "p6", feedback(6, "a", now));   // waits for its prediction
            await().atMost(TIMEOUT).until(() -> committedExamples(client).size() == 5);
            first.close(Duration.ofSeconds(30));

            // meanwhile: p6's prediction, p7..p10 with their answers, and a second answer for p2
            for (int i = 6; i <= 10; i++) {
                client.send(Topics.PREDICTIONS, "p" + i, prediction(i, now));
                if (i > 6) {
                    client.send(Topics.FEEDBACK, "p" + i, feedback(i, "a", now));
                }
            }
            client.send(Topics.FEEDBACK, "p2", feedback(2, "a", now.plusMillis(1)));

            LiveMetrics live = new LiveMetrics(new SimpleMeterRegistry());
            KafkaStreams second = start(kafka, dir.resolve("state-2"), live);
            try {
                await().atMost(TIMEOUT).until(() -> committedExamples(client).size() == 11);
                List<String> ids = committedExamples(client).stream().map(ConsumerRecord::key).toList();
                assertThat(ids).containsExactlyInAnyOrder("p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p2");
                assertThat(committedExamples(client).stream().filter(r -> r.key().equals("p2"))
                        .map(r -> Json.read(r.value(), LabelledExample.class).label())).containsExactly("b", "a");
                // the examples store came back from its changelog: all ten count, p2 by its second answer (a, right)
                await().atMost(TIMEOUT).until(() -> live.latest().versions().values().stream()
                        .anyMatch(f -> f.examples() == 10));
                assertThat(live.latest().versions().values().iterator().next().accuracy()).isEqualTo(9.0 / 10);
            } finally {
                second.close(Duration.ofSeconds(30));
            }
        }
    }
}
