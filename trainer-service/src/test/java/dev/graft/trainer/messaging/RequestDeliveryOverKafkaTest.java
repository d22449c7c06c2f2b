package dev.graft.trainer.messaging;

import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.testing.KafkaTestClient;
import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.store.ModelStore;
import dev.graft.testing.MetricsText;
import dev.graft.testing.TestImages;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** Deliveries that are not a plain first delivery of a valid request: unreadable records, and the same requestId again. */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class RequestDeliveryOverKafkaTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "graft.data-root")
    String dataRoot;
    @Inject
    ModelStore store;
    @ConfigProperty(name = "graft.trainer.state-root")
    Path stateRoot;

    private static String request(String requestId, String model, String train) {
        return """
                {"requestId": "%s", "model": "%s", "task": "classification",
                 "dataset": {"train": "%s", "validation": "%s"},
                 "base": {"architecture": "small-convnet", "weights": "random", "inputHeight": 32, "inputWidth": 32},
                 "head": {"units": 8}, "frozen": {"epochs": 1, "learningRate": 0.01, "batchSize": 8}}
                """.formatted(requestId, model, train, train);
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    private static List<TrainingEvent> eventsOf(KafkaTestClient kafka, String requestId, int finals) {
        return TrainingEvents.of(kafka, requestId, finals, TIMEOUT);
    }

    private static double jobs(String outcome) {
        return MetricsText.value(given().get("/q/metrics").asString(), "graft_training_jobs_total{outcome=\"" + outcome + "\"}");
    }

    @Test
    void unreadableAndInvalidRecordsGoToTheDeadLetterTopicAsTheyArrivedWithTheReason() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String garbage = "{this is not json " + run;
        String wrongType = "{\"requestId\": \"type-" + run + "\", \"model\": \"m\", \"task\": \"classification\","
                + " \"frozen\": {\"epochs\": \"many\"}}";
        String missing = "{\"requestId\": \"missing-" + run + "\"}";
        // valid in form, but its base has no such layer: known when validated, so rejected like the others
        String layer = request("layer-" + run, "layer-" + run, run).replace("\"head\"",
                "\"fineTune\": {\"epochs\": 1, \"learningRate\": 0.001, \"unfreezeFrom\": \"block9_conv1\"}, \"head\"");
        double rejectedBefore = jobs("rejected");
        double failedBefore = jobs("failed");
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            kafka.send(Topics.TRAINING_REQUESTS, "garbage-" + run, garbage);
            kafka.send(Topics.TRAINING_REQUESTS, "type-" + run, wrongType);
            kafka.send(Topics.TRAINING_REQUESTS, "missing-" + run, missing);
            kafka.send(Topics.TRAINING_REQUESTS, "layer-" + run, layer);

            List<ConsumerRecord<String, String>> dead = kafka.readRecordsUntil(Topics.TRAINING_REQUESTS_DLQ,
                    r -> ("layer-" + run).equals(r.key()), TIMEOUT).stream()
                    .filter(r -> r.key() != null && r.key().endsWith(run)).toList();
            assertThat(dead).extracting(ConsumerRecord::key)
                    .containsExactly("garbage-" + run, "type-" + run, "missing-" + run, "layer-" + run);
            assertThat(dead).extracting(ConsumerRecord::value).containsExactly(garbage, wrongType, missing, layer);
            assertThat(header(dead.get(0), "dead-letter-reason")).contains("invalid JSON");
            assertThat(header(dead.get(1), "dead-letter-reason")).contains("epochs");
            assertThat(header(dead.get(2), "dead-letter-reason")).contains("model");
            assertThat(header(dead.get(3), "dead-letter-reason")).contains("fineTune.unfreezeFrom 'block9_conv1' is not a"
                    + " layer of the small-convnet base; valid layers: block1_conv1, block1_pool, block2_conv1");
            assertThat(dead).allSatisfy(r -> assertThat(header(r, "dead-letter-topic")).isEqualTo(Topics.TRAINING_REQUESTS));
            long first = Long.parseLong(header(dead.get(0), "dead-letter-offset"));
            assertThat(dead).extracting(r -> Long.parseLong(header(r, "dead-letter-offset")))
                    .containsExactly(first, first + 1, first + 2, first + 3);

            // the record that is not JSON is answered under its key, the requestId by convention
            assertThat(eventsOf(kafka, "garbage-" + run, 1)).singleElement()
                    .satisfies(e -> assertThat(e.message()).contains("invalid JSON"));
            assertThat(eventsOf(kafka, "type-" + run, 1)).singleElement()
                    .satisfies(e -> assertThat(e.type()).isEqualTo(TrainingEvent.Type.FAILED));
            assertThat(eventsOf(kafka, "missing-" + run, 1)).singleElement()
                    .satisfies(e -> assertThat(e.message()).contains("model"));
            assertThat(eventsOf(kafka, "layer-" + run, 1)).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo(TrainingEvent.Type.FAILED);
                assertThat(e.message()).contains("block9_conv1");
            });
        }
        assertThat(jobs("rejected") - rejectedBefore).isEqualTo(4);
        assertThat(jobs("failed") - failedBefore).isZero();
        assertThat(store.versions("layer-" + run)).isEmpty();
    }

    @Test
    void aRequestIdDeliveredAgainIsAnsweredWithItsFirstOutcomeAndNotTrainedAgain() throws IOException {
        String run = UUID.randomUUID().toString().substring(0, 8);
        TestImages.classFolders(Path.of(dataRoot, run), 8, 1);
        String model = "twice-" + run;
        String ok = "ok-" + run;
        String failing = "nodata-" + run;
        double duplicatesBefore = jobs("duplicate");
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            // a redelivery right behind the first, and a failure sent twice
            kafka.send(Topics.TRAINING_REQUESTS, ok, request(ok, model, run));
            kafka.send(Topics.TRAINING_REQUESTS, ok, request(ok, model, run));
            kafka.send(Topics.TRAINING_REQUESTS, failing, request(failing, model, run + "/nowhere"));
            kafka.send(Topics.TRAINING_REQUESTS, failing, request(failing, model, run + "/nowhere"));

            List<TrainingEvent> okEvents = eventsOf(kafka, ok, 2);
            assertThat(okEvents).filteredOn(e -> e.type() == TrainingEvent.Type.ACCEPTED).hasSize(1);
            List<TrainingEvent> okOutcomes = okEvents.stream().filter(TrainingEvent::isFinal).toList();
            assertThat(okOutcomes).extracting(TrainingEvent::type)
                    .containsExactly(TrainingEvent.Type.SUCCEEDED, TrainingEvent.Type.SUCCEEDED);
            assertThat(okOutcomes).extracting(TrainingEvent::version).containsExactly(1, 1);
            assertThat(okOutcomes.get(1).message()).contains("already handled").contains("new requestId");

            List<TrainingEvent> failedEvents = eventsOf(kafka, failing, 2);
            assertThat(failedEvents).filteredOn(e -> e.type() == TrainingEvent.Type.ACCEPTED).hasSize(1);
            assertThat(failedEvents).filteredOn(TrainingEvent::isFinal).extracting(TrainingEvent::type)
                    .containsExactly(TrainingEvent.Type.FAILED, TrainingEvent.Type.FAILED);
            assertThat(failedEvents.get(failedEvents.size() - 1).message()).contains("already handled")
                    .contains("does not exist");

            // a crash between storing the version and recording the outcome: the store still knows the request
            try (Stream<Path> recorded = Files.list(stateRoot.resolve("outcomes"))) {
                for (Path file : recorded.toList()) {
                    Files.delete(file);
                }
            }
            kafka.send(Topics.TRAINING_REQUESTS, ok, request(ok, model, run));
            List<TrainingEvent> third = eventsOf(kafka, ok, 3);
            assertThat(third).filteredOn(e -> e.type() == TrainingEvent.Type.ACCEPTED).hasSize(1);
            assertThat(third.get(third.size() - 1).type()).isEqualTo(TrainingEvent.Type.SUCCEEDED);
            assertThat(third.get(third.size() - 1).version()).isEqualTo(1);
            assertThat(TrainingEvents.finals(third)).isEqualTo(3);
            // its version announced when stored, and once more with each of the two answers again
            assertThat(kafka.readAll(Topics.MODEL_VERSIONS)).filteredOn(r -> model.equals(r.key())).hasSize(3);
        }
        assertThat(store.versions(model)).containsExactly(1);
        assertThat(jobs("duplicate") - duplicatesBefore).isEqualTo(3);
    }

    @Test
    void aRequestTheTrainerCannotKeepIsFailedWithTheReasonAndNotTrained() throws IOException {
        String run = UUID.randomUUID().toString().substring(0, 8);
        TestImages.classFolders(Path.of(dataRoot, run), 8, 1);
        String unkept = "unkept-" + run;
        Path claims = stateRoot.resolve("claims");
        Path aside = stateRoot.resolve("claims-" + run);
        Files.createDirectories(claims);
        Files.move(claims, aside);
        Files.writeString(claims, "a file where the claims folder would go");
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            kafka.send(Topics.TRAINING_REQUESTS, unkept, request(unkept, unkept, run));
            assertThat(eventsOf(kafka, unkept, 1)).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo(TrainingEvent.Type.FAILED);
                assertThat(e.message()).startsWith("the trainer cannot keep the request: cannot claim request " + unkept);
            });
        } finally {
            Files.delete(claims);
            Files.move(aside, claims);
        }
        assertThat(store.versions(unkept)).isEmpty();
    }

    @Test
    void aCancellationStopsTheRunningTrainingAtTheNextBatchAndAnswersAWaitingOneWithoutTraining() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        TestImages.classFolders(Path.of(dataRoot, run), 8, 1);
        String running = "long-" + run;
        String waiting = "queued-" + run;
        double cancelledBefore = jobs("cancelled");
        // augmentation trains end to end: hundreds of epochs take long enough to be cancelled mid-way
        String longRequest = request(running, "long-" + run, run).replace("\"epochs\": 1,", "\"epochs\": 400,")
                .replace("\"head\"", "\"augmentation\": {\"preset\": \"flip\"}, \"head\"");
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            kafka.send(Topics.TRAINING_REQUESTS, running, longRequest);
            kafka.send(Topics.TRAINING_REQUESTS, waiting, request(waiting, "queued-" + run, run));
            kafka.readUntil(Topics.TRAINING_EVENTS, json -> json.contains("\"requestId\":\"" + running + "\"")
                    && json.contains("\"EPOCH\""), TIMEOUT);
            // still on Kafka: no trainer has taken it, the only one is busy
            given().get("/api/trainings/" + waiting).then().statusCode(404);
            kafka.send(Topics.TRAINING_CANCELLATIONS, waiting, "{\"requestId\": \"" + waiting + "\"}");
            kafka.send(Topics.TRAINING_CANCELLATIONS, running, "not JSON: the key names the request");

            List<TrainingEvent> events = eventsOf(kafka, running, 1);
            TrainingEvent outcome = events.get(events.size() - 1);
            assertThat(outcome.type()).isEqualTo(TrainingEvent.Type.CANCELLED);
            assertThat(outcome.message()).contains("cancelled in the frozen phase, epoch");
            assertThat(events).filteredOn(e -> e.type() == TrainingEvent.Type.EPOCH).hasSizeLessThan(400);

            assertThat(eventsOf(kafka, waiting, 1)).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo(TrainingEvent.Type.CANCELLED);
                assertThat(e.message()).isEqualTo("cancelled before it started");
            });
            // sent again, a cancelled request stays cancelled
            kafka.send(Topics.TRAINING_REQUESTS, running, longRequest);
            List<TrainingEvent> again = eventsOf(kafka, running, 2);
            assertThat(again.get(again.size() - 1).type()).isEqualTo(TrainingEvent.Type.CANCELLED);
            assertThat(again.get(again.size() - 1).message()).contains("already handled");
        }
        assertThat(store.versions("long-" + run)).isEmpty();
        assertThat(store.versions("queued-" + run)).isEmpty();
        given().get("/api/trainings/" + running).then().body("state", org.hamcrest.Matchers.is("CANCELLED"));
        assertThat(jobs("cancelled") - cancelledBefore).isEqualTo(2);
    }
}
