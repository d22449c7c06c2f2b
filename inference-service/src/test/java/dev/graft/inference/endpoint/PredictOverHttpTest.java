package dev.graft.inference.endpoint;

import dev.graft.contract.manifest.Preprocessing;
import java.nio.file.Path;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.inference.TestModels;
import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.testing.KafkaTestClient;
import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.events.Topics;
import dev.graft.imaging.ImageLimits;
import dev.graft.imaging.ImagePreprocessor;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.TargetNormalization;
import dev.graft.store.ModelStore;
import dev.graft.testing.MetricsText;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.net.URL;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

/** The predict API as users see it: versions announced on real Kafka, predictions over real HTTP. */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class PredictOverHttpTest {
    private static final int[] COLOURS = {0xff0000, 0x00ff00, 0x0000ff, 0x808080, 0xffff00};

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    ModelStore store;
    @TestHTTPResource("/")
    URL baseUrl;

    static void announce(String bootstrap, ModelManifest manifest) {
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            kafka.send(Topics.MODEL_VERSIONS, manifest.model(), Json.write(ModelVersionEvent.of(manifest)));
        }
    }

    static void awaitServing(String model, int version) {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/api/models").then()
                .body("find { it.model == '" + model + "' }.version", is(version)));
    }

    private String servingClassifier(String prefix, long seed) {
        String model = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        announce(bootstrap, TestModels.publishClassifier(store, model, seed));
        awaitServing(model, 1);
        return model;
    }

    @Test
    void loadsAnnouncedVersionsWhileRunningAndPredictsBothTasks() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String colours = "colours-" + run;
        String prices = "prices-" + run;
        announce(bootstrap, TestModels.publishClassifier(store, colours, 1));
        ComputationGraph regressorNet = TestModels.network(1, 2);
        TargetNormalization normalization = new TargetNormalization(150, 60);
        announce(bootstrap, TestModels.publishRegressor(store, prices, normalization, regressorNet));
        awaitServing(colours, 1);
        awaitServing(prices, 1);

        JsonPath answer = given().contentType("image/png").body(TestModels.png(0xff0000, 20))
                .queryParam("topK", 2)
                .post("/api/models/{model}/predict", colours)
                .then().statusCode(200)
                .header(PredictResource.VERSION_HEADER, "1")
                .body("model", is(colours)).body("version", is(1)).body("task", is("classification"))
                .body("label", notNullValue())
                .body("top", hasSize(2))
                .extract().jsonPath();
        Map<String, Float> probabilities = answer.getMap("probabilities", String.class, Float.class);
        assertThat(probabilities).containsOnlyKeys("red", "green", "blue");
        assertThat(probabilities.values().stream().mapToDouble(Float::doubleValue).sum()).isCloseTo(1.0, within(1e-4));
        assertThat(answer.getString("top[0].label")).isEqualTo(answer.getString("label"));
        assertThat(answer.getFloat("top[0].probability")).isEqualTo(Collections.max(probabilities.values()));

        // the value must be the network's normalized output mapped back to real units
        byte[] image = TestModels.png(0x336699, 12);
        double raw = regressorNet.output(ImagePreprocessor.toBatch(ImagePreprocessor.decode(image), TestModels.SHAPE, Preprocessing.UNIT))[0]
                .getDouble(0, 0);
        double value = given().contentType("image/jpeg").body(image)
                .post("/api/models/{model}/predict", prices)
                .then().statusCode(200)
                .body("task", is("regression"))
                .extract().jsonPath().getDouble("value");
        assertThat(value).isCloseTo(raw * 60 + 150, within(1e-3));

        given().get("/api/models").then().statusCode(200)
                .body("model", hasItem(colours))
                .body("find { it.model == '" + colours + "' }.labels", is(List.of("red", "green", "blue")))
                .body("find { it.model == '" + colours + "' }.promotion", is("latest"))
                .body("find { it.model == '" + prices + "' }.targetNormalization.mean", is(150.0f));
        given().get("/api/models/{model}", prices).then().statusCode(200).body("loadedVersions", is(List.of(1)));
    }

    /**
     * A model trained on Caffe's inputs gets them: blue first, 0..255 less the ImageNet means. The model
     * answers the mean of its first input channel; a manifest without the id (stored before ids) gets 0..1 RGB.
     */
    @Test
    void eachModelIsFedItsOwnPreprocessingAndOldManifestsKeepTheirs() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        TargetNormalization identity = new TargetNormalization(0, 1);
        ModelManifest caffe = TestModels.publishRegressor(store, "caffe-" + run, identity, TestModels.firstChannelMean(),
                Preprocessing.CAFFE);
        ModelManifest old = TestModels.publishRegressor(store, "old-" + run, identity, TestModels.firstChannelMean(),
                Preprocessing.UNIT);
        Path manifest = store.folder().orElseThrow().resolve(old.model()).resolve("1").resolve("manifest.json");
        ObjectNode json = (ObjectNode) Json.MAPPER.readTree(manifest.toFile());
        assertThat(json.remove("preprocessing").asText()).isEqualTo("unit");
        Json.MAPPER.writeValue(manifest.toFile(), json);
        announce(bootstrap, caffe);
        announce(bootstrap, old);
        awaitServing(caffe.model(), 1);
        awaitServing(old.model(), 1);

        byte[] orange = TestModels.png(0xc86432, 12);   // R 200, G 100, B 50
        assertThat(given().contentType("image/png").body(orange).post("/api/models/{model}/predict", caffe.model())
                .then().statusCode(200).extract().jsonPath().getDouble("value")).isCloseTo(50 - 103.939, within(1e-3));
        assertThat(given().contentType("image/png").body(orange).post("/api/models/{model}/predict", old.model())
                .then().statusCode(200).extract().jsonPath().getDouble("value")).isCloseTo(200 / 255.0, within(1e-4));
    }

    private static List<Float> probabilities(JsonPath prediction, String path) {
        Map<String, Float> map = prediction.getMap(path, String.class, Float.class);
        return List.of(map.get("red"), map.get("green"), map.get("blue"));
    }

    @Test
    void batchesFromMultipartAndJsonKeepOrderAndEqualOneByOnePredictions() {
        String model = servingClassifier("batch", 7);
        List<byte[]> images = new ArrayList<>();
        List<List<Float>> single = new ArrayList<>();
        for (int colour : COLOURS) {
            byte[] image = TestModels.png(colour, 10);
            images.add(image);
            single.add(probabilities(given().contentType("image/png").body(image)
                    .post("/api/models/{model}/predict", model).then().statusCode(200).extract().jsonPath(), "probabilities"));
        }

        RequestSpecification multipart = given();
        for (int i = 0; i < images.size(); i++) {
            multipart = multipart.multiPart("image", "image-" + i + ".png", images.get(i), "image/png");
        }
        JsonPath fromForm = multipart.post("/api/models/{model}/predict", model).then().statusCode(200)
                .header(PredictResource.VERSION_HEADER, "1")
                .body("predictions", hasSize(COLOURS.length)).extract().jsonPath();

        List<String> base64 = images.stream().map(Base64.getEncoder()::encodeToString).toList();
        JsonPath fromJson = given().contentType("application/json").body(Map.of("images", base64, "topK", 1))
                .post("/api/models/{model}/predict", model).then().statusCode(200)
                .body("version", is(1)).body("predictions[0].top", hasSize(1)).extract().jsonPath();
        for (int i = 0; i < COLOURS.length; i++) {
            List<Float> expected = single.get(i);
            for (JsonPath batch : List.of(fromForm, fromJson)) {
                List<Float> got = probabilities(batch, "predictions[" + i + "].probabilities");
                for (int k = 0; k < 3; k++) {
                    assertThat(got.get(k)).as("image %d, label %d", i, k).isCloseTo(expected.get(k), within(1e-5f));
                }
            }
        }
        given().contentType("application/json").body(Map.of("image", base64.get(2)))
                .post("/api/models/{model}/predict", model).then().statusCode(200)
                .body("probabilities.blue", is(single.get(2).get(2)));
    }

    /**
     * Sends one request and checks that it was counted once: under {@code outcome} and {@code version},
     * and in no other series of the model.
     */
    private static void countedOnce(String model, String outcome, String version, Runnable request) {
        String series = "graft_predictions_total{model=\"" + model + "\",outcome=\"" + outcome + "\",version=\"" + version + "\"}";
        String all = "graft_predictions_total{model=\"" + model + "\",";
        String before = given().get("/q/metrics").asString();
        request.run();
        String after = given().get("/q/metrics").asString();
        assertThat(MetricsText.value(after, series) - MetricsText.value(before, series)).as(series).isEqualTo(1);
        assertThat(MetricsText.sum(after, all) - MetricsText.sum(before, all)).as("all outcomes of " + model).isEqualTo(1);
    }

    @Test
    void everyLimitAndMistakeAnswersItsOwn4xxWithAJsonMessageAndIsCounted() throws Exception {
        String model = servingClassifier("limits", 3);
        String url = "/api/models/{model}/predict";
        String unknown = "no-such-model-" + UUID.randomUUID().toString().substring(0, 8);
        countedOnce(PredictionCounting.UNKNOWN_MODEL, "unknown_model", "none", () -> given().contentType("image/png").body(TestModels.png(0, 8))
                .post("/api/models/" + unknown + "/predict")
                .then().statusCode(404).body("error", containsString("no model '" + unknown + "' is serving")));
        countedOnce(model, "unknown_model", "none", () -> given().contentType("image/png")
                .header(PredictResource.VERSION_HEADER, "9").body(TestModels.png(0, 8))
                .post(url, model).then().statusCode(404).body("error", containsString("has no version 9")));
        countedOnce(model, "bad_request", "none", () -> given().contentType("image/png")
                .header(PredictResource.VERSION_HEADER, "latest").body(TestModels.png(0, 8))
                .post(url, model).then().statusCode(400).body("error", containsString("must be a version number")));
        countedOnce(model, "bad_request", "1", () -> given().contentType("image/png").body("definitely not a picture".getBytes())
                .post(url, model).then().statusCode(400).body("error", containsString("not an image"))
                .header(PredictResource.VERSION_HEADER, "1"));
        countedOnce(model, "bad_request", "1", () -> given().contentType("image/png").body(new byte[0]).post(url, model)
                .then().statusCode(400).body("error", containsString("empty")));
        // a 33-byte file claiming 20000 x 20000 pixels is refused from its header, never decoded
        countedOnce(model, "too_large", "1", () -> given().contentType("image/png")
                .body(TestModels.pngHeaderOnly(20000, 20000)).post(url, model)
                .then().statusCode(413).body("error", containsString("20000x20000 pixels is too large")));
        countedOnce(model, "unsupported_format", "none", () -> given().contentType("text/plain").body("hello")
                .post(url, model).then().statusCode(415).body("error", containsString("Content-Type is not accepted")));
        countedOnce(model, "bad_request", "none", () -> given().contentType("application/json").body("{\"images\": [")
                .post(url, model).then().statusCode(400).body("error", notNullValue()));
        countedOnce(model, "bad_request", "none", () -> given().contentType("application/json")
                .body("{\"image\":" + "[".repeat(200) + "]".repeat(200) + "}")
                .post(url, model).then().statusCode(400).body("error", containsString("nesting depth")));
        countedOnce(model, "bad_request", "none", () -> given().contentType("application/json").body(Map.of("image", "***"))
                .post(url, model).then().statusCode(400).body("error", containsString("not base64")));
        countedOnce(model, "bad_request", "none", () -> given().contentType("application/json")
                .body(Map.of("images", Collections.nCopies(65, Base64.getEncoder().encodeToString(TestModels.png(0, 8)))))
                .post(url, model).then().statusCode(400).body("error", containsString("at most 64")));
        countedOnce(model, "bad_request", "none", () -> given().contentType("image/png").queryParam("topK", 0)
                .body(TestModels.png(0, 8)).post(url, model).then().statusCode(400).body("error", containsString("topK")));
        countedOnce(model, "bad_request", "none", () -> given().multiPart("other", "x.png", TestModels.png(0, 8), "image/png")
                .post(url, model).then().statusCode(400).body("error", containsString("part named 'image'")));
        // the 20 MB limit: just under it gets to the decoder; over it is refused from Content-Length, unread
        countedOnce(model, "bad_request", "1", () -> given().contentType("image/png").body(new byte[19 * 1024 * 1024])
                .post(url, model).then().statusCode(400));
        countedOnce(model, "too_large", "none", () -> {
            try {
                String tooLarge = declareBody(model, 21 * 1024 * 1024);
                assertThat(tooLarge).startsWith("HTTP/1.1 413").contains("\"error\"").contains("over the limit");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        // the Open Inference Protocol's endpoint counts the same way; a body Jackson reads as UTF-32 and finds no
        // such character in (found by fuzzing: InferRequestFuzzTest) is a 400, not a 500
        byte[] notUtf = Base64.getDecoder().decode("AAAAnXBlIFstMSwgLTEsIDAsIDFdLCJGUDMyIiwgImZhAAAAAAAAAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAdGEAAAAvXX1dfQ==");
        countedOnce(model, "bad_request", "none", () -> given().contentType("application/json").body(notUtf)
                .post("/v2/models/{model}/infer", model).then().statusCode(400)
                .body("error", containsString("not JSON text in UTF-8, UTF-16 or UTF-32")));
        countedOnce(model, "bad_request", "none", () -> given().contentType("application/json").body("{\"inputs\": []}")
                .post("/v2/models/{model}/infer", model).then().statusCode(400).body("error", containsString("exactly one input")));
        countedOnce(model, "ok", "1", () -> given().contentType("application/json").body(Map.of("inputs", List.of(Map.of(
                        "name", "image", "shape", List.of(1), "datatype", "BYTES",
                        "data", List.of(Base64.getEncoder().encodeToString(TestModels.png(0, 8)))))))
                .post("/v2/models/{model}/infer", model).then().statusCode(200));
        given().get("/q/metrics").then().body(containsString("graft_model_version{model=\"" + model + "\"} 1.0"));
    }

    @Test
    void fiveHundredInventedModelNamesAddAtMostOneSeries() {
        String before = given().get("/q/metrics").asString();
        List<String> names = new java.util.ArrayList<>();
        byte[] png = TestModels.png(0, 8);
        Map<String, Object> infer = Map.of("inputs", List.of(Map.of("name", "image", "shape", List.of(1),
                "datatype", "BYTES", "data", List.of(Base64.getEncoder().encodeToString(png)))));
        for (int i = 0; i < 500; i++) {
            String name = "invented-" + UUID.randomUUID();
            names.add(name);
            if (i % 2 == 0) {
                given().contentType("image/png").body(png).post("/api/models/" + name + "/predict").then().statusCode(404);
            } else {
                given().contentType("application/json").body(infer).post("/v2/models/" + name + "/infer").then().statusCode(404);
            }
        }
        String after = given().get("/q/metrics").asString();
        assertThat(series(after, "graft_predictions_total{")).as("prediction counter series")
                .hasSizeLessThanOrEqualTo(series(before, "graft_predictions_total{").size() + 1);
        assertThat(series(after, "graft_prediction_latency_seconds_count{")).as("latency histograms")
                .hasSizeLessThanOrEqualTo(series(before, "graft_prediction_latency_seconds_count{").size() + 1);
        assertThat(names).noneMatch(after::contains);
        String unknown = "graft_predictions_total{model=\"" + PredictionCounting.UNKNOWN_MODEL
                + "\",outcome=\"unknown_model\",version=\"none\"}";
        assertThat(MetricsText.value(after, unknown) - MetricsText.value(before, unknown)).isEqualTo(500);
    }

    private static List<String> series(String metrics, String prefix) {
        return metrics.lines().filter(line -> line.startsWith(prefix)).toList();
    }

    @Test
    void everyFormatATrainerAcceptsIsServed() {
        String model = servingClassifier("formats", 7);
        BufferedImage picture = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        picture.setRGB(2, 3, 0xff8800);
        for (String format : ImageLimits.parseFormats(ImageLimits.DEFAULT_FORMATS)) {
            given().contentType("application/octet-stream").body(TestModels.encode(picture, format))
                    .post("/api/models/{model}/predict", model).then().statusCode(200).body("label", notNullValue());
        }
    }

    @Test
    void aTruncatedJpegIsRefusedAsTruncated() {
        String model = servingClassifier("truncated", 8);
        BufferedImage photo = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < 64 * 64; i++) {
            photo.setRGB(i % 64, i / 64, random.nextInt(0x1000000));
        }
        byte[] jpeg = TestModels.encode(photo, "jpeg");
        countedOnce(model, "bad_request", "1", () -> given().contentType("image/jpeg").body(Arrays.copyOf(jpeg, jpeg.length / 2))
                .post("/api/models/{model}/predict", model)
                .then().statusCode(400).body("error", containsString("truncated image")));
    }

    @Test
    void oddButValidImagesArePredictedAndBrokenOnesGetA4xxWhileTheServiceStaysUp() {
        String model = servingClassifier("oddities", 5);
        String url = "/api/models/{model}/predict";
        BufferedImage translucent = new BufferedImage(16, 16, BufferedImage.TYPE_INT_ARGB);
        translucent.setRGB(3, 3, 0x80FF0000);
        BufferedImage grey16 = new BufferedImage(12, 12, BufferedImage.TYPE_USHORT_GRAY);
        grey16.getRaster().setSample(1, 1, 0, 0xFFFF);
        BufferedImage grey = new BufferedImage(20, 10, BufferedImage.TYPE_BYTE_GRAY);
        BufferedImage dot = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Map<String, byte[]> valid = Map.of("png with alpha", TestModels.encode(translucent, "png"),
                "16-bit grey png", TestModels.encode(grey16, "png"), "grey jpeg", TestModels.encode(grey, "jpeg"),
                "1x1 png", TestModels.encode(dot, "png"));
        valid.forEach((what, bytes) -> given().contentType(what.endsWith("jpeg") ? "image/jpeg" : "image/png")
                .body(bytes).post(url, model).then().statusCode(200).body("label", notNullValue()));

        byte[] jpeg = TestModels.encode(new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB), "jpeg");
        given().contentType("image/jpeg").body(Arrays.copyOf(jpeg, 40)).post(url, model)
                .then().statusCode(400).body("error", containsString("unreadable image"));
        given().contentType("image/png").body(TestModels.pngHeaderOnly(1, 1)).post(url, model)
                .then().statusCode(400).body("error", containsString("truncated image"));

        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/metrics").then()
                .body(containsString("graft_predictions_total{model=\"" + model + "\",outcome=\"ok\",version=\"1\"} 4.0"))
                .body(containsString("graft_predictions_total{model=\"" + model + "\",outcome=\"bad_request\",version=\"1\"} 2.0"));
    }

    /**
     * Sends only the headers of a request announcing {@code length} body bytes and waiting for
     * 100-continue, as curl does for large uploads, and returns the answer.
     */
    private String declareBody(String model, int length) throws Exception {
        try (Socket socket = new Socket(baseUrl.getHost(), baseUrl.getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("POST /api/models/" + model + "/predict HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: image/png\r\nContent-Length: " + length + "\r\nExpect: 100-continue\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void brokenVersionsNeverReplaceTheServingOneAndAnyLoadedVersionCanBeAskedFor() throws Exception {
        String model = "swap-" + UUID.randomUUID().toString().substring(0, 8);
        announce(bootstrap, TestModels.publishClassifier(store, model, 4));
        awaitServing(model, 1);

        // hashed as written: the sha256 check passes and the restore itself fails
        ModelManifest corrupt = TestModels.publishDamagedClassifier(store, model, file -> {
            try {
                Files.write(file, "not a network".getBytes());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        announce(bootstrap, corrupt);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> given().get("/api/models/{model}", model).then()
                .body("failed[0].version", is(2)).body("failed[0].reason", containsString("cannot load the network")));
        given().contentType("image/png").body(TestModels.png(0x00ff00, 8)).post("/api/models/{model}/predict", model)
                .then().statusCode(200).body("version", is(1));
        given().contentType("image/png").header(PredictResource.VERSION_HEADER, "2").body(TestModels.png(0x00ff00, 8))
                .post("/api/models/{model}/predict", model)
                .then().statusCode(409).body("error", containsString("version 2 cannot be loaded"));

        announce(bootstrap, TestModels.publishClassifier(store, model, 6));
        awaitServing(model, 3);
        given().contentType("image/png").body(TestModels.png(0x00ff00, 8)).post("/api/models/{model}/predict", model)
                .then().statusCode(200).body("version", is(3)).header(PredictResource.VERSION_HEADER, "3");
        given().contentType("image/png").header(PredictResource.VERSION_HEADER, "1").body(TestModels.png(0x00ff00, 8))
                .post("/api/models/{model}/predict", model)
                .then().statusCode(200).body("version", is(1)).header(PredictResource.VERSION_HEADER, "1");
    }
}
