package dev.graft.loop.retrain;

import dev.graft.contract.events.FeedbackRecord;
import dev.graft.contract.events.PredictionRecord;
import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.Task;
import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.loop.join.JoinCounts;
import dev.graft.loop.join.JoinSettings;
import dev.graft.loop.join.JoinTopology;
import dev.graft.loop.live.LiveMetrics;
import dev.graft.loop.shadow.ShadowMetrics;
import dev.graft.store.FolderBlobs;
import dev.graft.testing.KafkaTestClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The loop on a real broker, from predictions and feedback to training requests: a count policy sends one
 * request per trigger, also when the loop restarts (its local state deleted) between the examples that
 * make a trigger, and the request's feedback CSV holds exactly the joined examples whose images were kept,
 * each by its latest answer; a live-accuracy policy sends one request per bad version, from that version.
 */
class RetrainOverKafkaTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final String APPLICATION = "graft-loop-retrain-test";
    private static final JoinSettings JOIN = new JoinSettings(Duration.ofHours(1), Duration.ZERO, Duration.ofHours(1),
            Duration.ofMillis(500));
    private static final TrainingRequest TEMPLATE = new TrainingRequest(null, null, Task.CLASSIFICATION,
            new TrainingRequest.Dataset("shapes/train", null, 0.2, null, null),
            new TrainingRequest.Base("small-convnet", "random", 48, 48), null,
            new TrainingRequest.FrozenPhase(1, 0.001, 8), null, null, null, null, 7L);

    @TempDir
    Path dir;
    private LocalKafkaBroker kafka;
    private KafkaTestClient client;
    /** Every join started, closed after the test (closing one twice is harmless). */
    private final List<KafkaStreams> running = new ArrayList<>();

    @BeforeEach
    void startKafka() {
        kafka = LocalKafkaBroker.startOnFreePorts(dir.resolve("kafka"));
        client = new KafkaTestClient(kafka.bootstrapServers());
        kafka.createTopics(List.of(Topics.PREDICTIONS, Topics.FEEDBACK, Topics.EXAMPLES, Topics.FEEDBACK_DLQ,
                Topics.TRAINING_REQUESTS, JoinTopology.examplesByModel(APPLICATION), JoinTopology.shadowByModel(APPLICATION)));
    }

    @AfterEach
    void stopKafka() {
        running.forEach(streams -> streams.close(Duration.ofSeconds(30)));
        client.close();
        kafka.close();
    }

    private KafkaStreams start(Path state) {
        Map<String, RetrainPolicy> policies = Map.of(
                "counted", new RetrainPolicy("counted", TEMPLATE, 3, null, null, 20, false),
                "watched", new RetrainPolicy("watched", TEMPLATE, null, 0.5, null, 4, true),
                "both", new RetrainPolicy("both", TEMPLATE, 4, 0.5, null, 4, false));
        RetrainSettings retrain = new RetrainSettings(policies, new FolderBlobs(dir.resolve("captured")), "captured",
                Duration.ofHours(1), Duration.ofDays(1));
        Properties properties = new Properties();
        properties.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION);
        properties.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        properties.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        properties.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        properties.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        KafkaStreams streams = new KafkaStreams(JoinTopology.build(APPLICATION, JOIN, new JoinCounts(new SimpleMeterRegistry()),
                new LiveMetrics(new SimpleMeterRegistry()), new ShadowMetrics(new SimpleMeterRegistry()), retrain, new RetrainCounts(new SimpleMeterRegistry())), properties);
        running.add(streams);
        streams.start();
        return streams;
    }

    /** A prediction of {@code model}'s version, and feedback on it; its image captured when {@code kept}. */
    private void answer(String model, int version, String id, String predicted, String truth,
                        Instant time, boolean kept) throws IOException {
        String sha = "sha-" + id;
        String captured = ".graft/data/captured/" + model + "/" + sha + ".png";
        if (kept) {
            Files.createDirectories(dir.resolve("captured").resolve(model));
            Files.write(dir.resolve("captured").resolve(model).resolve(sha + ".png"), new byte[]{1, 2, 3});
        }
        client.send(Topics.PREDICTIONS, id, Json.write(new PredictionRecord(id, model, version, Task.CLASSIFICATION, predicted,
                List.of(new PredictionRecord.Scored(predicted, 0.9)), null, 1.0, sha, captured, time, null, null)));
        client.send(Topics.FEEDBACK, id, Json.write(new FeedbackRecord(id, model, version, truth, null, time, "test")));
    }

    private List<TrainingRequest> requests(String model) {
        return client.readCommitted(Topics.TRAINING_REQUESTS).stream().map(ConsumerRecord::value)
                .map(json -> Json.read(json, TrainingRequest.class)).filter(r -> r.model().equals(model)).toList();
    }

    /** The requests' ids with their epoch (when the model's trigger state began) as EPOCH: one epoch for all. */
    private static List<String> ids(List<TrainingRequest> requests) {
        assertThat(requests.stream().map(r -> r.requestId().replaceAll("^.*-feedback-([0-9a-z]+)-[0-9]+$", "$1")).distinct())
                .hasSize(1);
        return requests.stream().map(r -> r.requestId().replaceAll("-feedback-[0-9a-z]+-", "-feedback-EPOCH-")).toList();
    }

    private List<String> rows(TrainingRequest request) throws IOException {
        String csv = request.dataset().feedback();
        assertThat(csv).startsWith("captured/");
        return Files.readAllLines(dir.resolve(csv));
    }

    @Test
    void aCountPolicySendsOneRequestPerTriggerAcrossARestartWithExactlyTheJoinedExamples() throws IOException {
        Instant now = Instant.now();
        KafkaStreams first = start(dir.resolve("state-1"));
        answer("counted", 1, "c1", "circle", "square", now, true);
        answer("counted", 1, "c2", "circle", "circle", now, true);
        await().atMost(TIMEOUT).until(() -> client.readCommitted(JoinTopology.examplesByModel(APPLICATION)).size() == 2);
        first.close(Duration.ofSeconds(30));

        // the third example comes while the loop is down; its image was not kept
        answer("counted", 1, "c3", "circle", "circle", now, false);
        start(dir.resolve("state-2"));
        await().atMost(TIMEOUT).until(() -> requests("counted").size() == 1);
        TrainingRequest request = requests("counted").get(0);
        assertThat(ids(List.of(request))).containsExactly("counted-feedback-EPOCH-1");
        assertThat(request.dataset().train()).isEqualTo("shapes/train");
        assertThat(request.base().weights()).isEqualTo("random");
        assertThat(rows(request)).containsExactly("file,label", "sha-c1.png,square", "sha-c2.png,circle");

        // a second answer for c1 is no new example; c4 and c5 are two, c6 the third
        answer("counted", 1, "c1", "circle", "triangle", now.plusMillis(1), true);
        answer("counted", 1, "c4", "circle", "square", now, true);
        answer("counted", 1, "c5", "square", "square", now, true);
        answer("counted", 1, "c6", "circle", "circle", now, true);
        await().atMost(TIMEOUT).until(() -> requests("counted").size() >= 2);
        List<TrainingRequest> sent = requests("counted");
        assertThat(ids(sent)).containsExactly("counted-feedback-EPOCH-1", "counted-feedback-EPOCH-2");
        assertThat(rows(sent.get(1))).containsExactly("file,label", "sha-c1.png,triangle", "sha-c2.png,circle",
                "sha-c4.png,square", "sha-c5.png,square", "sha-c6.png,circle");
    }

    @Test
    void aLiveAccuracyPolicySendsOneRequestPerBadVersionFromThatVersion() throws IOException {
        Instant now = Instant.now();
        start(dir.resolve("state"));
        // version 2: three examples (below the minimum of four) all wrong, then a fourth, right: 1/4
        for (int i = 1; i <= 3; i++) {
            answer("watched", 2, "w" + i, "circle", "square", now, true);
        }
        await().atMost(TIMEOUT).until(() -> client.readCommitted(JoinTopology.examplesByModel(APPLICATION)).size() == 3);
        answer("watched", 2, "w4", "square", "square", now, true);
        await().atMost(TIMEOUT).until(() -> requests("watched").size() == 1);
        TrainingRequest first = requests("watched").get(0);
        assertThat(ids(List.of(first))).containsExactly("watched-feedback-EPOCH-1");
        assertThat(first.base().weights()).isEqualTo("model:watched@2");
        assertThat(rows(first)).hasSize(5);

        // more wrong answers of version 2 do not trigger again; version 3 at 1/4 does
        answer("watched", 2, "w5", "circle", "square", now, true);
        // version 3 answers later: it serves
        for (int i = 6; i <= 9; i++) {
            answer("watched", 3, "w" + i, "circle", i == 6 ? "circle" : "square", now.plusSeconds(1), true);
        }
        await().atMost(TIMEOUT).until(() -> requests("watched").size() >= 2);
        List<TrainingRequest> sent = requests("watched");
        assertThat(ids(sent)).containsExactly("watched-feedback-EPOCH-1", "watched-feedback-EPOCH-2");
        assertThat(sent.get(1).base().weights()).isEqualTo("model:watched@3");
        assertThat(rows(sent.get(1))).hasSize(10);
    }

    @Test
    void aCountRetrainingAnswersTheServingVersionsLiveFiguresToo() throws IOException {
        Instant now = Instant.now();
        start(dir.resolve("state"));
        // four wrong answers of version 1: the count (four) fires; its live accuracy, 0 of 4, must not fire again
        for (int i = 1; i <= 4; i++) {
            answer("both", 1, "b" + i, "circle", "square", now, true);
        }
        await().atMost(TIMEOUT).until(() -> requests("both").size() >= 1);
        // four more: the count fires a second time, with all eight; a retraining of the live figures would have come between
        for (int i = 5; i <= 8; i++) {
            answer("both", 1, "b" + i, "circle", "square", now, true);
        }
        await().atMost(TIMEOUT).until(() -> requests("both").size() >= 2);
        List<TrainingRequest> sent = requests("both");
        assertThat(ids(sent)).containsExactly("both-feedback-EPOCH-1", "both-feedback-EPOCH-2");
        assertThat(rows(sent.get(1))).hasSize(1 + 8);
    }
}
