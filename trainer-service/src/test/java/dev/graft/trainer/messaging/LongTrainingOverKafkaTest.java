package dev.graft.trainer.messaging;

import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.testing.KafkaTestClient;
import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;
import dev.graft.store.ModelStore;
import dev.graft.testing.MetricsText;
import dev.graft.testing.TestImages;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.admin.ShareMemberDescription;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;

/**
 * A training that outlasts its record's acquisition lock (4 s here) several times over: long by
 * construction (far more epochs than it is let run; cancelled once an epoch ends after three locks),
 * its lock is renewed, so it is delivered once and ends once, the trainer stays the group's one
 * member, health stays UP, the next request is trained as usual, and at the end the share group has
 * acknowledged every record.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
@TestProfile(LongTrainingOverKafkaTest.OwnGroup.class)
class LongTrainingOverKafkaTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final String GROUP = "graft-trainer-long";

    public static class OwnGroup implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // a 4 s lock, renewed every 1.3 s: three locks pass in 12 s (45 s with the 15 s lock of the other tests)
            return Map.of("graft.trainer.group", GROUP, "graft.trainer.lock-duration", "PT4S");
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "graft.data-root")
    String dataRoot;
    @ConfigProperty(name = "graft.trainer.lock-duration")
    Duration lock;
    @Inject
    ModelStore store;

    private static String request(String requestId, String model, String train, int epochs) {
        // augmentation trains end to end, so each epoch takes a while
        return """
                {"requestId": "%s", "model": "%s", "task": "classification",
                 "dataset": {"train": "%s", "validation": "%s"},
                 "base": {"architecture": "small-convnet", "weights": "random", "inputHeight": 32, "inputWidth": 32},
                 "augmentation": {"preset": "flip"},
                 "head": {"units": 8}, "frozen": {"epochs": %d, "learningRate": 0.01, "batchSize": 8}}
                """.formatted(requestId, model, train, train, epochs);
    }

    private static Set<String> members(Admin admin) throws Exception {
        ShareGroupDescription group = admin.describeShareGroups(List.of(GROUP)).all().get().get(GROUP);
        return group.members().stream().map(ShareMemberDescription::consumerId).collect(Collectors.toSet());
    }

    /** The pool's backlog as the trainer exports it: records of the request topic its group has not acknowledged. */
    private static double backlog() {
        return MetricsText.value(given().get("/q/metrics").asString(), "graft_trainer_backlog_records");
    }

    @Test
    void aTrainingLongerThanItsRecordLockIsDeliveredOnceAndItsRecordAcknowledgedAtTheEnd() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        TestImages.classFolders(Path.of(dataRoot, run), 32, 1);
        String longOne = "long-" + run;
        String next = "next-" + run;
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap);
             Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            kafka.send(Topics.TRAINING_REQUESTS, longOne, request(longOne, longOne, run, 1000));
            List<String> untilAccepted = kafka.readUntil(Topics.TRAINING_EVENTS, json -> json.contains(longOne)
                    && json.contains("\"ACCEPTED\""), TIMEOUT);
            TrainingEvent accepted = Json.read(untilAccepted.get(untilAccepted.size() - 1), TrainingEvent.class);
            // another member of the group polls all along: the record stays locked to the trainer, renewed, so it
            // gets nothing, until an epoch has ended three locks after the start
            long threeLocks = accepted.timestamp().plus(lock.multipliedBy(3)).toEpochMilli();
            List<String> stolen = new ArrayList<>();
            try (KafkaShareConsumer<String, String> probe = new KafkaShareConsumer<>(Map.of("bootstrap.servers", bootstrap,
                    "group.id", GROUP, "share.acknowledgement.mode", "explicit"), new StringDeserializer(),
                    new StringDeserializer())) {
                probe.subscribe(List.of(Topics.TRAINING_REQUESTS));
                long deadline = System.nanoTime() + TIMEOUT.toNanos();
                while (!kafka.readAll(Topics.TRAINING_EVENTS).stream().map(r -> Json.read(r.value(), TrainingEvent.class))
                        .anyMatch(e -> longOne.equals(e.requestId()) && e.type() == TrainingEvent.Type.EPOCH
                                && e.timestamp().toEpochMilli() > threeLocks)) {
                    assertThat(System.nanoTime()).as("an epoch ending three locks after the start, within " + TIMEOUT)
                            .isLessThan(deadline);
                    for (ConsumerRecord<String, String> record : probe.poll(Duration.ofSeconds(1))) {
                        stolen.add(record.key());
                        probe.acknowledge(record, AcknowledgeType.RELEASE);
                    }
                }
            }
            assertThat(stolen).as("records another member got while the training held its own").isEmpty();
            // the trainer alone once the probe has left
            await().atMost(TIMEOUT).until(() -> members(admin).size() == 1);
            Set<String> membersWhileTraining = members(admin);
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(backlog()).as("the long request's record, held")
                    .isEqualTo(1));
            kafka.send(Topics.TRAINING_CANCELLATIONS, longOne, "{\"requestId\": \"" + longOne + "\"}");

            List<TrainingEvent> events = TrainingEvents.of(kafka, longOne, 1, TIMEOUT);
            assertThat(events).filteredOn(e -> e.type() == TrainingEvent.Type.ACCEPTED).hasSize(1);
            assertThat(events).filteredOn(TrainingEvent::isFinal).singleElement()
                    .satisfies(e -> assertThat(e.type()).isEqualTo(TrainingEvent.Type.CANCELLED));

            kafka.send(Topics.TRAINING_REQUESTS, next, request(next, next, run, 1));
            assertThat(TrainingEvents.of(kafka, next, 1, TIMEOUT)).filteredOn(TrainingEvent::isFinal).singleElement()
                    .satisfies(e -> assertThat(e.type()).isEqualTo(TrainingEvent.Type.SUCCEEDED));
            assertThat(members(admin)).isEqualTo(membersWhileTraining);
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(backlog()).isZero());
        }
        assertThat(store.versions(longOne)).isEmpty();
        assertThat(store.versions(next)).containsExactly(1);
        given().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
        given().get("/q/health/live").then().statusCode(200).body("status", is("UP"));
    }
}
