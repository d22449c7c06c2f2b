package dev.graft.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.kafka.KafkaTestClient;
import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.shared.events.Topics;
import dev.graft.shared.events.TrainingEvent;
import dev.graft.shared.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged trainer killed with SIGKILL in the middle of fine-tuning, then started again on the
 * same store: the request is finished once, from the last fine-tune epoch it kept, not from scratch;
 * and a request that has already stopped the trainer as many times as it may is failed, not started.
 */
class TrainerRestartTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(4);
    private static final Path TRAINER_JAR = Path.of("../trainer-service/target/quarkus-app/quarkus-run.jar");
    private static final int FINE_TUNE_EPOCHS = 40;
    /** These epochs take a fraction of a second: keep every one, not one a minute. */
    private static final String EVERY_EPOCH = "-Dgraft.trainer.checkpoint-interval=PT0S";

    private static Path work;
    private static LocalKafkaBroker kafka;
    private static ServiceProcess trainer;
    private static Map<String, String> env;

    @BeforeAll
    static void start() throws Exception {
        assertThat(TRAINER_JAR).as("packaged trainer (mvn package runs before this module's tests)").exists();
        work = Files.createTempDirectory("graft-restart");
        kafka = LocalKafkaBroker.startOnFreePorts(work.resolve("kafka"));
        kafka.createTopics(List.of(Topics.TRAINING_REQUESTS, Topics.TRAINING_EVENTS, Topics.MODEL_VERSIONS,
                Topics.TRAINING_REQUESTS_DLQ, Topics.TRAINING_CANCELLATIONS));
        env = Map.of("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "GRAFT_DATA_ROOT", work.resolve("data").toString(), "GRAFT_STORE_ROOT", work.resolve("models").toString());
        TestImages.classFolders(work.resolve("data/train"), 16, 1);
        TestImages.classFolders(work.resolve("data/validation"), 4, 2);
    }

    /** Each test stops the trainer its own way; each begins with one running. */
    @BeforeEach
    void trainerRunning() throws Exception {
        if (trainer == null || !trainer.process().isAlive()) {
            trainer = ServiceProcess.start("trainer", TRAINER_JAR, env, work, EVERY_EPOCH);
            trainer.awaitReady(TIMEOUT);
        }
    }

    @AfterAll
    static void stop() throws IOException {
        ServiceProcess.stopAll(work, trainer, kafka);
    }

    private static String request(String requestId) {
        return """
                {"requestId": "%s", "model": "%s", "task": "classification",
                 "dataset": {"train": "train", "validation": "validation"},
                 "base": {"architecture": "small-convnet", "weights": "random", "inputHeight": 32, "inputWidth": 32},
                 "head": {"units": 16},
                 "frozen": {"epochs": 2, "learningRate": 0.01, "batchSize": 8},
                 "fineTune": {"epochs": %d, "learningRate": 0.001, "batchSize": 8, "unfreezeFrom": "block1_conv1"}}
                """.formatted(requestId, requestId, FINE_TUNE_EPOCHS);
    }

    /** The request's events once an outcome is out: all of them, read to the topic's end, so a second outcome cannot hide. */
    private static List<TrainingEvent> eventsOf(KafkaTestClient client, String requestId) {
        client.readUntil(Topics.TRAINING_EVENTS, json -> {
            TrainingEvent event = Json.read(json, TrainingEvent.class);
            return requestId.equals(event.requestId()) && event.isFinal();
        }, TIMEOUT);
        return client.readAll(Topics.TRAINING_EVENTS).stream().map(r -> Json.read(r.value(), TrainingEvent.class))
                .filter(event -> requestId.equals(event.requestId())).toList();
    }

    private static String hash(String requestId) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(requestId.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aTrainerKilledDuringFineTuningFinishesTheRequestOnceFromItsLastEpochAfterRestart() throws Exception {
        Path journal = work.resolve("models/.trainer/requests");
        try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
            client.send(Topics.TRAINING_REQUESTS, "resume-1", request("resume-1"));
            client.readUntil(Topics.TRAINING_EVENTS, json -> {
                TrainingEvent event = Json.read(json, TrainingEvent.class);
                return "resume-1".equals(event.requestId()) && event.type() == TrainingEvent.Type.EPOCH
                        && "fine-tune".equals(event.phase()) && event.epoch() >= 3;
            }, TIMEOUT);
            trainer.kill();
            assertThat(work.resolve("models/resume-1")).as("nothing stored before the kill").doesNotExist();

            // a request that has already been started as many times as allowed (3), each time ending the trainer
            Files.writeString(journal.resolve(hash("crashy-1") + ".pending.json"), Json.MAPPER.writeValueAsString(Map.of(
                    "requestId", "crashy-1", "request", request("crashy-1"), "topic", Topics.TRAINING_REQUESTS,
                    "partition", 0, "offset", 999, "received", "2026-11-24T00:00:00Z", "attempts", 3)));

            trainer = ServiceProcess.start("trainer", TRAINER_JAR, env, work, EVERY_EPOCH);
            trainer.awaitReady(TIMEOUT);

            List<TrainingEvent> events = eventsOf(client, "resume-1");
            List<TrainingEvent> accepted = events.stream().filter(e -> e.type() == TrainingEvent.Type.ACCEPTED).toList();
            assertThat(accepted).hasSize(2);
            assertThat(accepted.get(1).message()).contains("resuming from the checkpoint after fine-tune epoch");
            int kept = Integer.parseInt(accepted.get(1).message().replaceAll(".*fine-tune epoch (\\d+).*", "$1"));
            assertThat(kept).isBetween(2, FINE_TUNE_EPOCHS - 1);
            List<TrainingEvent> afterRestart = events.subList(events.indexOf(accepted.get(1)), events.size()).stream()
                    .filter(e -> e.type() == TrainingEvent.Type.EPOCH).toList();
            assertThat(afterRestart).allSatisfy(e -> assertThat(e.phase()).isEqualTo("fine-tune"));
            assertThat(afterRestart.get(0).epoch()).isEqualTo(kept + 1);
            assertThat(afterRestart.get(afterRestart.size() - 1).epoch()).isEqualTo(FINE_TUNE_EPOCHS);
            assertThat(events).filteredOn(TrainingEvent::isFinal).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo(TrainingEvent.Type.SUCCEEDED);
                assertThat(e.version()).isEqualTo(1);
            });

            List<TrainingEvent> crashy = eventsOf(client, "crashy-1");
            assertThat(crashy).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo(TrainingEvent.Type.FAILED);
                assertThat(e.message()).contains("the trainer stopped 3 times while training this request");
            });
            assertThat(client.readAll(Topics.MODEL_VERSIONS)).filteredOn(r -> "resume-1".equals(r.key())).hasSize(1);
        }
        try (Stream<Path> versions = Files.list(work.resolve("models/resume-1"))) {
            assertThat(versions.map(p -> p.getFileName().toString()).filter(name -> !name.startsWith(".")))
                    .containsExactly("1");
        }
        // the report has every epoch of both phases exactly once, across the two trainers
        JsonNode history = Json.MAPPER.readTree(work.resolve("models/resume-1/1/report.json").toFile()).path("history");
        List<String> epochs = new ArrayList<>();
        history.forEach(e -> epochs.add(e.path("phase").asText() + " " + e.path("epoch").asInt()));
        List<String> expected = new ArrayList<>(List.of("frozen 1", "frozen 2"));
        for (int i = 1; i <= FINE_TUNE_EPOCHS; i++) {
            expected.add("fine-tune " + i);
        }
        assertThat(epochs).isEqualTo(expected);
        JsonNode status = Json.MAPPER.readTree(trainer.get("/api/trainings/resume-1").body());
        assertThat(status.path("state").asText()).isEqualTo("SUCCEEDED");
        // nothing left to resume
        try (Stream<Path> left = Files.list(journal)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(name -> name.endsWith(".pending.json"));
        }
        assertThat(work.resolve("models/.trainer/checkpoints")).isEmptyDirectory();
    }

    @Test
    void aTrainerStoppedGracefullyLeavesItsTrainingToResumeWithoutCountingItAsACrash() throws Exception {
        Path pending = work.resolve("models/.trainer/requests/" + hash("graceful-1") + ".pending.json");
        try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
            client.send(Topics.TRAINING_REQUESTS, "graceful-1", request("graceful-1"));
            client.readUntil(Topics.TRAINING_EVENTS, json -> {
                TrainingEvent event = Json.read(json, TrainingEvent.class);
                return "graceful-1".equals(event.requestId()) && event.type() == TrainingEvent.Type.EPOCH
                        && "fine-tune".equals(event.phase()) && event.epoch() >= 2;
            }, TIMEOUT);
            trainer.close(); // SIGTERM, as Kubernetes or docker stop sends it
            assertThat(Json.MAPPER.readTree(pending.toFile()).path("attempts").asInt()).isZero();
            // an outcome an earlier trainer recorded: the next one answers for it from the journal
            Files.writeString(pending.resolveSibling(hash("failed-earlier") + ".json"),
                    Json.write(TrainingEvent.failed("failed-earlier", "m", "dataset folder x does not exist")));

            trainer = ServiceProcess.start("trainer", TRAINER_JAR, env, work, EVERY_EPOCH);
            trainer.awaitReady(TIMEOUT);
            List<TrainingEvent> events = eventsOf(client, "graceful-1");
            assertThat(events).filteredOn(e -> e.type() == TrainingEvent.Type.ACCEPTED).last()
                    .satisfies(e -> assertThat(e.message()).contains("resuming from the checkpoint after fine-tune epoch"));
            assertThat(events).filteredOn(TrainingEvent::isFinal).singleElement()
                    .satisfies(e -> assertThat(e.type()).isEqualTo(TrainingEvent.Type.SUCCEEDED));
        }
        assertThat(pending).doesNotExist();
        JsonNode failed = Json.MAPPER.readTree(trainer.get("/api/trainings/failed-earlier").body());
        assertThat(failed.path("state").asText()).isEqualTo("FAILED");
        assertThat(failed.path("message").asText()).isEqualTo("dataset folder x does not exist");
    }
}
