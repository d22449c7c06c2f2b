package dev.graft.inference.endpoint;

import dev.graft.contract.events.PredictionRecord;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Task;
import dev.graft.inference.TestModels;
import dev.graft.store.ModelStore;
import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.testing.KafkaTestClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every answered prediction, whichever endpoint answered it, has exactly one record in the prediction
 * log, under the id its caller got, saying what the caller got and which image it was.
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class PredictionLogOverKafkaTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    ModelStore store;

    @Test
    void everyAnsweredPredictionHasExactlyOneRecordUnderTheIdItsCallerGot() {
        String model = "logged-" + UUID.randomUUID().toString().substring(0, 8);
        PredictOverHttpTest.announce(bootstrap, TestModels.publishClassifier(store, model, 3));
        PredictOverHttpTest.awaitServing(model, 1);
        byte[] red = TestModels.png(0xff0000, 8);
        byte[] green = TestModels.png(0x00ff00, 9);
        byte[] blue = TestModels.png(0x0000ff, 10);
        // what each caller got, by prediction id: the label and the image it was for
        Map<String, String> labels = new HashMap<>();
        Map<String, byte[]> images = new HashMap<>();

        ExtractableResponse<Response> raw = given().contentType("image/png").body(red)
                .post("/api/models/{model}/predict", model).then().statusCode(200).extract();
        String rawId = raw.jsonPath().getString("predictionId");
        assertThat(raw.header(PredictResource.PREDICTION_ID_HEADER)).isEqualTo(rawId);
        labels.put(rawId, raw.jsonPath().getString("label"));
        images.put(rawId, red);

        ExtractableResponse<Response> batch = given().multiPart("image", "a.png", green, "image/png")
                .multiPart("image", "b.png", blue, "image/png").multiPart("image", "c.png", red, "image/png")
                .post("/api/models/{model}/predict", model).then().statusCode(200).extract();
        List<String> batchIds = batch.jsonPath().getList("predictions.predictionId", String.class);
        assertThat(batch.header(PredictResource.PREDICTION_ID_HEADER)).isEqualTo(String.join(",", batchIds));
        List<byte[]> sent = List.of(green, blue, red);
        for (int i = 0; i < 3; i++) {
            labels.put(batchIds.get(i), batch.jsonPath().getString("predictions[" + i + "].label"));
            images.put(batchIds.get(i), sent.get(i));
        }

        JsonPath v2 = given().contentType("application/json").body(Map.of("inputs", List.of(Map.of("name", "image",
                        "shape", List.of(2), "datatype", "BYTES", "data", List.of(Base64.getEncoder().encodeToString(blue),
                                Base64.getEncoder().encodeToString(green))))))
                .post("/v2/models/{model}/infer", model).then().statusCode(200).extract().jsonPath();
        List<String> v2Ids = v2.getList("parameters." + OpenInferenceResource.PREDICTION_IDS, String.class);
        assertThat(v2Ids).hasSize(2);
        for (int i = 0; i < 2; i++) {
            labels.put(v2Ids.get(i), v2.getString("outputs[1].data[" + i + "]"));
            images.put(v2Ids.get(i), i == 0 ? blue : green);
        }
        assertThat(labels).hasSize(6);

        // a model whose share is 0 (graft.predictions.log.model-share."unlogged" in the test profile) has ids, no records
        ModelManifest unlogged = TestModels.publishClassifier(store, "unlogged", 4);
        PredictOverHttpTest.announce(bootstrap, unlogged);
        PredictOverHttpTest.awaitServing("unlogged", unlogged.version());
        String unloggedId = given().contentType("image/png").body(red).post("/api/models/{model}/predict", "unlogged")
                .then().statusCode(200).extract().jsonPath().getString("predictionId");
        given().contentType("application/json").body(Map.of("predictionId", unloggedId, "label", "red"))
                .post("/api/models/{model}/feedback", "unlogged").then().statusCode(409);

        // one more: the log sends in order on one partition, so once its record is there, every earlier one is
        String last = given().contentType("image/png").body(green).post("/api/models/{model}/predict", model)
                .then().statusCode(200).extract().jsonPath().getString("predictionId");
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            kafka.readRecordsUntil(Topics.PREDICTIONS, r -> last.equals(r.key()), TIMEOUT);
            List<PredictionRecord> logged = new ArrayList<>();
            List<ConsumerRecord<String, String>> all = kafka.readAll(Topics.PREDICTIONS);
            assertThat(all).extracting(ConsumerRecord::key).doesNotContain(unloggedId);
            for (ConsumerRecord<String, String> record : all) {
                PredictionRecord prediction = Json.read(record.value(), PredictionRecord.class);
                if (model.equals(prediction.model())) {
                    assertThat(record.key()).isEqualTo(prediction.predictionId());
                    logged.add(prediction);
                }
            }
            assertThat(logged).extracting(PredictionRecord::predictionId)
                    .containsExactlyInAnyOrderElementsOf(concat(labels.keySet(), last));
            for (PredictionRecord prediction : logged) {
                if (prediction.predictionId().equals(last)) {
                    continue;
                }
                assertThat(prediction.version()).isEqualTo(1);
                assertThat(prediction.task()).isEqualTo(Task.CLASSIFICATION);
                assertThat(prediction.label()).isEqualTo(labels.get(prediction.predictionId()));
                assertThat(prediction.top().get(0).label()).isEqualTo(prediction.label());
                assertThat(prediction.imageSha256()).isEqualTo(DigestUtils.sha256Hex(images.get(prediction.predictionId())));
                assertThat(prediction.latencyMs()).isPositive();
                assertThat(prediction.time()).isNotNull();
                // the test profile captures images (graft.capture.images) into target/test-captured
                assertThat(prediction.capturedImage()).isEqualTo("target/test-captured/" + model + "/"
                        + prediction.imageSha256() + ".png");
            }
        }
        // each image once, as sent, whatever the number of its predictions (green was sent three times)
        Path captured = Path.of("target/test-captured", model);
        List<String> names = List.of(red, green, blue).stream().map(image -> DigestUtils.sha256Hex(image) + ".png").toList();
        // a file being written is a temporary one beside it: only finished images count
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(captured.toFile().list((d, name) -> name.endsWith(".png")))
                .containsExactlyInAnyOrderElementsOf(names));
        for (byte[] image : List.of(red, green, blue)) {
            assertThat(captured.resolve(DigestUtils.sha256Hex(image) + ".png")).hasBinaryContent(image);
        }
    }

    private static List<String> concat(java.util.Set<String> ids, String last) {
        List<String> all = new ArrayList<>(ids);
        all.add(last);
        return all;
    }
}
