package dev.graft.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.testing.KafkaTestClient;
import dev.graft.testing.MetricsText;
import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.s3local.LocalS3;
import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.store.Blobs;
import dev.graft.store.ModelStore;
import dev.graft.store.S3Settings;
import dev.graft.store.StorageUri;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Both packaged services on object storage alone, against a real S3 API server (s3proxy in its own
 * process): the model store, the trainers' state and the datasets are in buckets, and no folder is
 * shared. Storage is taken away during a publish and during a load; a bucket that is not allowed
 * and wrong credentials are refused with the reason.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObjectStorageTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(4);
    private static final Path TRAINER_JAR = Path.of("../trainer-service/target/quarkus-app/quarkus-run.jar");
    private static final Path INFERENCE_JAR = Path.of("../inference-service/target/quarkus-app/quarkus-run.jar");
    private static final String STORE = "s3://graft-models/store/";
    private static final String STATE = "s3://graft-state/pool/";
    private static final String TRAIN = "s3://graft-data/shapes/train/";
    private static final String VALIDATION = "s3://graft-data/shapes/validation/";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Path work;
    private static LocalS3 s3;
    private static LocalKafkaBroker kafka;
    private static ServiceProcess trainer;
    private static ServiceProcess inference;
    private static Map<String, String> env;

    @BeforeAll
    static void start() throws Exception {
        assertThat(TRAINER_JAR).as("packaged trainer (mvn package runs before this module's tests)").exists();
        work = Files.createTempDirectory("graft-object-storage");
        s3 = LocalS3.start(work.resolve("s3"), "graft-models", "graft-state", "graft-data");
        kafka = LocalKafkaBroker.start(work.resolve("kafka"), LocalKafkaBroker.freePort(), LocalKafkaBroker.freePort(), Map.of());
        kafka.createTopics(List.of(Topics.TRAINING_REQUESTS, Topics.TRAINING_EVENTS, Topics.MODEL_VERSIONS,
                Topics.TRAINING_REQUESTS_DLQ, Topics.TRAINING_CANCELLATIONS));
        Path images = work.resolve("images");
        TestImages.classFolders(images.resolve("train"), 16, 1);
        TestImages.classFolders(images.resolve("validation"), 4, 2);
        Blobs data = bucket("s3://graft-data/");
        try (Stream<Path> files = Files.walk(images)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                data.upload(file, "shapes/" + images.relativize(file));
            }
        }
        env = new HashMap<>(Map.of("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "GRAFT_STORE_URI", STORE, "GRAFT_TRAINER_STATE_ROOT", STATE,
                "GRAFT_DATA_ROOT", work.resolve("no-local-data").toString(),
                "GRAFT_DATA_ALLOWED_BUCKETS", "graft-data",
                "GRAFT_S3_ENDPOINT", s3.endpoint(), "GRAFT_S3_PATH_STYLE", "true",
                "GRAFT_S3_ACCESS_KEY_ID", LocalS3.ACCESS_KEY, "GRAFT_S3_SECRET_ACCESS_KEY", LocalS3.SECRET_KEY));
        env.put("GRAFT_TRAINER_CACHE_DIR", work.resolve("trainer-cache").toString());
        env.put("GRAFT_STORE_CACHE_DIR", work.resolve("inference-cache").toString());
        trainer = ServiceProcess.start("trainer", TRAINER_JAR, env, work, "-Dgraft.trainer.lock-duration=PT15S");
        inference = ServiceProcess.start("inference", INFERENCE_JAR, env, work);
        trainer.awaitReady(TIMEOUT);
        inference.awaitReady(TIMEOUT);
    }

    @AfterAll
    static void stop() throws Exception {
        // the services' logs outlive the work folder, for a failure to be read
        Path logs = Files.createDirectories(Path.of("target/object-storage-logs"));
        try (Stream<Path> files = Files.list(work)) {
            for (Path log : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                Files.copy(log, logs.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        ServiceProcess.stopAll(work, inference, trainer, kafka, s3);
    }

    private static Blobs bucket(String uri) {
        return StorageUri.parse(uri).open(S3Settings.local(s3.endpoint(), LocalS3.ACCESS_KEY, LocalS3.SECRET_KEY));
    }

    private static HttpResponse<String> predict(String model) throws Exception {
        byte[] png = TestImages.png(TestImages.stripes(true, 200, new java.util.Random(3)));
        return HTTP.send(HttpRequest.newBuilder(inference.uri("/api/models/" + model + "/predict"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void aTrainingOnABucketsDatasetIsStoredInObjectStorageAndServedFromTheCache() throws Exception {
        try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
            client.send(Topics.TRAINING_REQUESTS, "shapes", TestRequests.smallConvnet("shapes", TRAIN, VALIDATION, 2, 0));
            TrainingEvent outcome = TrainingEvents.await(client, "shapes", TrainingEvent::isFinal, TIMEOUT);
            assertThat(outcome.type()).as(outcome.message()).isEqualTo(TrainingEvent.Type.SUCCEEDED);
            assertThat(outcome.version()).isEqualTo(1);
        }
        assertThat(bucket(STORE).list("shapes/1/"))
                .contains("shapes/1/manifest.json", "shapes/1/model.zip", "shapes/1/report.json");
        Blobs state = bucket(STATE);
        assertThat(state.list("outcomes/")).hasSize(1);
        assertThat(state.list("claims/")).hasSize(1);
        assertThat(work.resolve("no-local-data")).as("nothing read from or written to a local data root")
                .satisfiesAnyOf(p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyDirectory());

        // the trainer reads its report back from the bucket
        HttpResponse<String> report = trainer.get("/api/trainings/shapes");
        assertThat(report.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(report.body()).path("report").path("history").size()).isGreaterThan(0);

        inference.awaitModelStatus("shapes", "version 1 serving", s -> s.path("version").asInt() == 1, TIMEOUT);
        HttpResponse<String> prediction = predict("shapes");
        assertThat(prediction.statusCode()).as(prediction.body()).isEqualTo(200);
        ModelManifest manifest = store().manifest("shapes", 1);
        Path cached = work.resolve("inference-cache/shapes/1/model.zip");
        assertThat(cached).hasSize(manifest.sizeBytes());
        assertThat(ModelStore.sha256(cached)).isEqualTo(manifest.sha256());
        JsonNode health = Json.MAPPER.readTree(inference.get("/q/health/ready").body());
        assertThat(health.toString()).contains("model-store").contains("\"cacheBytes\":" + manifest.sizeBytes());
    }

    private static ModelStore store() {
        return ModelStore.open(STORE, S3Settings.local(s3.endpoint(), LocalS3.ACCESS_KEY, LocalS3.SECRET_KEY),
                work.resolve("test-cache"), 1L << 30);
    }

    @Test
    @Order(2)
    void aDatasetInABucketThatIsNotAllowedIsRefusedAtValidation() {
        try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
            client.send(Topics.TRAINING_REQUESTS, "forbidden",
                    TestRequests.smallConvnet("forbidden", "s3://graft-secrets/train/", VALIDATION, 2, 0));
            TrainingEvent outcome = TrainingEvents.await(client, "forbidden", TrainingEvent::isFinal, TIMEOUT);
            assertThat(outcome.type()).isEqualTo(TrainingEvent.Type.FAILED);
            assertThat(outcome.message()).contains("dataset.train").contains("'graft-secrets' may not be read")
                    .contains("[graft-data]");
            assertThat(client.readAll(Topics.TRAINING_REQUESTS_DLQ)).anySatisfy(r -> assertThat(r.key()).isEqualTo("forbidden"));
            // refused at validation: its one event, read to the topic's end, is the FAILED one, never an ACCEPTED
            assertThat(client.readAll(Topics.TRAINING_EVENTS).stream().map(r -> Json.read(r.value(), TrainingEvent.class))
                    .filter(e -> "forbidden".equals(e.requestId())).map(TrainingEvent::type).toList())
                    .containsExactly(TrainingEvent.Type.FAILED);
        }
    }

    @Test
    @Order(3)
    void aLoadThatFindsStorageAwayIsRetriedWhileTheServingVersionServes() throws Exception {
        ModelStore store = store();
        ModelManifest first = store.manifest("shapes", 1);
        Path artifact = store.verify(first);
        ModelManifest second = store.publish(copyOf(first, first.model()), p -> Files.copy(artifact, p));
        s3.stop();
        try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
            client.send(Topics.MODEL_VERSIONS, "shapes", Json.write(ModelVersionEvent.of(second)));
            inference.awaitModelStatus("shapes", "version 2 failed while storage is away",
                    s -> s.path("failed").toString().contains("\"version\":2"), TIMEOUT);
            HttpResponse<String> prediction = predict("shapes");
            assertThat(prediction.statusCode()).as(prediction.body()).isEqualTo(200);
            assertThat(prediction.headers().firstValue("X-Graft-Model-Version")).contains("1");
        } finally {
            s3.restart();
        }
        inference.awaitModelStatus("shapes", "version 2 serving once storage is back", s -> s.path("version").asInt() == 2, TIMEOUT);
    }

    @Test
    @Order(4)
    void anObjectCorruptedOrMissingInTheBucketFailsItsVersionOnceCountedAndNotRetried() throws Exception {
        ModelStore store = store();
        ModelManifest first = store.manifest("shapes", 1);
        Path artifact = store.verify(first);
        Blobs models = bucket(STORE);
        ModelManifest corrupt = store.publish(copyOf(first, "corrupt"), p -> Files.copy(artifact, p));
        ModelManifest missing = store.publish(copyOf(first, "corrupt"), p -> Files.copy(artifact, p));
        // the same size, other bytes: only the sha256 can tell; and an artifact gone from the bucket
        byte[] bytes = Files.readAllBytes(artifact);
        bytes[bytes.length / 2] ^= 0x5a;
        models.write("corrupt/" + corrupt.version() + "/model.zip", bytes);
        models.delete("corrupt/" + missing.version() + "/model.zip");
        String before = inference.get("/q/metrics").body();
        try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
            client.send(Topics.MODEL_VERSIONS, "corrupt", Json.write(ModelVersionEvent.of(corrupt)));
            client.send(Topics.MODEL_VERSIONS, "corrupt", Json.write(ModelVersionEvent.of(missing)));
        }
        JsonNode status = inference.awaitModelStatus("corrupt", "both versions failed",
                s -> s.path("failed").size() == 2, TIMEOUT);
        assertThat(status.path("failed").toString()).contains("sha256").contains("model.zip");
        // failed for good: one attempt each and none planned, so neither a rescan nor a request retries them
        for (JsonNode version : status.path("versions")) {
            assertThat(version.path("state").asText()).as(version.toString()).isEqualTo("failed");
            assertThat(version.path("attempts").asInt()).as(version.toString()).isEqualTo(1);
            assertThat(version.path("nextAttempt").isNull() || version.path("nextAttempt").isMissingNode())
                    .as(version.toString()).isTrue();
        }
        String after = inference.get("/q/metrics").body();
        for (ModelManifest version : List.of(corrupt, missing)) {
            String series = "graft_model_loads_total{model=\"corrupt\",outcome=\"failed\",version=\"" + version.version() + "\"}";
            assertThat(MetricsText.value(after, series) - MetricsText.value(before, series)).as(series).isEqualTo(1);
        }
        assertThat(work.resolve("inference-cache/corrupt/" + corrupt.version() + "/model.zip")).as("nothing corrupt cached")
                .doesNotExist();
    }

    private static ModelManifest copyOf(ModelManifest manifest, String model) {
        return ModelManifest.draft(model, manifest.task(), manifest.labels(), manifest.targetNormalization(),
                manifest.inputShape(), manifest.preprocessingMode(), manifest.metrics(), manifest.base(), "copied-by-the-test");
    }

    @Test
    @Order(5)
    void aPublishWhileStorageIsAwayFailsWithTheReasonAndLeavesNoVersion() throws Exception {
        try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
            client.send(Topics.TRAINING_REQUESTS, "outage", TestRequests.smallConvnet("outage", TRAIN, VALIDATION, 2, 3));
            // the dataset is mirrored by now; storage goes before the first epoch ends, so every epoch and the
            // publish meet it away however fast the training runs
            TrainingEvents.await(client, "outage", e -> e.type() == TrainingEvent.Type.DATASET, TIMEOUT);
            s3.stop();
            try {
                TrainingEvent outcome = TrainingEvents.await(client, "outage", TrainingEvent::isFinal, TIMEOUT);
                assertThat(outcome.type()).isEqualTo(TrainingEvent.Type.FAILED);
                assertThat(outcome.message()).contains("could not publish a version of outage").contains("unreachable");
                HttpResponse<String> ready = trainer.get("/q/health/ready");
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body()).contains("unreachable");
            } finally {
                s3.restart();
            }
        }
        assertThat(store().versions("outage")).isEmpty();
        assertThat(bucket(STORE).list("outage/")).as("nothing of the failed version is left").isEmpty();
    }

    @Test
    @Order(6)
    void wrongCredentialsAreNamedAtStartAndKeepTheServiceUnready() throws Exception {
        Map<String, String> wrong = new HashMap<>(env);
        wrong.put("GRAFT_S3_SECRET_ACCESS_KEY", "not-the-secret");
        wrong.put("GRAFT_STORE_CACHE_DIR", work.resolve("wrong-cache").toString());
        ServiceProcess refused = ServiceProcess.start("inference-wrong-key", INFERENCE_JAR, wrong, work);
        try {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            HttpResponse<String> ready = null;
            while (ready == null || !ready.body().contains("refused these credentials")) {
                assertThat(System.nanoTime()).as("readiness names the refused credentials; last " + ready).isLessThan(deadline);
                Thread.sleep(250);
                try {
                    ready = refused.get("/q/health/ready");
                } catch (java.io.IOException notListeningYet) {
                    ready = null;
                }
            }
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(Files.readString(refused.log())).contains("cannot be used").contains("refused these credentials");
        } finally {
            refused.close();
        }
    }
}
