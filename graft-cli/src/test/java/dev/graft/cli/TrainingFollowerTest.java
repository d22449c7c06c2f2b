package dev.graft.cli;

import dev.graft.testing.KafkaTestClient;
import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Task;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** The follower on a real broker; the test plays the trainer by answering on the event topics. */
class TrainingFollowerTest {
    @TempDir
    Path dir;

    @Test
    void printsThisRequestsProgressOnlyAndWaitsForItsVersionEvent() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.startOnFreePorts(dir);
             KafkaTestClient trainer = new KafkaTestClient(broker.bootstrapServers())) {
            broker.createTopics(List.of(Topics.TRAINING_REQUESTS, Topics.TRAINING_EVENTS, Topics.MODEL_VERSIONS));
            // an older request's events are already on the topic and must not be shown
            trainer.send(Topics.TRAINING_EVENTS, "old", Json.write(TrainingEvent.failed("old", "m", "old failure")));
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            TrainingFollower follower = new TrainingFollower(broker.bootstrapServers(),
                    new PrintStream(console, true, StandardCharsets.UTF_8));

            CompletableFuture<TrainingFollower.Outcome> outcome = CompletableFuture.supplyAsync(
                    () -> follower.trainAndFollow("r-1", "{\"requestId\":\"r-1\"}", Duration.ofSeconds(60)));
            String request = trainer.readUntil(Topics.TRAINING_REQUESTS, json -> json.contains("r-1"), Duration.ofSeconds(30))
                    .get(0);
            assertThat(request).isEqualTo("{\"requestId\":\"r-1\"}");
            trainer.send(Topics.TRAINING_EVENTS, "other", Json.write(TrainingEvent.accepted("other", "m", "not mine")));
            trainer.send(Topics.TRAINING_EVENTS, "r-1", Json.write(TrainingEvent.accepted("r-1", "m", "training m")));
            trainer.send(Topics.TRAINING_EVENTS, "r-1", Json.write(TrainingEvent.epoch("r-1", "m", "frozen", 1, 2,
                    0.5, "accuracy", 0.7, 0.4, 0.8, 100, 12.3, 125)));
            trainer.send(Topics.TRAINING_EVENTS, "r-1", Json.write(TrainingEvent.succeeded("r-1", "m", 3, "stored m version 3")));
            // once the follower has printed the success it has read it: without the version event it must still wait
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!console.toString(StandardCharsets.UTF_8).contains("succeeded: stored m version 3")) {
                assertThat(System.nanoTime()).as("the follower prints the success").isLessThan(deadline);
                Thread.sleep(20);
            }
            assertThat(outcome).as("the version event has not come yet").isNotDone();
            ModelManifest manifest = ModelManifest.draft("m", Task.CLASSIFICATION, List.of("a", "b"), null,
                    InputShape.rgb(8, 8), Preprocessing.UNIT, Map.of(), null, "r-1").published(3, "model.zip", 1, "00");
            trainer.send(Topics.MODEL_VERSIONS, "m", Json.write(ModelVersionEvent.of(manifest)));

            TrainingFollower.Outcome done = outcome.get();
            assertThat(done.succeeded()).isTrue();
            // sent after the success: the follower has it only if it waited for it
            assertThat(done.version()).as("the version event, awaited after the success").isNotNull();
            assertThat(done.version().version()).isEqualTo(3);
            String printed = console.toString(StandardCharsets.UTF_8);
            assertThat(printed).contains("[m] accepted: training m")
                    .contains("[m] frozen    epoch 1/2  loss 0.5000  accuracy 0.7000  val_loss 0.4000  val_accuracy 0.8000"
                            + "  (100 img/s, 12s, ETA 2m05s)")
                    .contains("[m] succeeded: stored m version 3")
                    .doesNotContain("not mine").doesNotContain("old failure");
        }
    }

    @Test
    void aCancelledRequestEndsTheFollowWithoutAVersion() throws Exception {
        try (LocalKafkaBroker broker = LocalKafkaBroker.startOnFreePorts(dir);
             KafkaTestClient trainer = new KafkaTestClient(broker.bootstrapServers())) {
            broker.createTopics(List.of(Topics.TRAINING_REQUESTS, Topics.TRAINING_EVENTS, Topics.MODEL_VERSIONS));
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            TrainingFollower follower = new TrainingFollower(broker.bootstrapServers(),
                    new PrintStream(console, true, StandardCharsets.UTF_8));

            CompletableFuture<TrainingFollower.Outcome> outcome = CompletableFuture.supplyAsync(
                    () -> follower.trainAndFollow("r-2", "{\"requestId\":\"r-2\"}", Duration.ofSeconds(60)));
            trainer.readUntil(Topics.TRAINING_REQUESTS, json -> json.contains("r-2"), Duration.ofSeconds(30));
            trainer.send(Topics.TRAINING_EVENTS, "r-2", Json.write(TrainingEvent.cancelled("r-2", "m",
                    "cancelled in the frozen phase, epoch 2; nothing was stored")));

            TrainingFollower.Outcome done = outcome.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(done.succeeded()).isFalse();
            assertThat(done.version()).isNull();
            assertThat(console.toString(StandardCharsets.UTF_8)).contains("[m] cancelled: cancelled in the frozen phase");
        }
    }
}
