package dev.graft.inference.health;

import org.apache.commons.io.FileUtils;
import dev.graft.inference.TestModels;
import dev.graft.testing.KafkaTestClient;
import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.store.ModelStore;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import dev.graft.testing.MetricsText;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;

/**
 * Kafka away at start-up and again mid-way: the service serves what it has, stays ready, reports Kafka
 * apart at /q/health/group/kafka, and follows new versions once Kafka is back (same port, same data).
 * Its answers never wait for the prediction log, which drops what its buffer cannot hold and counts it.
 */
@QuarkusTest
@TestProfile(KafkaOutageTest.KafkaLater.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaOutageTest {
    private static final String MODEL = "outage";
    private static final int LOG_BUFFER = 2;

    /** Only {@link AbsentKafka}: not the broker every other test shares. */
    public static class KafkaLater implements QuarkusTestProfile {
        @Override
        public boolean disableGlobalTestResources() {
            return true;
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(AbsentKafka.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("graft.predictions.log.buffer", Integer.toString(LOG_BUFFER));
        }
    }

    /** Ports for a broker that is not started (the test starts it later) and a store holding version 1. */
    public static class AbsentKafka implements QuarkusTestResourceLifecycleManager {
        static Path dir;
        static int port;
        static int controllerPort;
        static ModelStore store;

        @Override
        public Map<String, String> start() {
            try {
                dir = Files.createTempDirectory("graft-kafka-outage");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            port = LocalKafkaBroker.freePort();
            controllerPort = LocalKafkaBroker.freePort();
            store = new ModelStore(dir.resolve("models"));
            TestModels.publishClassifier(store, MODEL, 1);
            return Map.of("kafka.bootstrap.servers", "127.0.0.1:" + port, "graft.store.uri", store.folder().orElseThrow().toString());
        }

        @Override
        public void stop() {
            FileUtils.deleteQuietly(dir.toFile());   // a temporary folder
        }
    }

    private static void predictsWithVersion(int version) {
        given().contentType("image/png").body(TestModels.png(0xff0000, 8)).post("/api/models/{m}/predict", MODEL)
                .then().statusCode(200).header("X-Graft-Model-Version", String.valueOf(version));
    }

    private static void kafkaHealth(String status) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                given().get("/q/health/group/kafka").then().body("status", is(status)));
    }

    private static void announceAndAwait(LocalKafkaBroker kafka, int version) {
        ModelManifest manifest = TestModels.publishClassifier(AbsentKafka.store, MODEL, version);
        try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
            client.send(Topics.MODEL_VERSIONS, MODEL, Json.write(ModelVersionEvent.of(manifest)));
        }
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> given().get("/api/models/{m}", MODEL).then()
                .body("version", is(manifest.version())));
    }

    private static double logRecords(String outcome) {
        return MetricsText.value(given().get("/q/metrics").asString(),
                "graft_prediction_log_records_total{outcome=\"" + outcome + "\"}");
    }

    /**
     * First, while Kafka has never been there: each send of the log waits for its metadata, and gives up after
     * 5 s; feedback, which needs Kafka's answer, is refused with 503.
     */
    @Test
    @Order(1)
    void answersDoNotWaitForThePredictionLogWhichCountsWhatItDropsAndFeedbackSaysItWasNotRecorded() {
        double sent = logRecords("sent");
        double dropped = logRecords("dropped");
        double failed = logRecords("failed");
        int requests = 12;
        for (int i = 0; i < requests; i++) {
            predictsWithVersion(1);
        }
        // the log's thread holds one record and the buffer two: every other answer came while they were waiting
        // for Kafka, and its record was dropped when it was offered, not waited for
        assertThat(logRecords("dropped") - dropped).as("dropped as they were offered")
                .isGreaterThanOrEqualTo(requests - LOG_BUFFER - 1);
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(
                logRecords("dropped") - dropped + logRecords("failed") - failed).isEqualTo(requests));
        assertThat(logRecords("sent") - sent).isZero();

        String id = given().contentType("image/png").body(TestModels.png(0xff0000, 8)).post("/api/models/{m}/predict", MODEL)
                .then().statusCode(200).extract().jsonPath().getString("predictionId");
        given().contentType("application/json").body(Map.of("predictionId", id, "label", "red"))
                .post("/api/models/{m}/feedback", MODEL).then().statusCode(503)
                .body("error", org.hamcrest.Matchers.containsString("not recorded"));
    }

    @Test
    @Order(2)
    void servesWithoutKafkaReportsItApartAndFollowsNewVersionsOnceItIsBack() {
        // Kafka has never been there: the stored version serves and the service is ready
        given().get("/q/health/ready").then().statusCode(200);
        predictsWithVersion(1);
        given().get("/q/health/group/kafka").then().statusCode(503).body("status", is("DOWN"));

        Path data = AbsentKafka.dir.resolve("kafka");
        try (LocalKafkaBroker kafka = LocalKafkaBroker.start(data, AbsentKafka.port, AbsentKafka.controllerPort)) {
            kafka.createTopics(List.of(Topics.MODEL_VERSIONS));
            kafkaHealth("UP");
            announceAndAwait(kafka, 2);
        }

        // Kafka goes away mid-way: still serving, still ready
        kafkaHealth("DOWN");
        predictsWithVersion(2);
        given().get("/q/health/ready").then().statusCode(200);

        try (LocalKafkaBroker kafka = LocalKafkaBroker.start(data, AbsentKafka.port, AbsentKafka.controllerPort)) {
            kafkaHealth("UP");
            announceAndAwait(kafka, 3);
        }
        predictsWithVersion(3);
    }
}
