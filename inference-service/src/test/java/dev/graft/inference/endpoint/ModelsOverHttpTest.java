package dev.graft.inference.endpoint;

import dev.graft.inference.TestModels;
import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.store.ModelStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.graft.inference.endpoint.PredictOverHttpTest.announce;
import static dev.graft.inference.endpoint.PredictOverHttpTest.awaitServing;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

/** Swaps, pins and rollbacks over real HTTP while versions arrive on real Kafka. */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class ModelsOverHttpTest {
    private static final String KEY_HEADER = "X-Graft-Api-Key";
    private static final Pattern VERSION = Pattern.compile("\"version\":(\\d+)");

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "graft.admin.api-key")
    String apiKey;
    @Inject
    ModelStore store;
    @TestHTTPResource("/")
    URL baseUrl;

    @Test
    void swapsUnderConcurrentLoadFailNoRequest() throws Exception {
        String model = "load-" + UUID.randomUUID().toString().substring(0, 8);
        announce(bootstrap, TestModels.publishClassifier(store, model, 1));
        awaitServing(model, 1);

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(baseUrl.toURI().resolve("/api/models/" + model + "/predict"))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(TestModels.png(0x123456, 8)))
                .build();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        Set<Integer> versionsSeen = ConcurrentHashMap.newKeySet();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        Future<?>[] workers = new Future<?>[8];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = clients.submit(() -> {
                while (running.get()) {
                    try {
                        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                        Matcher version = VERSION.matcher(response.body());
                        if (response.statusCode() == 200 && version.find()) {
                            ok.incrementAndGet();
                            versionsSeen.add(Integer.parseInt(version.group(1)));
                        } else {
                            failures.add(response.statusCode() + " " + response.body());
                        }
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                }
            });
        }
        // the clients are answered by version 1 before any swap, so that the load spans every swap
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> ok.get() > 8 || !failures.isEmpty());
        for (int v = 2; v <= 4; v++) {
            announce(bootstrap, TestModels.publishClassifier(store, model, v));
            awaitServing(model, v);
        }
        running.set(false);
        for (Future<?> worker : workers) {
            worker.get(60, TimeUnit.SECONDS);
        }
        clients.shutdown();

        assertThat(failures).isEmpty();
        assertThat(ok.get()).isGreaterThan(8);
        assertThat(versionsSeen).contains(1, 4);
        given().get("/api/models/{model}", model).then().body("loadedVersions", is(java.util.List.of(3, 4)));
        given().get("/q/metrics").then()
                .body(containsString("graft_prediction_queue_latency_seconds_count{model=\"" + model + "\",version=\"4\"}"))
                .body(containsString("graft_prediction_compute_latency_seconds_count{model=\"" + model + "\",version=\"4\"}"))
                .body(containsString("graft_prediction_batch_size_count{model=\"" + model + "\",version=\"4\"}"))
                .body(containsString("graft_model_warmups_total{model=\"" + model + "\",version=\"4\"} 3.0"))
                .body(containsString("graft_native_memory_bytes"));
    }

    @Test
    void pinningRollsBackUntilUnpinnedAndNeedsTheApiKey() {
        String model = "pin-" + UUID.randomUUID().toString().substring(0, 8);
        announce(bootstrap, TestModels.publishClassifier(store, model, 1));
        awaitServing(model, 1);
        announce(bootstrap, TestModels.publishClassifier(store, model, 2));
        awaitServing(model, 2);

        String url = "/api/models/{model}/serving";
        given().contentType("application/json").body(Map.of("version", 1)).put(url, model)
                .then().statusCode(401).body("error", containsString("missing API key: send it in the " + KEY_HEADER));
        given().header(KEY_HEADER, "guess").contentType("application/json").body(Map.of("version", 1)).put(url, model)
                .then().statusCode(401).body("error", containsString("wrong API key"));
        given().header(KEY_HEADER, apiKey).contentType("application/json").body(Map.of("version", 7)).put(url, model)
                .then().statusCode(404).body("error", containsString("no version 7"));
        given().header(KEY_HEADER, apiKey).contentType("application/json").body(Map.of("version", 1)).put(url, model)
                .then().statusCode(200).body("version", is(1)).body("pinnedVersion", is(1));

        announce(bootstrap, TestModels.publishClassifier(store, model, 3));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).untilAsserted(() ->
                given().get("/api/models/{model}", model).then().body("newestVersion", is(3)));
        given().contentType("image/png").body(TestModels.png(0, 8)).post("/api/models/{model}/predict", model)
                .then().statusCode(200).body("version", is(1));

        given().delete(url, model).then().statusCode(401);
        given().header(KEY_HEADER, apiKey).delete(url, model).then().statusCode(200)
                .body("version", is(3)).body("pinnedVersion", nullValue());
        given().contentType("image/png").body(TestModels.png(0, 8)).post("/api/models/{model}/predict", model)
                .then().statusCode(200).body("version", is(3));
    }

    @Test
    void readinessAndTheOpenApiDescriptionAreServed() {
        given().get("/q/health/ready").then().statusCode(200).body(containsString("\"models\""));
        given().get("/v2/health/ready").then().statusCode(200).body("ready", is(true));
        String openapi = given().accept("application/json").get("/q/openapi").then().statusCode(200).extract().asString();
        assertThat(openapi).contains("/api/models/{model}/predict", "/api/models/{model}/serving",
                "/v2/models/{model}/infer", "/v2/models/{model}/versions/{version}/infer", "multipart/form-data",
                "\"examples\"");
    }
}
