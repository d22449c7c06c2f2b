package dev.graft.inference.endpoint;

import dev.graft.contract.events.FeedbackRecord;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.TargetNormalization;
import dev.graft.inference.TestModels;
import dev.graft.inference.loop.PredictionIds;
import dev.graft.store.ModelStore;
import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.testing.KafkaTestClient;
import dev.graft.testing.MetricsText;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/** Feedback over real HTTP onto real Kafka: taken when it names a prediction and a truth that fits, refused with why otherwise. */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class FeedbackOverHttpTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String FEEDBACK = "/api/models/{model}/feedback";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    ModelStore store;
    @Inject
    PredictionIds ids;
    @TestHTTPResource("/")
    URL baseUrl;

    private String serving(String prefix, boolean regressor) {
        String model = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        PredictOverHttpTest.announce(bootstrap, regressor
                ? TestModels.publishRegressor(store, model, new TargetNormalization(100, 10), TestModels.network(1, 2))
                : TestModels.publishClassifier(store, model, 5));
        PredictOverHttpTest.awaitServing(model, 1);
        return model;
    }

    private static String predict(String model) {
        return given().contentType("image/png").body(TestModels.png(0x00ff00, 8)).post("/api/models/{model}/predict", model)
                .then().statusCode(200).extract().jsonPath().getString("predictionId");
    }

    private static double feedbackCount(String model, String outcome) {
        return MetricsText.value(given().get("/q/metrics").asString(),
                "graft_feedback_total{model=\"" + model + "\",outcome=\"" + outcome + "\"}");
    }

    /** The records of this prediction's feedback, once the one that {@code last} names (a label, a value or an id) is there. */
    private List<FeedbackRecord> recorded(KafkaTestClient kafka, String predictionId, String last) {
        kafka.readRecordsUntil(Topics.FEEDBACK, r -> r.value().contains(last) && (r.key().equals(predictionId)
                || r.key().equals(last)), TIMEOUT);
        return kafka.readAll(Topics.FEEDBACK).stream().filter(r -> predictionId.equals(r.key()))
                .map(ConsumerRecord::value).map(v -> Json.read(v, FeedbackRecord.class)).toList();
    }

    @Test
    void aClassifiersFeedbackIsRecordedUnderThePredictionsIdAndASecondAnswerFollowsTheFirst() {
        String model = serving("feedback", false);
        String id = predict(model);
        double accepted = feedbackCount(model, "accepted");

        given().contentType("application/json").body(Map.of("predictionId", id, "label", "green"))
                .post(FEEDBACK, model).then().statusCode(202)
                .body("predictionId", is(id)).body("model", is(model)).body("version", is(1)).body("label", is("green"));
        given().contentType("application/json").body(Map.of("predictionId", id, "label", "blue"))
                .post(FEEDBACK, model).then().statusCode(202).body("label", is("blue"));

        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            List<FeedbackRecord> records = recorded(kafka, id, "blue");
            assertThat(records).extracting(FeedbackRecord::label).containsExactly("green", "blue");
            assertThat(records).allSatisfy(r -> {
                assertThat(r.model()).isEqualTo(model);
                assertThat(r.version()).isEqualTo(1);
                assertThat(r.source()).isEqualTo("http");
                assertThat(r.value()).isNull();
            });
        }
        assertThat(feedbackCount(model, "accepted") - accepted).isEqualTo(2);
    }

    @Test
    void aRegressorTakesATrueValueAndNoLabel() {
        String model = serving("feedback-price", true);
        String id = predict(model);
        given().contentType("application/json").body(Map.of("predictionId", id, "label", "cheap"))
                .post(FEEDBACK, model).then().statusCode(400).body("error", containsString("regressor"));
        given().contentType("application/json").body(Map.of("predictionId", id))
                .post(FEEDBACK, model).then().statusCode(400).body("error", containsString("\"value\""));
        given().contentType("application/json").body(Map.of("predictionId", id, "value", 74.5))
                .post(FEEDBACK, model).then().statusCode(202).body("value", is(74.5f));
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            assertThat(recorded(kafka, id, id)).extracting(FeedbackRecord::value).containsExactly(74.5);
        }
    }

    @Test
    void feedbackThatNamesNoPredictionOrATruthThatDoesNotFitIsRefusedWithWhyAndCounted() throws Exception {
        String model = serving("feedback-refused", false);
        String other = serving("feedback-other", false);
        String id = predict(model);
        double bad = feedbackCount(model, "bad_request");
        double unknown = feedbackCount(model, "unknown_prediction");
        double expired = feedbackCount(model, "expired");
        double tooLarge = feedbackCount(model, "too_large");
        double notLogged = feedbackCount(model, "not_logged");
        double unknownModel = feedbackCount(PredictionCounting.UNKNOWN_MODEL, "bad_request");

        given().contentType("application/json").body(Map.of("predictionId", id, "label", "purple"))
                .post(FEEDBACK, model).then().statusCode(400).body("error", containsString("[red, green, blue]"));
        given().contentType("application/json").body(Map.of("predictionId", id, "value", 3.0))
                .post(FEEDBACK, model).then().statusCode(400).body("error", containsString("classifier"));
        given().contentType("application/json").body(Map.of("label", "red"))
                .post(FEEDBACK, model).then().statusCode(400).body("error", containsString("predictionId is required"));
        given().contentType("application/json").body("{\"predictionId\": ")
                .post(FEEDBACK, model).then().statusCode(400);
        given().contentType("application/json").body(Map.of("predictionId", id, "label", "red"))
                .post(FEEDBACK, "no-such-model").then().statusCode(400).body("error", containsString("no model 'no-such-model'"));

        String changed = id.substring(0, id.length() - 1) + (id.endsWith("A") ? "B" : "A");
        given().contentType("application/json").body(Map.of("predictionId", changed, "label", "red"))
                .post(FEEDBACK, model).then().statusCode(404).body("error", containsString("no prediction of " + model));
        given().contentType("application/json").body(Map.of("predictionId", id, "label", "red"))
                .post(FEEDBACK, other).then().statusCode(404);
        String old = ids.issue(model, 1, Instant.now().minus(Duration.ofDays(8)), true);
        given().contentType("application/json").body(Map.of("predictionId", old, "label", "red"))
                .post(FEEDBACK, model).then().statusCode(410).body("error", containsString("graft.feedback.window"));
        given().contentType("application/json").body(Map.of("predictionId", ids.issue(model, 1, Instant.now(), false),
                "label", "red")).post(FEEDBACK, model).then().statusCode(409).body("error", containsString("not logged"));
        String fresh = ids.issue(model, 1, Instant.now().minus(Duration.ofDays(6)), true);
        given().contentType("application/json").body(Map.of("predictionId", fresh, "label", "red"))
                .post(FEEDBACK, model).then().statusCode(202);
        given().contentType("application/json").body(Map.of("predictionId", id, "label", "r".repeat(17_000)))
                .post(FEEDBACK, model).then().statusCode(413).body("error", containsString("feedback"));

        // a body without a declared length would be read up to the HTTP layer's limit before it could be refused
        HttpURLConnection chunked = (HttpURLConnection) new URL(baseUrl, "/api/models/" + model + "/feedback").openConnection();
        chunked.setRequestMethod("POST");
        chunked.setDoOutput(true);
        chunked.setChunkedStreamingMode(0);
        chunked.setRequestProperty("Content-Type", "application/json");
        try (var out = chunked.getOutputStream()) {
            out.write(("{\"predictionId\": \"" + id + "\", \"label\": \"red\"}").getBytes(StandardCharsets.UTF_8));
        }
        assertThat(chunked.getResponseCode()).isEqualTo(411);
        assertThat(feedbackCount(model, "bad_request") - bad).isEqualTo(4);
        assertThat(feedbackCount(model, "unknown_prediction") - unknown).isEqualTo(1);
        assertThat(feedbackCount(model, "expired") - expired).isEqualTo(1);
        assertThat(feedbackCount(model, "too_large") - tooLarge).isEqualTo(1);
        assertThat(feedbackCount(model, "not_logged") - notLogged).isEqualTo(1);
        assertThat(feedbackCount(PredictionCounting.UNKNOWN_MODEL, "bad_request") - unknownModel).isEqualTo(1);
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            assertThat(recorded(kafka, id, fresh)).as("nothing refused reached the topic").isEmpty();
        }
    }
}
