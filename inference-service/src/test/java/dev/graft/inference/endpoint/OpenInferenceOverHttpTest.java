package dev.graft.inference.endpoint;

import dev.graft.contract.manifest.Preprocessing;
import dev.graft.inference.TestModels;
import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.imaging.ImagePreprocessor;
import dev.graft.store.ModelStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.graft.inference.endpoint.PredictOverHttpTest.announce;
import static dev.graft.inference.endpoint.PredictOverHttpTest.awaitServing;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/** The Open Inference Protocol (KServe V2) as a KServe client speaks it, over real HTTP. */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class OpenInferenceOverHttpTest {
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    ModelStore store;

    @Test
    void healthMetadataAndInferenceWithImagesOrTensorsMatchThePredictApi() {
        String model = "v2-" + UUID.randomUUID().toString().substring(0, 8);
        announce(bootstrap, TestModels.publishClassifier(store, model, 11));
        awaitServing(model, 1);

        given().get("/v2").then().statusCode(200).body("name", is("graft-inference"));
        given().get("/v2/health/live").then().statusCode(200).body("live", is(true));
        given().get("/v2/models/{model}/ready", model).then().statusCode(200).body("ready", is(true));
        given().get("/v2/models/{model}/versions/1/ready", model).then().statusCode(200).body("ready", is(true));
        given().get("/v2/models/no-such-model/ready").then().statusCode(400).body("ready", is(false));
        given().get("/v2/models/{model}", model).then().statusCode(200)
                .body("name", is(model)).body("versions", is(List.of("1"))).body("platform", is("graft-dl4j"))
                .body("inputs.name", is(List.of("image", "input")))
                .body("inputs[1].shape", is(List.of(-1, 3, 8, 8)))
                .body("outputs.name", is(List.of("probabilities", "label")));

        byte[] red = TestModels.png(0xff0000, 8);
        byte[] blue = TestModels.png(0x0000ff, 8);
        Map<String, Object> bytesRequest = Map.of("id", "req-1", "inputs", List.of(Map.of("name", "image", "shape", List.of(2),
                "datatype", "BYTES", "data", List.of(Base64.getEncoder().encodeToString(red),
                        Base64.getEncoder().encodeToString(blue)))));
        JsonPath fromBytes = given().contentType("application/json").body(bytesRequest)
                .post("/v2/models/{model}/infer", model).then().statusCode(200)
                .header(PredictResource.VERSION_HEADER, "1")
                .body("model_name", is(model)).body("model_version", is("1")).body("id", is("req-1"))
                .body("outputs[0].name", is("probabilities")).body("outputs[0].datatype", is("FP32"))
                .body("outputs[0].shape", is(List.of(2, 3)))
                .body("outputs[1].name", is("label")).body("outputs[1].shape", is(List.of(2)))
                .extract().jsonPath();
        List<Float> blueProbabilities = given().contentType("image/png").body(blue)
                .post("/api/models/{model}/predict", model).then().statusCode(200).extract().jsonPath()
                .getList("top.probability", Float.class);
        List<Float> v2Probabilities = fromBytes.getList("outputs[0].data", Float.class);
        assertThat(v2Probabilities).hasSize(6);
        assertThat(v2Probabilities.subList(3, 6).stream().max(Float::compare).orElseThrow())
                .isCloseTo(blueProbabilities.get(0), within(1e-5f));

        // the same image as an FP32 tensor, preprocessed by the client, nested rather than flat
        INDArray tensor = ImagePreprocessor.toBatch(ImagePreprocessor.decode(blue), TestModels.SHAPE, Preprocessing.UNIT);
        Map<String, Object> tensorRequest = Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 3, 8, 8),
                "datatype", "FP32", "data", List.of(tensor.data().asFloat()))), "outputs", List.of(Map.of("name", "label")));
        given().contentType("application/json").body(tensorRequest)
                .post("/v2/models/{model}/versions/1/infer", model).then().statusCode(200)
                .body("outputs.size()", is(1)).body("outputs[0].name", is("label"))
                .body("outputs[0].data[0]", is(fromBytes.getString("outputs[1].data[1]")));

        given().contentType("application/json").body(Map.of("inputs", List.of(Map.of("name", "input", "shape", List.of(1, 3, 4, 4),
                        "datatype", "FP32", "data", new float[48])))).post("/v2/models/{model}/infer", model)
                .then().statusCode(400).body("error", containsString("expected [n, 3, 8, 8]"));
        given().contentType("application/json").body(Map.of("inputs", List.of(Map.of("name", "x", "shape", List.of(1),
                        "datatype", "INT64", "data", List.of(1))))).post("/v2/models/{model}/infer", model)
                .then().statusCode(400).body("error", containsString("datatype must be BYTES"));
        given().contentType("application/json").body(bytesRequest).post("/v2/models/nothing/infer")
                .then().statusCode(404).body("error", containsString("no model 'nothing'"));
    }
}
