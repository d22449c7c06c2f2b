package dev.graft.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The ImageNet ResNet50 end to end, as {@code bin/graft import resnet50-imagenet} and {@code bin/graft
 * predict} use it: the packaged trainer stores and announces it from the converted weights, the packaged
 * inference service loads it from the model-version event and names real photos over HTTP. Runs where
 * {@code bin/graft weights} and {@code bin/graft photos} have run (CI runs both).
 */
class ImageNetOverHttpTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(4);
    private static final Path TRAINER_JAR = Path.of("../trainer-service/target/quarkus-app/quarkus-run.jar");
    private static final Path INFERENCE_JAR = Path.of("../inference-service/target/quarkus-app/quarkus-run.jar");
    private static final Path WEIGHTS = Path.of("../.graft/weights").toAbsolutePath().normalize();
    private static final Path PHOTOS = Path.of("../.graft/photos").toAbsolutePath().normalize();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Path work;
    private static LocalKafkaBroker kafka;
    private static ServiceProcess trainer;
    private static ServiceProcess inference;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isRegularFile(WEIGHTS.resolve("resnet50-imagenet.zip")) && Files.isDirectory(PHOTOS),
                "run bin/graft weights and bin/graft photos for the ImageNet classifier over HTTP");
        work = Files.createTempDirectory("graft-imagenet");
        kafka = LocalKafkaBroker.start(work.resolve("kafka"), LocalKafkaBroker.freePort(), LocalKafkaBroker.freePort(), Map.of());
        kafka.createTopics(List.of(Topics.TRAINING_REQUESTS, Topics.TRAINING_EVENTS, Topics.MODEL_VERSIONS,
                Topics.TRAINING_REQUESTS_DLQ, Topics.TRAINING_CANCELLATIONS));
        Map<String, String> env = Map.of("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "GRAFT_STORE_URI", work.resolve("models").toString(),
                "GRAFT_TRAINER_STATE_ROOT", work.resolve("state").toString(),
                "GRAFT_DATA_ROOT", work.resolve("data").toString(),
                "GRAFT_TRAINER_CACHE_DIR", work.resolve("trainer-cache").toString(),
                "GRAFT_WEIGHTS_DIR", WEIGHTS.toString());
        trainer = ServiceProcess.start("trainer", TRAINER_JAR, env, work);
        // ResNet50 at 224 px, warmed up with full batches: more off-heap memory than the tests' tiny models
        inference = ServiceProcess.start("inference", INFERENCE_JAR, env, work,
                "-Dorg.bytedeco.javacpp.maxbytes=2g", "-Dorg.bytedeco.javacpp.maxphysicalbytes=3g");
        trainer.awaitReady(TIMEOUT);
        inference.awaitReady(TIMEOUT);
    }

    @AfterAll
    static void stop() throws Exception {
        ServiceProcess.stopAll(work, inference, trainer, kafka);
    }

    @Test
    void theImportedImageNetClassifierNamesRealPhotosOverHttp() throws Exception {
        HttpResponse<String> imported = HTTP.send(HttpRequest.newBuilder(trainer.uri("/api/imports/resnet50-imagenet"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(imported.statusCode()).as(imported.body()).isEqualTo(200);
        JsonNode manifest = Json.MAPPER.readTree(imported.body());
        assertThat(manifest.path("preprocessing").asText()).isEqualTo("caffe");
        assertThat(manifest.path("labels").size()).isEqualTo(1000);
        int version = manifest.path("version").asInt();
        inference.awaitModelStatus("resnet50-imagenet", "serving version " + version,
                status -> status.path("version").asInt() == version, TIMEOUT);

        Map<String, String> answers = Map.of("chelsea.png", "Egyptian_cat", "coffee.png", "espresso",
                "dog.jpg", "malamute", "eagle.jpg", "bald_eagle");
        for (var answer : answers.entrySet()) {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                            inference.uri("/api/models/resnet50-imagenet/predict?topK=3"))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofFile(PHOTOS.resolve(answer.getKey()))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode prediction = Json.MAPPER.readTree(response.body());
            assertThat(prediction.path("label").asText()).as(answer.getKey()).isEqualTo(answer.getValue());
            assertThat(prediction.path("top")).hasSize(3);
        }
    }
}
