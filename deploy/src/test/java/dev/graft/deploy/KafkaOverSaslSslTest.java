package dev.graft.deploy;

import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.testing.KafkaTestClient;
import dev.graft.testing.MetricsText;
import dev.graft.testing.ThrowawayCa;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Both packaged services on Kafka over TLS with SASL (SCRAM-SHA-512), as production clusters run it: a
 * broker whose services' listener is SASL_SSL with a certificate from a CA made for the test, and the
 * services given only that listener, the CA's trust store and a user's credentials, through the
 * environment exactly as docs/operations.md#kafka-over-tls-and-sasl says. Every Kafka client of theirs
 * must use them: the SmallRye channels, the trainers' share-group consumer and admin client (the
 * backlog), the inference service's health check. The test's own client uses the broker's plaintext
 * listener.
 */
class KafkaOverSaslSslTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(4);
    private static final Path TRAINER_JAR = Path.of("../trainer-service/target/quarkus-app/quarkus-run.jar");
    private static final Path INFERENCE_JAR = Path.of("../inference-service/target/quarkus-app/quarkus-run.jar");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Path work;
    private static LocalKafkaBroker kafka;
    private static LocalKafkaBroker.SaslSslListener secure;
    private static ThrowawayCa ca;
    private static ServiceProcess trainer;
    private static ServiceProcess inference;
    private static Map<String, String> env;

    /** Kafka client settings as environment variables: kafka.sasl.jaas.config is KAFKA_SASL_JAAS_CONFIG. */
    private static Map<String, String> kafkaEnvironment(String password) {
        Map<String, String> variables = new HashMap<>();
        new LocalKafkaBroker.SaslSslListener(secure.port(), secure.keyStore(), secure.keyStorePassword(), secure.user(), password)
                .clientSettings(ca.trustStore(), ca.password())
                .forEach((key, value) -> variables.put("KAFKA_" + key.replace('.', '_').toUpperCase(Locale.ROOT), value));
        return variables;
    }

    @BeforeAll
    static void start() throws Exception {
        assertThat(TRAINER_JAR).as("packaged trainer (mvn package runs before this module's tests)").exists();
        work = Files.createTempDirectory("graft-sasl-ssl");
        ca = ThrowawayCa.create(work.resolve("tls"));
        secure = new LocalKafkaBroker.SaslSslListener(LocalKafkaBroker.freePort(), ca.keyStore(), ca.password(), "graft",
                UUID.randomUUID().toString());
        kafka = LocalKafkaBroker.start(work.resolve("kafka"), LocalKafkaBroker.freePort(), LocalKafkaBroker.freePort(),
                Map.of(), secure);
        kafka.createTopics(List.of(Topics.TRAINING_REQUESTS, Topics.TRAINING_EVENTS, Topics.MODEL_VERSIONS,
                Topics.TRAINING_REQUESTS_DLQ, Topics.TRAINING_CANCELLATIONS));
        TestImages.classFolders(work.resolve("data/train"), 16, 1);
        TestImages.classFolders(work.resolve("data/validation"), 4, 2);
        env = new HashMap<>(kafkaEnvironment(secure.password()));
        env.putAll(Map.of("GRAFT_DATA_ROOT", work.resolve("data").toString(),
                "GRAFT_STORE_URI", work.resolve("models").toString(),
                "GRAFT_TRAINER_STATE_ROOT", work.resolve("state").toString()));
        trainer = ServiceProcess.start("trainer", TRAINER_JAR, env, work, "-Dgraft.trainer.lock-duration=PT15S");
        inference = ServiceProcess.start("inference", INFERENCE_JAR, env, work);
        trainer.awaitReady(TIMEOUT);
        inference.awaitReady(TIMEOUT);
    }

    @AfterAll
    static void stop() throws Exception {
        ServiceProcess.stopAll(work, inference, trainer, kafka);
    }

    @Test
    void aRequestIsTrainedAndServedWithEveryKafkaClientOfBothServicesOnSaslSsl() throws Exception {
        assertThat(env.get("KAFKA_BOOTSTRAP_SERVERS")).isEqualTo(secure.bootstrapServers()).isNotEqualTo(kafka.bootstrapServers());
        try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
            client.send(Topics.TRAINING_REQUESTS, "over-tls", TestRequests.smallConvnet("over-tls", "train", "validation", 2, 0));
            TrainingEvent outcome = TrainingEvents.await(client, "over-tls", TrainingEvent::isFinal, TIMEOUT);
            assertThat(outcome.type()).as(outcome.message()).isEqualTo(TrainingEvent.Type.SUCCEEDED);
        }
        inference.awaitModelStatus("over-tls", "version 1 serving", s -> s.path("version").asInt() == 1, TIMEOUT);
        byte[] png = TestImages.png(TestImages.stripes(true, 200, new java.util.Random(3)));
        HttpResponse<String> prediction = HTTP.send(HttpRequest.newBuilder(inference.uri("/api/models/over-tls/predict"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(prediction.statusCode()).as(prediction.body()).isEqualTo(200);
        assertThat(inference.get("/q/health/group/kafka").statusCode()).isEqualTo(200);
        // the backlog comes from the trainer's admin client: a number (0 once the request is acknowledged), not NaN
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (MetricsText.value(trainer.get("/q/metrics").body(), "graft_trainer_backlog_records") != 0) {
            assertThat(System.nanoTime()).as("the trainer's backlog read over SASL_SSL, back to 0").isLessThan(deadline);
            Thread.sleep(250);
        }
    }

    @Test
    void aServiceWithAWrongPasswordIsNotConnectedAndSaysSo() throws Exception {
        Map<String, String> wrong = new HashMap<>(env);
        wrong.putAll(kafkaEnvironment("not-the-password"));
        try (ServiceProcess refused = ServiceProcess.start("inference-wrong-password", INFERENCE_JAR, wrong, work)) {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!Files.exists(refused.log()) || !Files.readString(refused.log()).contains("Authentication failed")) {
                assertThat(System.nanoTime()).as("the log names the failed authentication").isLessThan(deadline);
                Thread.sleep(250);
            }
            HttpResponse<String> health = refused.get("/q/health/group/kafka");
            assertThat(health.statusCode()).as(health.body()).isEqualTo(503);
        }
    }
}
