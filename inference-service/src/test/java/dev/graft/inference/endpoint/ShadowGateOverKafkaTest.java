package dev.graft.inference.endpoint;

import dev.graft.contract.events.PredictionRecord;
import dev.graft.contract.events.ShadowComparison;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.Task;
import dev.graft.inference.TestModels;
import dev.graft.store.ModelStore;
import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.testing.KafkaTestClient;
import dev.graft.testing.MetricsText;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

/**
 * The live gate on a real broker and real HTTP: a new version of a model with shadow on answers in
 * shadow beside the serving one; every caller gets the serving version's answer, and the shadow's answers
 * are on the prediction log under the callers' ids only. The loop's comparisons (published here as the
 * loop publishes them) hold back a worse candidate, which leaves shadow, and promote a better one.
 */
@QuarkusTest
@TestProfile(ShadowGateOverKafkaTest.ShadowOn.class)
@QuarkusTestResource(KafkaBrokerTestResource.class)
class ShadowGateOverKafkaTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /**
     * New per run, the same in the test's and the profile's class loader (a random one would differ): the JVM's
     * start time.
     */
    static final String MODEL = "shadowed-" + Long.toString(java.lang.management.ManagementFactory.getRuntimeMXBean()
            .getStartTime(), 36);

    public static class ShadowOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("graft.serving.models.\"" + MODEL + "\".shadow-share", "1",
                    "graft.serving.models.\"" + MODEL + "\".shadow-min-examples", "3");
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    ModelStore store;

    private void compared(KafkaTestClient kafka, ShadowComparison.Pair... pairs) {
        kafka.send(Topics.SHADOW_COMPARISONS, MODEL, Json.write(new ShadowComparison(MODEL, Instant.now(), List.of(pairs))));
    }

    private static double shadowAnswered() {
        return MetricsText.value(given().get("/q/metrics").asString(),
                "graft_shadow_predictions_total{model=\"" + MODEL + "\",outcome=\"answered\"}");
    }

    private static void awaitStatus(String path, org.hamcrest.Matcher<?> matcher) {
        await().atMost(TIMEOUT).untilAsserted(() -> given().get("/api/models/{model}", MODEL).then().statusCode(200)
                .body(path, matcher));
    }

    @Test
    void aNewVersionAnswersInShadowNeverToACallerAndServesOnlyIfNotWorseOnLiveLabels() {
        PredictOverHttpTest.announce(bootstrap, TestModels.publishClassifier(store, MODEL, 3));
        PredictOverHttpTest.awaitServing(MODEL, 1);
        PredictOverHttpTest.announce(bootstrap, TestModels.publishClassifier(store, MODEL, 4));
        awaitStatus("shadowVersion", is(2));
        given().get("/api/models/{model}", MODEL).then().body("version", is(1)).body("versions[1].state", is("shadow"));
        double answeredBefore = shadowAnswered();

        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ExtractableResponse<Response> answer = given().contentType("image/png").body(TestModels.png(0x203040 * (i + 1), 8 + i))
                    .post("/api/models/{model}/predict", MODEL).then().statusCode(200).extract();
            assertThat(answer.jsonPath().getInt("version")).as("the caller gets the serving version's answer").isEqualTo(1);
            assertThat(answer.header(PredictResource.VERSION_HEADER)).isEqualTo("1");
            ids.add(answer.jsonPath().getString("predictionId"));
        }
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            await().atMost(TIMEOUT).until(() -> shadowAnswered() - answeredBefore == 4);
            List<PredictionRecord> shadows = new ArrayList<>();
            List<PredictionRecord> served = new ArrayList<>();
            kafka.readRecordsUntil(Topics.PREDICTIONS, r -> r.key().equals(ids.get(3)) && r.value().contains("shadowOf"), TIMEOUT);
            for (var record : kafka.readAll(Topics.PREDICTIONS)) {
                PredictionRecord prediction = Json.read(record.value(), PredictionRecord.class);
                if (MODEL.equals(prediction.model())) {
                    assertThat(record.key()).isEqualTo(prediction.key());
                    (prediction.shadow() ? shadows : served).add(prediction);
                }
            }
            assertThat(served).extracting(PredictionRecord::version).containsOnly(1);
            assertThat(served).extracting(PredictionRecord::predictionId).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(shadows).extracting(PredictionRecord::version).containsOnly(2);
            assertThat(shadows).extracting(PredictionRecord::shadowOf).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(shadows).extracting(PredictionRecord::predictionId).doesNotContainAnyElementsOf(ids);

            // the loop: 2 of 3 for the serving version, 1 of 3 for version 2: held back, out of shadow
            compared(kafka, new ShadowComparison.Pair(2, 1, Task.CLASSIFICATION, 3, 1, 2, 0, 0));
            awaitStatus("versions[1].state", is("ready"));
            given().get("/api/models/{model}", MODEL).then().body("version", is(1)).body("shadowVersion", nullValue())
                    .body("heldBack[0].reason", containsString("worse in shadow: on 3 live examples both answered"))
                    .body("versions[1].live.examples", is(3));

            // version 3 goes into shadow, and serves once the loop finds it as good on 3 examples
            PredictOverHttpTest.announce(bootstrap, TestModels.publishClassifier(store, MODEL, 5));
            awaitStatus("shadowVersion", is(3));
            compared(kafka, new ShadowComparison.Pair(2, 1, Task.CLASSIFICATION, 3, 1, 2, 0, 0),
                    new ShadowComparison.Pair(3, 1, Task.CLASSIFICATION, 2, 2, 1, 0, 0));
            compared(kafka, new ShadowComparison.Pair(2, 1, Task.CLASSIFICATION, 3, 1, 2, 0, 0),
                    new ShadowComparison.Pair(3, 1, Task.CLASSIFICATION, 3, 2, 2, 0, 0));
            PredictOverHttpTest.awaitServing(MODEL, 3);
        }
    }
}
