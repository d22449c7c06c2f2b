package dev.graft.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.graft.testing.KafkaTestClient;
import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboards against the real thing: a Kafka broker, the packaged services as processes, a
 * classifier and a regressor trained through Kafka, predictions over HTTP (answered and rejected) and
 * feedback on them, joined by the loop service; then every series that a dashboard query selects must
 * be in the services' /q/metrics, with the label values the query names. A dashboard that shows
 * nothing fails here, not in front of a user.
 */
class DashboardMetricsTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(4);
    private static final Path TRAINER_JAR = Path.of("../trainer-service/target/quarkus-app/quarkus-run.jar");
    private static final Path INFERENCE_JAR = Path.of("../inference-service/target/quarkus-app/quarkus-run.jar");
    private static final Path LOOP_JAR = Path.of("../loop-service/target/quarkus-app/quarkus-run.jar");
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    /** Target labels Prometheus adds (deploy/prometheus/prometheus.yml), not in the services' own output. */
    private static final Set<String> TARGET_LABELS = Set.of("service", "job", "instance");

    private static Path work;
    private static LocalKafkaBroker kafka;
    private static ServiceProcess trainer;
    private static ServiceProcess inference;
    private static ServiceProcess loop;
    private static Prometheus prometheus;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void startEverything() throws Exception {
        assertThat(TRAINER_JAR).as("packaged trainer (mvn package runs before this module's tests)").exists();
        assertThat(INFERENCE_JAR).as("packaged inference service").exists();
        work = Files.createTempDirectory("graft-dashboards");
        kafka = LocalKafkaBroker.startOnFreePorts(work.resolve("kafka"));
        kafka.createTopics(Topics.ALL);
        Map<String, String> env = Map.of("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "GRAFT_DATA_ROOT", work.resolve("data").toString(), "GRAFT_STORE_URI", work.resolve("models").toString(),
                "GRAFT_TRAINER_STATE_ROOT", work.resolve("trainer-state").toString());
        trainer = ServiceProcess.start("trainer", TRAINER_JAR, env, work);
        // gated, so that a version whose request names an unreachable threshold is held back
        // images captured in the trainer's data root, as the loop dashboard shows them and a retraining reads them
        Path captured = work.resolve("data").resolve("captured");
        inference = ServiceProcess.start("inference", INFERENCE_JAR, env, work,
                "-Dgraft.serving.models.\"brightness\".promotion=gated", "-Dgraft.capture.images=true",
                // stripes' retrained version must prove itself in shadow on four live examples
                "-Dgraft.serving.models.\"stripes\".shadow-share=1", "-Dgraft.serving.models.\"stripes\".shadow-min-examples=4",
                "-Dgraft.capture.location=" + captured);
        // stripes is retrained by the loop after five labelled examples, with its first request
        Path stripesRequest = Files.writeString(work.resolve("stripes-request.json"),
                request("stripes-1", "stripes", "classification", "train", "validation", 2, ""));
        loop = ServiceProcess.start("loop", LOOP_JAR, env, work, "-Dgraft.loop.sweep-interval=1s",
                "-Dgraft.loop.state-dir=" + work.resolve("loop-state"), "-Dgraft.retrain.captured=" + captured,
                "-Dgraft.retrain.models.\"stripes\".request=" + stripesRequest,
                "-Dgraft.retrain.models.\"stripes\".after-examples=5");
        trainer.awaitReady(TIMEOUT);
        inference.awaitReady(TIMEOUT);
        loop.awaitReady(TIMEOUT);
        prometheus = Prometheus.startIfInstalled(work, Map.of("trainer", trainer.port(), "inference", inference.port(),
                "loop", loop.port()));
        runWorkload();
    }

    /** Two trainings and a held-back third, answered and rejected predictions: what the dashboards show. */
    private static void runWorkload() throws Exception {
        Path data = work.resolve("data");
        TestImages.classFolders(data.resolve("train"), 12, 1);
        TestImages.classFolders(data.resolve("validation"), 4, 2);
        TestImages.priceCsv(data, "prices.csv", 24, 3);
        TestImages.priceCsv(data, "prices-validation.csv", 8, 4);
        try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
            client.send(Topics.TRAINING_REQUESTS, "stripes",
                    request("stripes-1", "stripes", "classification", "train", "validation", 2, ""));
            client.send(Topics.TRAINING_REQUESTS, "brightness",
                    request("brightness-1", "brightness", "regression", "prices.csv", "prices-validation.csv", 2, ""));
            // long enough (augmented, so end to end) for Prometheus to see a phase running: "Now training"
            client.send(Topics.TRAINING_REQUESTS, "brightness", request("brightness-2", "brightness", "regression",
                    "prices.csv", "prices-validation.csv", 50, ", \"augmentation\": {\"preset\": \"flip\"},"
                            + " \"promotion\": {\"metric\": \"mae\", \"threshold\": 0}"));
            if (prometheus != null) {
                prometheus.awaitSeries("graft_training_epoch and on (model, phase) (graft_training_phase_active == 1)",
                        TIMEOUT);
            }
            Set<String> finished = new HashSet<>();
            client.readUntil(Topics.TRAINING_EVENTS, json -> {
                TrainingEvent event = Json.read(json, TrainingEvent.class);
                if (event.isFinal()) {
                    assertThat(event.type()).as(json).isEqualTo(TrainingEvent.Type.SUCCEEDED);
                    finished.add(event.requestId());
                }
                return finished.size() == 3;
            }, TIMEOUT);
        }
        for (String model : List.of("stripes", "brightness")) {
            awaitServed(model);
            for (int i = 0; i < 5; i++) {
                // five images: each a row of the feedback dataset a retraining trains on
                byte[] png = TestImages.png(TestImages.stripes(true, 200, new Random(5 + i)));
                HttpResponse<String> answer = predict(model, png, "image/png");
                assertThat(answer.statusCode()).isEqualTo(200);
                // the truth, as a user would send it: live accuracy, MAE and confusion on the loop's dashboard
                String id = Json.MAPPER.readTree(answer.body()).path("predictionId").asText();
                String truth = model.equals("stripes") ? "\"label\": \"" + (i % 2 == 0 ? "horizontal" : "vertical") + "\""
                        : "\"value\": " + (100 + i);
                assertThat(feedback(model, "{\"predictionId\": \"" + id + "\", " + truth + "}").statusCode()).isEqualTo(202);
            }
        }
        assertThat(feedback("stripes", "{\"predictionId\": \"no-such-id\", \"label\": \"horizontal\"}").statusCode())
                .isEqualTo(404);
        for (String model : List.of("stripes", "brightness")) {
            loop.awaitJson("/api/live/" + model, model + " scored on live traffic", live -> live.path(0).path("examples").asInt() == 5,
                    TIMEOUT);
        }
        awaitRetrainedOnTheFeedback();
        awaitJudgedInShadow();
        assertThat(predict("stripes", "not an image".getBytes(), "image/png").statusCode()).isEqualTo(400);
        inference.awaitModelStatus("brightness", "version 2 held back", status -> status.path("heldBack").path(0).path("version").asInt() == 2, TIMEOUT);

    }

    /**
     * The loop closed: five answers on stripes make the loop send one training request, through the same topic
     * and pool as any, which trains on the first request's 24 images plus the five feedback examples.
     */
    private static void awaitRetrainedOnTheFeedback() {
        Map<String, Integer> trainImages = new HashMap<>();
        String retraining = "stripes-feedback-[0-9a-z]+-1";
        try (KafkaTestClient client = new KafkaTestClient(kafka.bootstrapServers())) {
            client.readUntil(Topics.TRAINING_EVENTS, json -> {
                TrainingEvent event = Json.read(json, TrainingEvent.class);
                if (event.trainImages() != null) {
                    trainImages.put(event.requestId().matches(retraining) ? "retraining" : event.requestId(), event.trainImages());
                }
                if (event.isFinal() && event.requestId().matches(retraining)) {
                    assertThat(event.type()).as(json).isEqualTo(TrainingEvent.Type.SUCCEEDED);
                    return true;
                }
                return false;
            }, TIMEOUT);
            assertThat(client.readCommitted(Topics.TRAINING_REQUESTS).stream().map(r -> r.key()).filter(k -> k.contains("feedback")))
                    .singleElement().matches(key -> key.matches(retraining));
        }
        assertThat(trainImages).containsEntry("stripes-1", 24).containsEntry("retraining", 24 + 5);
    }

    /**
     * The retrained stripes answers in shadow beside the first version; four more answers with feedback, and the
     * loop compares both on them; the inference service's live gate promotes it or holds it back as that
     * comparison says, all three services as packaged.
     */
    private static void awaitJudgedInShadow() throws Exception {
        inference.awaitModelStatus("stripes", "version 2 in shadow", status -> status.path("shadowVersion").asInt() == 2, TIMEOUT);
        for (int i = 0; i < 4; i++) {
            byte[] png = TestImages.png(TestImages.stripes(i % 2 == 0, 200, new Random(20 + i)));
            HttpResponse<String> answer = predict("stripes", png, "image/png");
            JsonNode body = Json.MAPPER.readTree(answer.body());
            assertThat(body.path("version").asInt()).as("the caller gets the serving version's answer").isEqualTo(1);
            String truth = i % 2 == 0 ? "horizontal" : "vertical";
            assertThat(feedback("stripes", "{\"predictionId\": \"" + body.path("predictionId").asText() + "\", \"label\": \""
                    + truth + "\"}").statusCode()).isEqualTo(202);
        }
        JsonNode pair = loop.awaitJson("/api/shadow/stripes", "stripes 2 compared with 1 on four live examples",
                comparison -> comparison.path("pairs").path(0).path("examples").asInt() == 4, TIMEOUT).path("pairs").path(0);
        assertThat(pair.path("candidate").asInt()).isEqualTo(2);
        assertThat(pair.path("serving").asInt()).isEqualTo(1);
        boolean asGood = pair.path("candidateRight").asInt() >= pair.path("servingRight").asInt();
        JsonNode decided = inference.awaitModelStatus("stripes", "the live gate's decision on version 2",
                status -> status.path("version").asInt() == 2 || status.path("heldBack").path(0).path("version").asInt() == 2,
                TIMEOUT);
        assertThat(decided.path("version").asInt()).as("promoted exactly when as good on the live labels: " + pair)
                .isEqualTo(asGood ? 2 : 1);
    }

    @AfterAll
    static void stopEverything() throws IOException {
        ServiceProcess.stopAll(work, prometheus, loop, inference, trainer, kafka);
    }

    @Test
    void everySeriesThatADashboardQueriesIsExposedWithTheLabelValuesItNames() throws Exception {
        Map<String, List<Map<String, String>>> trainerSeries = scrape(trainer);
        Map<String, List<Map<String, String>>> inferenceSeries = scrape(inference);
        Map<String, List<Map<String, String>>> loopSeries = scrape(loop);
        Map<String, Map<String, List<Map<String, String>>>> byService = Map.of(
                "trainer", trainerSeries, "inference", inferenceSeries, "loop", loopSeries);
        Map<String, List<Map<String, String>>> all = new HashMap<>(trainerSeries);
        for (Map<String, List<Map<String, String>>> more : List.of(inferenceSeries, loopSeries)) {
            more.forEach((name, series) -> all.merge(name, series, (a, b) -> {
                List<Map<String, String>> both = new ArrayList<>(a);
                both.addAll(b);
                return both;
            }));
        }
        assertThat(targetServices()).containsExactlyInAnyOrderElementsOf(byService.keySet());

        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (Path dashboard : Dashboards.files()) {
            for (Dashboards.Query query : Dashboards.queries(dashboard)) {
                for (Dashboards.Selector selector : Dashboards.selectors(query.expr())) {
                    checked++;
                    String service = selector.equalities().get("service");
                    Map<String, List<Map<String, String>>> exposed = service == null ? all : byService.get(service);
                    List<Map<String, String>> series = exposed == null ? null : exposed.get(selector.metric());
                    if (series == null) {
                        missing.add(query.where() + ": " + selector.metric() + " is not exposed"
                                + (service == null ? "" : " by the " + service));
                        continue;
                    }
                    selector.equalities().forEach((label, value) -> {
                        if (!TARGET_LABELS.contains(label)
                                && series.stream().noneMatch(labels -> value.equals(labels.get(label)))) {
                            missing.add(query.where() + ": no " + selector.metric() + " has " + label + "=\"" + value + "\"");
                        }
                    });
                }
            }
        }
        assertThat(checked).isGreaterThan(40);
        assertThat(missing).isEmpty();
    }

    /**
     * Every query of every panel and annotation, run by a real Prometheus (Debian's, which CI installs) that
     * scraped both services through the workload with deploy/prometheus/prometheus.yml, over that time
     * as Grafana would: each must be valid PromQL and return series.
     */
    @Test
    void everyDashboardQueryReturnsSeriesFromARealPrometheus() throws Exception {
        // skipped only on a developer's machine without it; in CI (CI=true, which installs it) a missing one fails
        if (System.getenv("CI") != null) {
            assertThat(prometheus).as("prometheus on PATH: .ci/run installs Debian's package").isNotNull();
        }
        assumeTrue(prometheus != null, "prometheus is not installed (apt-get install prometheus; CI has it)");
        prometheus.awaitScrapesAfter(System.currentTimeMillis(), 3);
        List<String> empty = new ArrayList<>();
        int run = 0;
        for (Path dashboard : Dashboards.files()) {
            for (Dashboards.Query query : Dashboards.queries(dashboard)) {
                if (query.where().contains("/ variable ")) {
                    continue;
                }
                run++;
                JsonNode result = prometheus.queryRange(query.expr());
                assertThat(result.path("status").asText()).as(query.where() + ": " + result).isEqualTo("success");
                if (result.path("data").path("result").isEmpty()) {
                    empty.add(query.where() + ": " + query.expr());
                }
            }
        }
        assertThat(run).isGreaterThan(30);
        assertThat(empty).isEmpty();
    }

    /** The service labels deploy/prometheus/prometheus.yml gives its targets. */
    private static Set<String> targetServices() throws IOException {
        JsonNode config = new ObjectMapper(new YAMLFactory()).readTree(Path.of("prometheus/prometheus.yml").toFile());
        Set<String> services = new HashSet<>();
        for (JsonNode job : config.path("scrape_configs")) {
            job.path("static_configs").forEach(c -> services.add(c.path("labels").path("service").asText()));
            job.path("relabel_configs").forEach(r -> {
                if ("service".equals(r.path("target_label").asText())) {
                    services.add(r.path("replacement").asText());
                }
            });
        }
        return services;
    }

    private static String request(String requestId, String model, String task, String train, String validation,
                                  int frozenEpochs, String more) {
        return """
                {"requestId": "%s", "model": "%s", "task": "%s",
                 "dataset": {"train": "%s", "validation": "%s", "targetColumn": "price"},
                 "base": {"architecture": "small-convnet", "weights": "random", "inputHeight": 32, "inputWidth": 32},
                 "head": {"units": 16},
                 "frozen": {"epochs": %d, "learningRate": 0.01, "batchSize": 8},
                 "fineTune": {"epochs": 1, "learningRate": 0.001, "unfreezeFrom": "block1_conv1"}%s}
                """.formatted(requestId, model, task, train, validation, frozenEpochs, more);
    }

    private static void awaitServed(String model) throws Exception {
        inference.awaitModelStatus(model, "version 1 serving", status -> status.path("version").asInt() == 1, TIMEOUT);
    }

    private static HttpResponse<String> feedback(String model, String json) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(inference.uri("/api/models/" + model + "/feedback"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> predict(String model, byte[] body, String type) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(inference.uri("/api/models/" + model + "/predict"))
                .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }


    /** Sample name -> the label sets it is exposed with, from the Prometheus text format. */
    private static Map<String, List<Map<String, String>>> scrape(ServiceProcess service) throws Exception {
        HttpResponse<String> response = service.get("/q/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, List<Map<String, String>>> series = new HashMap<>();
        for (String line : response.body().split("\n")) {
            Matcher sample = SAMPLE.matcher(line);
            if (line.startsWith("#") || !sample.find()) {
                continue;
            }
            Map<String, String> labels = new HashMap<>();
            if (sample.group(3) != null) {
                Matcher label = LABEL.matcher(sample.group(3));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                }
            }
            series.computeIfAbsent(sample.group(1), n -> new ArrayList<>()).add(labels);
        }
        return series;
    }
}
