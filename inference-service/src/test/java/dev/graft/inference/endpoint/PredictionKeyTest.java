package dev.graft.inference.endpoint;

import dev.graft.inference.TestModels;
import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.store.ModelStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

/** With {@code graft.predict.api-key} set, predictions need a key (that one or the admin key); the rest stays open. */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
@TestProfile(PredictionKeyTest.PredictKeySet.class)
class PredictionKeyTest {
    private static final String KEY = "predict-key-for-tests";
    private static final String HEADER = "X-Graft-Api-Key";

    public static class PredictKeySet implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("graft.predict.api-key", KEY);
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "graft.admin.api-key")
    String adminKey;
    @Inject
    ModelStore store;

    @Test
    void predictionsNeedTheKeyAndEverythingElseStaysOpen() {
        String model = "keyed-" + UUID.randomUUID().toString().substring(0, 8);
        PredictOverHttpTest.announce(bootstrap, TestModels.publishClassifier(store, model, 2));
        PredictOverHttpTest.awaitServing(model, 1);
        byte[] png = TestModels.png(0x00ff00, 8);
        String url = "/api/models/{model}/predict";

        given().contentType("image/png").body(png).post(url, model).then().statusCode(401)
                .body("error", containsString("missing API key: send it in the " + HEADER + " header"));
        given().contentType("image/png").header(HEADER, "guess").body(png).post(url, model).then().statusCode(401)
                .body("error", containsString("wrong API key"));
        given().contentType("image/png").header(HEADER, KEY).body(png).post(url, model).then().statusCode(200);
        given().contentType("image/png").header(HEADER, adminKey).body(png).post(url, model).then().statusCode(200);

        String infer = "{\"inputs\": [{\"name\": \"image\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\""
                + Base64.getEncoder().encodeToString(png) + "\"]}]}";
        given().contentType("application/json").body(infer).post("/v2/models/{model}/infer", model).then().statusCode(401);
        given().contentType("application/json").header(HEADER, KEY).body(infer).post("/v2/models/{model}/infer", model)
                .then().statusCode(200);

        given().get("/api/models/{model}", model).then().statusCode(200);
        given().get("/v2/models/{model}", model).then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
    }
}
