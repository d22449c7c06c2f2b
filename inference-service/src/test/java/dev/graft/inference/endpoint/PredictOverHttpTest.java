package dev.graft.inference.endpoint;

import dev.graft.inference.TestModels;
import dev.graft.kafka.KafkaBrokerTestResource;
import dev.graft.kafka.KafkaTestClient;
import dev.graft.shared.events.ModelVersionEvent;
import dev.graft.shared.events.Topics;
import dev.graft.shared.image.ImagePreprocessor;
import dev.graft.shared.json.Json;
import dev.graft.shared.manifest.ModelManifest;
import dev.graft.shared.manifest.TargetNormalization;
import dev.graft.shared.store.ModelStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

/** The inference service as users see it: versions announced on real Kafka, predictions over real HTTP. */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class PredictOverHttpTest {
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    ModelStore store;
    @TestHTTPResource("/")
    URL baseUrl;

    private void announce(KafkaTestClient kafka, ModelManifest manifest) {
        kafka.send(Topics.MODEL_VERSIONS, manifest.model(), Json.write(ModelVersionEvent.of(manifest)));
    }

    private static void awaitServing(String model, int version) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/api/models").then()
                .body("find { it.model == '" + model + "' }.version", is(version)));
    }

    @Test
    void loadsAnnouncedVersionsWhileRunningAndPredictsBothTasks() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String colours = "colours-" + run;
        String prices = "prices-" + run;
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            ModelManifest classifier = TestModels.publishClassifier(store, colours, 1);
            announce(kafka, classifier);
            ComputationGraph regressorNet = TestModels.network(1, 2);
            TargetNormalization normalization = new TargetNormalization(150, 60);
            ModelManifest regressor = TestModels.publishRegressor(store, prices, normalization, regressorNet);
            announce(kafka, regressor);
            awaitServing(colours, 1);
            awaitServing(prices, 1);
        }

        Map<String, Float> probabilities = given().contentType("image/png").body(TestModels.png(0xff0000, 20))
                .post("/api/models/{model}/predict", colours)
                .then().statusCode(200)
                .header(PredictResource.VERSION_HEADER, "1")
                .body("model", is(colours)).body("version", is(1)).body("task", is("classification"))
                .body("label", notNullValue())
                .extract().jsonPath().getMap("probabilities", String.class, Float.class);
        assertThat(probabilities).containsOnlyKeys("red", "green", "blue");
        assertThat(probabilities.values().stream().mapToDouble(Float::doubleValue).sum()).isCloseTo(1.0, within(1e-4));

        // the value must be the network's normalized output mapped back to real units
        byte[] image = TestModels.png(0x336699, 12);
        ComputationGraph sameNet = TestModels.network(1, 2);
        double raw = sameNet.output(ImagePreprocessor.toBatch(ImagePreprocessor.decode(image), TestModels.SHAPE))[0]
                .getDouble(0, 0);
        double value = given().contentType("image/jpeg").body(image)
                .post("/api/models/{model}/predict", prices)
                .then().statusCode(200)
                .body("task", is("regression"))
                .extract().jsonPath().getDouble("value");
        assertThat(value).isCloseTo(raw * 60 + 150, within(1e-3));

        given().get("/api/models").then().statusCode(200)
                .body("model", hasItem(colours))
                .body("find { it.model == '" + colours + "' }.labels", is(java.util.List.of("red", "green", "blue")))
                .body("find { it.model == '" + prices + "' }.targetNormalization.mean", is(150.0f));
    }

    @Test
    void unknownModelsAndNonImagesGetAClear4xx() throws Exception {
        String model = "errors-" + UUID.randomUUID().toString().substring(0, 8);
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            announce(kafka, TestModels.publishClassifier(store, model, 3));
        }
        awaitServing(model, 1);

        given().contentType("image/png").body(TestModels.png(0, 8)).post("/api/models/no-such-model/predict")
                .then().statusCode(404).body("error", containsString("no model 'no-such-model' is serving"));
        given().contentType("image/png").body("definitely not a picture".getBytes())
                .post("/api/models/{model}/predict", model)
                .then().statusCode(400).body("error", containsString("not a PNG or JPEG image"));
        given().contentType("image/png").body(new byte[0]).post("/api/models/{model}/predict", model)
                .then().statusCode(400).body("error", containsString("empty"));
        // the 20 MB limit is checked against Content-Length before the body is sent
        assertThat(postZeros(model, 19)).isEqualTo(400);
        assertThat(postZeros(model, 21)).isEqualTo(413);

        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("graft_predictions_total{model=\"" + model + "\",outcome=\"bad_request\",version=\"1\"}"))
                .body(containsString("graft_predictions_total{model=\"no-such-model\",outcome=\"unknown_model\",version=\"none\"}"))
                .body(containsString("graft_prediction_latency_seconds_bucket"))
                .body(containsString("graft_model_version{model=\"" + model + "\"} 1.0"));
    }

    private int postZeros(String model, int megabytes) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(
                                baseUrl.toURI().resolve("/api/models/" + model + "/predict"))
                        .header("Content-Type", "image/png").expectContinue(true)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[megabytes * 1024 * 1024])).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void aCorruptVersionNeverReplacesTheServingOneAndTheNextGoodOneDoes() throws Exception {
        String model = "swap-" + UUID.randomUUID().toString().substring(0, 8);
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            announce(kafka, TestModels.publishClassifier(store, model, 4));
            awaitServing(model, 1);

            ModelManifest corrupt = TestModels.publishClassifier(store, model, 5);
            Files.write(store.artifact(corrupt), "not a network".getBytes());
            announce(kafka, corrupt);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/q/metrics").then()
                    .body(containsString("graft_model_loads_total{model=\"" + model + "\",outcome=\"failed\"} 1.0")));
            given().contentType("image/png").body(TestModels.png(0x00ff00, 8)).post("/api/models/{model}/predict", model)
                    .then().statusCode(200).body("version", is(1));

            announce(kafka, TestModels.publishClassifier(store, model, 6));
            awaitServing(model, 3);
            given().contentType("image/png").body(TestModels.png(0x00ff00, 8)).post("/api/models/{model}/predict", model)
                    .then().statusCode(200).body("version", is(3)).header(PredictResource.VERSION_HEADER, "3");
        }
    }
}
