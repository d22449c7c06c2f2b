package dev.graft.trainer.messaging;

import dev.graft.kafka.KafkaBrokerTestResource;
import dev.graft.kafka.KafkaTestClient;
import dev.graft.shared.events.Topics;
import dev.graft.shared.events.TrainingEvent;
import dev.graft.shared.store.ModelStore;
import dev.graft.trainer.TestImages;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * A training that outlasts the consumer's poll interval and the connector's limit on how long a
 * record may stay unacknowledged, both set to a few seconds here: long by construction (far more
 * epochs than it is let run; cancelled once an epoch ends after both limits), it is taken once and
 * ends once, the consumer keeps its place in the group (same member, no rebalance), health stays UP,
 * and the next request is trained as usual.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
@TestProfile(LongTrainingOverKafkaTest.ShortDeadlines.class)
class LongTrainingOverKafkaTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final String GROUP = "graft-trainer-short-deadlines";
    private static final long DEADLINE_MS = 3000;

    public static class ShortDeadlines implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            String channel = "mp.messaging.incoming." + TrainingRequestConsumer.CHANNEL + ".";
            return Map.of(channel + "group.id", GROUP,
                    channel + "max.poll.interval.ms", String.valueOf(DEADLINE_MS),
                    channel + "throttled.unprocessed-record-max-age.ms", String.valueOf(DEADLINE_MS));
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "graft.data-root")
    String dataRoot;
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


    private Set<String> members(Admin admin) throws Exception {
        ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(GROUP)).all().get().get(GROUP);
        return group.members().stream().map(MemberDescription::consumerId).collect(Collectors.toSet());
    }

    @Test
    void aTrainingLongerThanThePollIntervalAndTheAcknowledgementLimitRunsOnceAndTheConsumerStays() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        TestImages.classFolders(Path.of(dataRoot, run), 8, 1);
        String longOne = "long-" + run;
        String next = "next-" + run;
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap);
             Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            // endless in practice: it runs until this test cancels it, once both limits have passed, whatever the machine's speed
            kafka.send(Topics.TRAINING_REQUESTS, longOne, request(longOne, longOne, run, 1000));
            long acceptedAt = kafka.readRecordsUntil(Topics.TRAINING_EVENTS, r -> longOne.equals(r.key())
                    && r.value().contains("\"ACCEPTED\""), TIMEOUT).get(0).timestamp();
            // an epoch ended well after both limits: the training was still running then
            kafka.readRecordsUntil(Topics.TRAINING_EVENTS, r -> longOne.equals(r.key()) && r.value().contains("\"EPOCH\"")
                    && r.timestamp() > acceptedAt + 2 * DEADLINE_MS, TIMEOUT);
            Set<String> membersWhileTraining = members(admin);
            assertThat(membersWhileTraining).hasSize(1);
            kafka.send(Topics.TRAINING_CANCELLATIONS, longOne, "{\"requestId\": \"" + longOne + "\"}");

            List<TrainingEvent> events = TrainingEvents.of(kafka, longOne, 1, TIMEOUT);
            assertThat(events).filteredOn(e -> e.type() == TrainingEvent.Type.ACCEPTED).hasSize(1);
            assertThat(events).filteredOn(TrainingEvent::isFinal).singleElement()
                    .satisfies(e -> assertThat(e.type()).isEqualTo(TrainingEvent.Type.CANCELLED));

            // the same member all along: no rebalance, no second delivery
            assertThat(members(admin)).isEqualTo(membersWhileTraining);
            kafka.send(Topics.TRAINING_REQUESTS, next, request(next, next, run, 1));
            assertThat(TrainingEvents.of(kafka, next, 1, TIMEOUT)).filteredOn(TrainingEvent::isFinal).singleElement()
                    .satisfies(e -> assertThat(e.type()).isEqualTo(TrainingEvent.Type.SUCCEEDED));
            assertThat(members(admin)).isEqualTo(membersWhileTraining);
        }
        assertThat(store.versions(longOne)).isEmpty();
        assertThat(store.versions(next)).containsExactly(1);
        given().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
        given().get("/q/health/live").then().statusCode(200).body("status", is("UP"));
    }
}
