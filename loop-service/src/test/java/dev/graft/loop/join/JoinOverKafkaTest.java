package dev.graft.loop.join;

import dev.graft.contract.events.FeedbackRecord;
import dev.graft.contract.events.LabelledExample;
import dev.graft.contract.events.PredictionRecord;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.Task;
import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.testing.KafkaTestClient;
import dev.graft.testing.MetricsText;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * The join on a real broker, records produced as the inference service produces them: feedback in
 * order and out of order, a second answer, an older one after a newer, two waiting for their prediction,
 * one too late for the window, one whose prediction never comes, and bad ones; live accuracy and
 * confusion against what this test's own answers make them. The test profile's window is an hour, with
 * no grace, swept every second.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class JoinOverKafkaTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private static String prediction(String id, String model, String label, Instant time) {
        return Json.write(new PredictionRecord(id, model, 1, Task.CLASSIFICATION, label,
                List.of(new PredictionRecord.Scored(label, 0.9)), null, 3.0, "sha-" + id, null, time, null, null));
    }

    private static String feedback(String id, String model, String label, Instant time) {
        return Json.write(new FeedbackRecord(id, model, 1, label, null, time, "test"));
    }

    private static double metric(String series) {
        return MetricsText.value(given().get("/q/metrics").asString(), series);
    }

    private static double joined(String model, String outcome) {
        return metric("graft_feedback_joined_total{model=\"" + model + "\",outcome=\"" + outcome + "\"}");
    }

    @Test
    void joinsInAnyOrderCountsTheLastAnswerRefusesWhatItCannotUseAndScoresLiveTraffic() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String model = "join-" + run;
        String other = "other-" + run;
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        double unknownInvalid = joined(JoinCounts.UNKNOWN_MODEL, "invalid");
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            // in order, right
            kafka.send(Topics.PREDICTIONS, "p1-" + run, prediction("p1-" + run, model, "red", now));
            kafka.send(Topics.FEEDBACK, "p1-" + run, feedback("p1-" + run, model, "red", now));
            // feedback first, wrong
            kafka.send(Topics.FEEDBACK, "p2-" + run, feedback("p2-" + run, model, "blue", now));
            kafka.send(Topics.PREDICTIONS, "p2-" + run, prediction("p2-" + run, model, "red", now));
            // a first answer, wrong, then a second, right: the second counts
            kafka.send(Topics.PREDICTIONS, "p3-" + run, prediction("p3-" + run, model, "green", now));
            kafka.send(Topics.FEEDBACK, "p3-" + run, feedback("p3-" + run, model, "blue", now));
            kafka.send(Topics.FEEDBACK, "p3-" + run, feedback("p3-" + run, model, "green", now.plusMillis(1)));
            // an older answer that comes after a newer one (another replica's, delayed): the newer stands
            kafka.send(Topics.FEEDBACK, "p3-" + run, feedback("p3-" + run, model, "red", now.minusMillis(1)));
            // two answers before the prediction: the newer waits, and joins
            kafka.send(Topics.FEEDBACK, "p9-" + run, feedback("p9-" + run, model, "red", now));
            kafka.send(Topics.FEEDBACK, "p9-" + run, feedback("p9-" + run, model, "blue", now.plusMillis(1)));
            kafka.send(Topics.PREDICTIONS, "p9-" + run, prediction("p9-" + run, model, "blue", now));
            // more than the window (an hour) after its prediction
            Instant before = now.minus(Duration.ofMinutes(10));
            kafka.send(Topics.PREDICTIONS, "p4-" + run, prediction("p4-" + run, model, "blue", before));
            kafka.send(Topics.FEEDBACK, "p4-" + run, feedback("p4-" + run, model, "blue", before.plus(Duration.ofMinutes(61))));
            // its prediction never comes: swept once the window has passed
            kafka.send(Topics.FEEDBACK, "p5-" + run, feedback("p5-" + run, model, "red", now.minus(Duration.ofHours(2))));
            // unusable: not JSON; another model's feedback on this model's prediction; a label and a value
            kafka.send(Topics.FEEDBACK, "p6-" + run, "not json");
            kafka.send(Topics.PREDICTIONS, "p7-" + run, prediction("p7-" + run, model, "red", now));
            kafka.send(Topics.FEEDBACK, "p7-" + run, feedback("p7-" + run, other, "red", now));
            kafka.send(Topics.FEEDBACK, "p8-" + run, Json.write(new FeedbackRecord("p8-" + run, model, 1, "red", 2.0, now, "test")));

            await().atMost(TIMEOUT).untilAsserted(() -> {
                assertThat(joined(model, "late")).isEqualTo(1);
                assertThat(joined(model, "unmatched")).isEqualTo(1);
                assertThat(joined(model, "replaced")).isEqualTo(1);
                assertThat(joined(model, "superseded")).isEqualTo(2);
                assertThat(joined(model, "joined")).isEqualTo(4);
            });
            List<ConsumerRecord<String, String>> dead = kafka.readRecordsUntil(Topics.FEEDBACK_DLQ,
                    r -> r.key().equals("p8-" + run), TIMEOUT);
            Map<String, String> reasons = new java.util.HashMap<>();
            kafka.readAll(Topics.FEEDBACK_DLQ).stream().filter(r -> r.key().endsWith(run)).forEach(r -> reasons.put(r.key(),
                    new String(r.headers().lastHeader(FeedbackJoin.REASON_HEADER).value(), StandardCharsets.UTF_8)));
            assertThat(dead).isNotEmpty();
            assertThat(reasons).containsOnlyKeys("p6-" + run, "p7-" + run, "p8-" + run);
            assertThat(reasons.get("p6-" + run)).startsWith("unreadable feedback");
            assertThat(reasons.get("p7-" + run)).contains("was made by " + model + ", not " + other);
            assertThat(reasons.get("p8-" + run)).contains("exactly one of label");
            // counted under the model whose prediction they name (p7), else unknown (p6, p8): never a bad record's own name
            assertThat(joined(model, "invalid")).isEqualTo(1);
            assertThat(joined(other, "invalid")).isZero();
            assertThat(joined(JoinCounts.UNKNOWN_MODEL, "invalid") - unknownInvalid).isEqualTo(2);

            // the examples: one per answer, in the order given, the last per id counting
            List<LabelledExample> examples = kafka.readAll(Topics.EXAMPLES).stream().filter(r -> r.key().endsWith(run))
                    .map(r -> Json.read(r.value(), LabelledExample.class)).toList();
            assertThat(examples).extracting(LabelledExample::predictionId, LabelledExample::predicted, LabelledExample::label)
                    .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("p1-" + run, "red", "red"),
                            org.assertj.core.groups.Tuple.tuple("p2-" + run, "red", "blue"),
                            org.assertj.core.groups.Tuple.tuple("p3-" + run, "green", "blue"),
                            org.assertj.core.groups.Tuple.tuple("p3-" + run, "green", "green"),
                            org.assertj.core.groups.Tuple.tuple("p9-" + run, "blue", "blue"));
            assertThat(examples.stream().filter(e -> e.predictionId().equals("p3-" + run)).map(LabelledExample::label))
                    .containsExactly("blue", "green");
        }
        // by hand: p1 right, p2 wrong, p3 right at last, p9 right: 3 of 4
        await().atMost(TIMEOUT).untilAsserted(() -> given().get("/api/live/{model}", model).then().statusCode(200)
                .body("[0].examples", org.hamcrest.Matchers.is(4)));
        Map<String, Object> figures = given().get("/api/live/{model}", model).then().extract().jsonPath()
                .using(io.restassured.path.json.config.JsonPathConfig.jsonPathConfig()
                        .numberReturnType(io.restassured.path.json.config.JsonPathConfig.NumberReturnType.DOUBLE))
                .getMap("[0]");
        assertThat(((Number) figures.get("accuracy")).doubleValue()).isCloseTo(3.0 / 4, within(1e-9));
        assertThat(figures.get("confusion")).isEqualTo(Map.of("red", Map.of("red", 1), "blue", Map.of("red", 1, "blue", 1),
                "green", Map.of("green", 1)));
        String labels = "{model=\"" + model + "\",version=\"1\"}";
        assertThat(metric("graft_live_accuracy" + labels)).isCloseTo(3.0 / 4, within(1e-9));
        assertThat(metric("graft_live_examples" + labels)).isEqualTo(4);
        assertThat(metric("graft_live_confusion{model=\"" + model + "\",version=\"1\",label=\"blue\",predicted=\"red\"}"))
                .isEqualTo(1);
    }
}
