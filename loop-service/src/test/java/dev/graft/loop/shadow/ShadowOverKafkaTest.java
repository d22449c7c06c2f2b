package dev.graft.loop.shadow;

import dev.graft.contract.events.FeedbackRecord;
import dev.graft.contract.events.LabelledExample;
import dev.graft.contract.events.PredictionRecord;
import dev.graft.contract.events.ShadowComparison;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.Task;
import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.testing.KafkaTestClient;
import dev.graft.testing.MetricsText;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Versions in shadow compared with the serving one on a real broker, records produced as the inference
 * service produces them (a shadow answer keyed by the id the caller got): a shadow answer before its
 * example's feedback and after it, feedback replaced by a later answer, a shadow answer never labelled, a
 * live answer without a shadow, and a regressor. The comparison on Kafka, over HTTP and in /q/metrics
 * equals what this test's own answers make it; shadow answers are never examples or live figures.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class ShadowOverKafkaTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private static String classified(String id, String model, int version, String label, Instant time, String shadowOf) {
        return Json.write(new PredictionRecord(id, model, version, Task.CLASSIFICATION, label,
                List.of(new PredictionRecord.Scored(label, 0.9)), null, 3.0, "sha-" + id, null, time, null, shadowOf));
    }

    private static String valued(String id, String model, int version, double value, Instant time, String shadowOf) {
        return Json.write(new PredictionRecord(id, model, version, Task.REGRESSION, null, null, value, 3.0, "sha-" + id, null,
                time, null, shadowOf));
    }

    /** The serving version's answer under its id, and version 2's in shadow keyed by the same id. */
    private static void answered(KafkaTestClient kafka, String id, String model, String serving, String shadow, Instant time) {
        kafka.send(Topics.PREDICTIONS, id, classified(id, model, 1, serving, time, null));
        if (shadow != null) {
            kafka.send(Topics.PREDICTIONS, id, classified(id + "-shadow", model, 2, shadow, time, id));
        }
    }

    private static void label(KafkaTestClient kafka, String id, String model, String label, Instant time) {
        kafka.send(Topics.FEEDBACK, id, Json.write(new FeedbackRecord(id, model, 1, label, null, time, "test")));
    }

    private static ShadowComparison.Pair latestPair(KafkaTestClient kafka, String model, long examples) {
        List<ShadowComparison> published = kafka.readRecordsUntil(Topics.SHADOW_COMPARISONS, r -> r.key().equals(model)
                        && Json.read(r.value(), ShadowComparison.class).pairs().stream().anyMatch(p -> p.examples() == examples),
                TIMEOUT).stream().filter(r -> r.key().equals(model)).map(r -> Json.read(r.value(), ShadowComparison.class)).toList();
        ShadowComparison last = published.get(published.size() - 1);
        assertThat(last.pairs()).hasSize(1);
        return last.pairs().get(0);
    }

    @Test
    void comparesEachVersionInShadowWithTheServingOneOnTheFeedbackBothAnswered() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String model = "shadow-" + run;
        String regressor = "shadow-reg-" + run;
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            answered(kafka, "p1-" + run, model, "red", "red", now);             // both right
            label(kafka, "p1-" + run, model, "red", now);
            answered(kafka, "p2-" + run, model, "red", null, now);              // its shadow answer comes after the feedback
            label(kafka, "p2-" + run, model, "blue", now);
            answered(kafka, "p3-" + run, model, "blue", "red", now);            // relabelled: serving right, shadow wrong
            label(kafka, "p3-" + run, model, "red", now);
            label(kafka, "p3-" + run, model, "blue", now.plusMillis(1));
            answered(kafka, "p4-" + run, model, "green", "green", now);         // never labelled
            answered(kafka, "p6-" + run, model, "red", null, now);              // no shadow answer at all
            label(kafka, "p6-" + run, model, "red", now);
            answered(kafka, "p7-" + run, model, "red", "blue", now);            // shadow right, serving wrong
            label(kafka, "p7-" + run, model, "blue", now);
            kafka.send(Topics.PREDICTIONS, "p2-" + run, classified("p2-" + run + "-shadow", model, 2, "blue", now, "p2-" + run));

            kafka.send(Topics.PREDICTIONS, "q1-" + run, valued("q1-" + run, regressor, 1, 10.0, now, null));
            kafka.send(Topics.PREDICTIONS, "q1-" + run, valued("q1-" + run + "-shadow", regressor, 2, 12.0, now, "q1-" + run));
            kafka.send(Topics.FEEDBACK, "q1-" + run, Json.write(new FeedbackRecord("q1-" + run, regressor, 1, null, 11.5, now, "t")));
            kafka.send(Topics.PREDICTIONS, "q2-" + run, valued("q2-" + run, regressor, 1, 5.0, now, null));
            kafka.send(Topics.FEEDBACK, "q2-" + run, Json.write(new FeedbackRecord("q2-" + run, regressor, 1, null, 6.0, now, "t")));
            kafka.send(Topics.PREDICTIONS, "q2-" + run, valued("q2-" + run + "-shadow", regressor, 2, 9.0, now, "q2-" + run));

            // by hand: p1, p2, p3, p7 both answered and labelled; version 2 right on p1, p2, p7, version 1 on p1, p3
            ShadowComparison.Pair pair = latestPair(kafka, model, 4);
            assertThat(pair).isEqualTo(new ShadowComparison.Pair(2, 1, Task.CLASSIFICATION, 4, 3, 2, 0, 0));
            assertThat(pair.atLeastAsGood()).isTrue();
            // errors: version 1 1.5 + 1.0, version 2 0.5 + 3.0
            ShadowComparison.Pair regression = latestPair(kafka, regressor, 2);
            assertThat(regression.candidateAbsoluteErrors()).isCloseTo(3.5, within(1e-9));
            assertThat(regression.servingAbsoluteErrors()).isCloseTo(2.5, within(1e-9));
            assertThat(regression.atLeastAsGood()).isFalse();

            // shadow answers are never examples: every example of the model is version 1's
            List<LabelledExample> examples = kafka.readAll(Topics.EXAMPLES).stream().filter(r -> r.key().endsWith(run))
                    .map(r -> Json.read(r.value(), LabelledExample.class)).toList();
            assertThat(examples).extracting(LabelledExample::version).containsOnly(1);
            assertThat(examples).hasSize(8);   // p1, p2, p3 twice, p6, p7, q1, q2
        }
        given().get("/api/shadow/{model}", model).then().statusCode(200)
                .body("pairs[0].candidate", org.hamcrest.Matchers.is(2))
                .body("pairs[0].examples", org.hamcrest.Matchers.is(4));
        given().get("/api/shadow/{model}", "nothing-" + run).then().statusCode(404);
        org.awaitility.Awaitility.await().atMost(TIMEOUT).untilAsserted(() -> given().get("/api/live/{model}", model).then()
                .statusCode(200).body("version", org.hamcrest.Matchers.contains(1)).body("[0].examples", org.hamcrest.Matchers.is(5)));
        String metrics = given().get("/q/metrics").asString();
        String tags = "model=\"" + model + "\",candidate=\"2\",serving=\"1\"";
        assertThat(MetricsText.value(metrics, "graft_shadow_examples{" + tags + "}")).isEqualTo(4);
        assertThat(MetricsText.value(metrics, "graft_shadow_accuracy{" + tags + ",of=\"candidate\"}")).isCloseTo(0.75, within(1e-9));
        assertThat(MetricsText.value(metrics, "graft_shadow_accuracy{" + tags + ",of=\"serving\"}")).isCloseTo(0.5, within(1e-9));
    }
}
