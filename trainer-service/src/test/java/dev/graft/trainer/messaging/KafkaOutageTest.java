package dev.graft.trainer.messaging;

import org.apache.commons.io.FileUtils;
import dev.graft.testing.KafkaTestClient;
import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;
import dev.graft.testing.MetricsText;
import dev.graft.testing.TestImages;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;

/**
 * Kafka goes away in the middle of a training and comes back (same port, same data): the training
 * goes on through the outage (its epoch events sent meanwhile arrive afterwards) until it is
 * cancelled after it, its one outcome arrives, readiness says DOWN while Kafka is away and UP once it
 * is back, the next request is trained as usual, and the first request's record, whose lock the outage
 * broke, ends acknowledged without a second training.
 */
@QuarkusTest
@TestProfile(KafkaOutageTest.OwnBroker.class)
class KafkaOutageTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @ConfigProperty(name = "graft.trainer.lock-duration")
    Duration lockDuration;

    /** Only {@link RestartableKafka}: not the broker every other test shares. */
    public static class OwnBroker implements QuarkusTestProfile {
        @Override
        public boolean disableGlobalTestResources() {
            return true;
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(RestartableKafka.class));
        }
    }

    /** A broker the test can stop and start again on the same ports and data. */
    public static class RestartableKafka implements QuarkusTestResourceLifecycleManager {
        static Path dir;
        static int port;
        static int controllerPort;
        static LocalKafkaBroker broker;

        @Override
        public Map<String, String> start() {
            try {
                dir = Files.createTempDirectory("graft-trainer-outage");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            port = LocalKafkaBroker.freePort();
            controllerPort = LocalKafkaBroker.freePort();
            broker = LocalKafkaBroker.start(dir.resolve("kafka"), port, controllerPort);
            broker.createTopics(List.of(Topics.TRAINING_REQUESTS, Topics.TRAINING_EVENTS, Topics.MODEL_VERSIONS,
                    Topics.TRAINING_REQUESTS_DLQ, Topics.TRAINING_CANCELLATIONS));
            return Map.of("kafka.bootstrap.servers", broker.bootstrapServers());
        }

        static void restart() {
            broker = LocalKafkaBroker.start(dir.resolve("kafka"), port, controllerPort);
        }

        @Override
        public void stop() {
            if (broker != null) {
                broker.close();
            }
            FileUtils.deleteQuietly(dir.toFile());   // a temporary folder
        }
    }

    @ConfigProperty(name = "graft.data-root")
    String dataRoot;

    private static String request(String requestId, String train, int epochs) {
        // augmentation trains end to end, so the epochs take long enough for Kafka to go away under them
        return """
                {"requestId": "%s", "model": "%s", "task": "classification",
                 "dataset": {"train": "%s", "validation": "%s"},
                 "base": {"architecture": "small-convnet", "weights": "random", "inputHeight": 32, "inputWidth": 32},
                 "augmentation": {"preset": "flip"},
                 "head": {"units": 8}, "frozen": {"epochs": %d, "learningRate": 0.01, "batchSize": 8}}
                """.formatted(requestId, requestId, train, train, epochs);
    }

    private static TrainingEvent outcome(KafkaTestClient client, String requestId) {
        List<TrainingEvent> finals = TrainingEvents.of(client, requestId, 1, TIMEOUT).stream()
                .filter(TrainingEvent::isFinal).toList();
        assertThat(finals).hasSize(1);
        return finals.get(0);
    }

    private static int epochsSoFar(String requestId) {
        return given().get("/api/trainings/" + requestId).then().statusCode(200)
                .extract().jsonPath().getList("history").size();
    }

    @Test
    void aTrainingOutlivesAKafkaOutageAndTheTrainerReconnects() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        TestImages.classFolders(Path.of(dataRoot, run), 8, 1);
        String during = "during-" + run;
        String after = "after-" + run;
        // far more epochs than it is let run: it trains before, through and after the outage until cancelled
        try (KafkaTestClient client = new KafkaTestClient(RestartableKafka.broker.bootstrapServers())) {
            client.send(Topics.TRAINING_REQUESTS, during, request(during, run, 1000));
            client.readUntil(Topics.TRAINING_EVENTS, json -> json.contains(during) && json.contains("\"EPOCH\""),
                    TIMEOUT);
        }
        long away = System.currentTimeMillis();
        RestartableKafka.broker.close();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                given().get("/q/health/ready").then().statusCode(503));
        // Kafka stays away until the trainer's own API shows an epoch that ended after it went, and for longer
        // than the record's lock: an outage the lock outlives breaks nothing, and the record is not delivered again
        int before = epochsSoFar(during);
        await().atMost(TIMEOUT).until(() -> epochsSoFar(during) > before);
        await().atMost(TIMEOUT).until(() -> System.currentTimeMillis() - away > lockDuration.toMillis() + 1000);

        long back = System.currentTimeMillis();
        RestartableKafka.restart();
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
                given().get("/q/health/ready").then().statusCode(200).body("status", is("UP")));
        try (KafkaTestClient client = new KafkaTestClient(RestartableKafka.broker.bootstrapServers())) {
            // an event carries the instant the trainer made it (the record's own timestamp is set only
            // once the producer has the topic's metadata again): one epoch ended while Kafka was away, one after
            client.readUntil(Topics.TRAINING_EVENTS, json -> {
                TrainingEvent event = Json.read(json, TrainingEvent.class);
                return during.equals(event.requestId()) && event.type() == TrainingEvent.Type.EPOCH
                        && event.timestamp().toEpochMilli() > back;
            }, TIMEOUT);
            client.send(Topics.TRAINING_CANCELLATIONS, during, "{\"requestId\": \"" + during + "\"}");
            assertThat(outcome(client, during).type()).isEqualTo(TrainingEvent.Type.CANCELLED);
            List<TrainingEvent> epochs = TrainingEvents.all(client, during).stream()
                    .filter(e -> e.type() == TrainingEvent.Type.EPOCH).toList();
            assertThat(epochs).filteredOn(e -> e.timestamp().toEpochMilli() > away && e.timestamp().toEpochMilli() < back)
                    .as("epochs that ended while Kafka was away").isNotEmpty();
            // none lost: every epoch from the first to the last, once each
            assertThat(epochs).extracting(TrainingEvent::epoch)
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, epochs.size()).boxed().toList());
            client.send(Topics.TRAINING_REQUESTS, after, request(after, run, 1));
            assertThat(outcome(client, after).type()).isEqualTo(TrainingEvent.Type.SUCCEEDED);
            // its record, whose lock the outage broke, comes back: taken up again while it trains, or acknowledged
            // without a word once its outcome is out (which of the two depends on when the broker hands it back;
            // DuplicatesTest pins the second). Once the group holds no record unacknowledged, none can come back,
            // and there is still one ACCEPTED and one final answer: trained once, answered once
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(MetricsText.value(
                    given().get("/q/metrics").asString(), "graft_trainer_backlog_records")).isZero());
            List<TrainingEvent> all = TrainingEvents.all(client, during);
            assertThat(all).filteredOn(e -> e.type() == TrainingEvent.Type.ACCEPTED).hasSize(1);
            assertThat(all).filteredOn(TrainingEvent::isFinal).hasSize(1);
        }
    }
}
