package dev.graft.trainer.messaging;

import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.testing.KafkaTestClient;
import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ModelStore;
import dev.graft.testing.MetricsText;
import dev.graft.testing.Tripwire;
import dev.graft.testing.TestImages;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;

/** The trainer as users drive it: requests on a real Kafka broker, outcomes as events, models in the store. */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class TrainingOverKafkaTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @ConfigProperty(name = "graft.data-root")
    String dataRoot;
    @Inject
    ModelStore store;

    private static String request(String requestId, String model, String task, String train, String validation,
                                  String base, String fineTune) {
        return """
                {"requestId": "%s", "model": "%s", "task": "%s",
                 "dataset": {"train": "%s", "validation": "%s", "targetColumn": "price"},
                 "base": %s,
                 "head": {"units": 32, "dropout": 0.2},
                 "frozen": {"epochs": 2, "learningRate": 0.01, "batchSize": 16},
                 "fineTune": %s}
                """.formatted(requestId, model, task, train, validation, base, fineTune);
    }

    /** The request's one outcome, its events (read to the topic's end) added to {@code seen}. */
    private static TrainingEvent outcomeOf(KafkaTestClient kafka, String requestId, List<TrainingEvent> seen) {
        seen.addAll(TrainingEvents.of(kafka, requestId, 1, TIMEOUT));
        assertThat(TrainingEvents.finals(seen)).as("outcomes of " + requestId).isEqualTo(1);
        return seen.stream().filter(TrainingEvent::isFinal).findFirst().orElseThrow();
    }

    private static String metrics() {
        return given().get("/q/metrics").asString();
    }

    private static double jobs(String metrics, String outcome) {
        return MetricsText.value(metrics, "graft_training_jobs_total{outcome=\"" + outcome + "\"}");
    }

    @Test
    void invalidRequestsFailWithAReasonAndTheNextValidOnesTrainAndPublishVersions() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Path data = Path.of(dataRoot, run);
        TestImages.classFolders(data.resolve("train"), 16, 1);
        TestImages.classFolders(data.resolve("validation"), 6, 2);
        TestImages.priceCsv(data, "train.csv", 32, 3);
        TestImages.priceCsv(data, "validation.csv", 12, 4);
        String classifier = "stripes-" + run;
        String before = metrics();

        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            // 1. not JSON at all, 2. JSON with problems: each a failed event, and the consumer carries on
            String notJson = "notjson-" + run;
            kafka.send(Topics.TRAINING_REQUESTS, notJson, "{this is not json");
            kafka.send(Topics.TRAINING_REQUESTS, "bad-" + run, request("bad-" + run, classifier, "classification",
                    run + "/train", run + "/validation",
                    "{\"architecture\": \"resnet9000\", \"weights\": \"random\", \"inputHeight\": 32, \"inputWidth\": 32}",
                    "null"));
            String missing = "missing-" + run;
            kafka.send(Topics.TRAINING_REQUESTS, missing, request(missing, classifier, "classification",
                    run + "/nowhere", run + "/validation",
                    "{\"architecture\": \"small-convnet\", \"weights\": \"random\", \"inputHeight\": 32, \"inputWidth\": 32}",
                    "null"));
            // 3. a valid classifier, then 4. a regressor on top of it
            String ok = "ok-" + run;
            kafka.send(Topics.TRAINING_REQUESTS, ok, request(ok, classifier, "classification", run + "/train",
                    run + "/validation",
                    "{\"architecture\": \"small-convnet\", \"weights\": \"random\", \"inputHeight\": 32, \"inputWidth\": 32}",
                    "{\"epochs\": 1, \"learningRate\": 0.001, \"unfreezeFrom\": \"block1_conv1\"}"));
            String regressor = "reg-" + run;
            kafka.send(Topics.TRAINING_REQUESTS, regressor, request(regressor, "prices-" + run, "regression",
                    run + "/train.csv", run + "/validation.csv",
                    "{\"weights\": \"model:" + classifier + "\"}",
                    "{\"epochs\": 1, \"learningRate\": 0.001, \"unfreezeFrom\": \"block3_conv1\"}"));

            TrainingEvent unreadable = outcomeOf(kafka, notJson, new ArrayList<>());
            assertThat(unreadable.type()).isEqualTo(TrainingEvent.Type.FAILED);
            assertThat(unreadable.message()).contains("invalid JSON for TrainingRequest");

            TrainingEvent bad = outcomeOf(kafka, "bad-" + run, new ArrayList<>());
            assertThat(bad.type()).isEqualTo(TrainingEvent.Type.FAILED);
            assertThat(bad.message()).contains("unknown architecture 'resnet9000'").contains("small-convnet");

            TrainingEvent noData = outcomeOf(kafka, missing, new ArrayList<>());
            assertThat(noData.type()).isEqualTo(TrainingEvent.Type.FAILED);
            assertThat(noData.message()).contains("dataset folder " + run + "/nowhere does not exist");

            List<TrainingEvent> events = new ArrayList<>();
            TrainingEvent done = outcomeOf(kafka, ok, events);
            assertThat(done.type()).as(done.message()).isEqualTo(TrainingEvent.Type.SUCCEEDED);
            assertThat(events).extracting(TrainingEvent::type).containsExactly(TrainingEvent.Type.ACCEPTED,
                    TrainingEvent.Type.DATASET, TrainingEvent.Type.EPOCH, TrainingEvent.Type.EPOCH,
                    TrainingEvent.Type.EPOCH, TrainingEvent.Type.SUCCEEDED);
            assertThat(events.get(1).classCounts()).containsEntry("horizontal", 16).containsEntry("vertical", 16);
            assertThat(events.get(1).validationImages()).isEqualTo(12);
            assertThat(events.get(4).phase()).isEqualTo("fine-tune");
            assertThat(events.get(2).metric()).isEqualTo("accuracy");
            assertThat(events.get(2).loss()).isFinite();
            assertThat(events.get(2).trainMetric()).isBetween(0.0, 1.0);
            assertThat(events.get(2).etaSeconds()).isPositive();
            assertThat(events.get(4).etaSeconds()).isZero();

            ModelVersionEvent version = Json.read(kafka.readUntil(Topics.MODEL_VERSIONS,
                    json -> json.contains("\"requestId\":\"" + ok + "\""), TIMEOUT).stream()
                    .reduce((a, b) -> b).orElseThrow(), ModelVersionEvent.class);
            assertThat(version.model()).isEqualTo(classifier);
            assertThat(version.version()).isEqualTo(done.version()).isEqualTo(1);
            assertThat(version.labels()).containsExactly("horizontal", "vertical");
            assertThat(version.inputShape().height()).isEqualTo(32);
            assertThat(version.validationMetrics()).containsKeys("loss", "accuracy");
            assertThat(version.artifactLocation()).isEqualTo(classifier + "/1/model.zip");
            ModelManifest manifest = store.manifest(classifier, 1);
            assertThat(manifest.sha256()).isEqualTo(version.sha256());
            assertThat(store.verify(manifest)).exists();

            TrainingEvent regressed = outcomeOf(kafka, regressor, new ArrayList<>());
            assertThat(regressed.type()).as(regressed.message()).isEqualTo(TrainingEvent.Type.SUCCEEDED);
            ModelManifest prices = store.manifest("prices-" + run, regressed.version());
            assertThat(prices.task()).isEqualTo(Task.REGRESSION);
            assertThat(prices.targetNormalization().mean()).isBetween(60.0, 250.0);
            assertThat(prices.base().weights()).isEqualTo("model:" + classifier + "@1");
            assertThat(prices.metrics()).containsKeys("mae", "rmse");
        }

        // the report, history and charts stored with the version, over HTTP
        String ok = "ok-" + run;
        given().when().get("/api/trainings/" + ok).then().statusCode(200)
                .body("state", is("SUCCEEDED"))
                .body("version", is(1))
                .body("report.history.size()", is(3))
                .body("report.history[0].phase", is("frozen"))
                .body("report.frozenPhase", containsString("cached features"))
                .body("report.classCounts.horizontal", is(16))
                .body("report.confusionMatrix.flatten().sum()", is(12))
                .body("report.charts", hasItems("curves.png", "confusion.png"));
        byte[] png = given().when().get("/api/trainings/" + ok + "/charts/curves.png").then().statusCode(200)
                .contentType("image/png").extract().asByteArray();
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
        given().when().get("/api/trainings/reg-" + run).then().statusCode(200)
                .body("report.residuals.count", is(12.0f))
                .body("report.charts", hasItems("curves.png", "residuals.png"));
        given().when().get("/api/trainings/missing-" + run).then().statusCode(200)
                .body("state", is("FAILED")).body("message", containsString("does not exist"));
        given().when().get("/api/trainings/never-sent").then().statusCode(404)
                .body("error", containsString("no training with requestId 'never-sent'"));
        given().when().get("/api/trainings/" + ok + "/charts/secrets.txt").then().statusCode(404);

        given().when().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
        String after = metrics();
        assertThat(jobs(after, "succeeded") - jobs(before, "succeeded")).as("the classifier and the regressor").isEqualTo(2);
        assertThat(jobs(after, "failed") - jobs(before, "failed")).as("the missing dataset").isEqualTo(1);
        assertThat(jobs(after, "rejected") - jobs(before, "rejected")).as("not JSON, unknown architecture").isEqualTo(2);
        String succeededCount = "graft_training_duration_seconds_count{outcome=\"succeeded\"}";
        assertThat(MetricsText.value(after, succeededCount) - MetricsText.value(before, succeededCount)).isEqualTo(2);
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("graft_training_images_per_second{model=\"" + classifier + "\",phase=\"fine-tune\",trainer=\"test-trainer\"}"))
                .body(containsString("graft_training_phase_duration_seconds_count{model=\"" + classifier + "\",phase=\"fine-tune\",trainer=\"test-trainer\"} 1.0"))
                .body(containsString("graft_training_phase_active{model=\"" + classifier + "\",phase=\"fine-tune\",trainer=\"test-trainer\"} 0.0"));
    }

    @Test
    void aStoreThatCannotTakeTheVersionFailsTheRequestWithTheReasonAndLeavesNothingBehind() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        TestImages.classFolders(Path.of(dataRoot, run), 6, 1);
        String model = "blocked-" + run;
        // where the model's folder would go, a file: the store cannot write there, as on a read-only or full disk
        java.nio.file.Files.writeString(store.folder().orElseThrow().resolve(model), "not a folder");
        String requestId = "blocked-" + run;
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            kafka.send(Topics.TRAINING_REQUESTS, requestId, request(requestId, model, "classification", run, run,
                    "{\"architecture\": \"small-convnet\", \"weights\": \"random\", \"inputHeight\": 32, \"inputWidth\": 32}",
                    "null"));
            TrainingEvent outcome = outcomeOf(kafka, requestId, new ArrayList<>());
            assertThat(outcome.type()).isEqualTo(TrainingEvent.Type.FAILED);
            assertThat(outcome.message()).contains("could not publish a version of " + model);
            // nothing announced: the versions topic, read to its end after the outcome, names no version of it
            assertThat(kafka.readAll(Topics.MODEL_VERSIONS)).noneSatisfy(r -> assertThat(r.value()).contains("\"" + model + "\""));
        }
        assertThat(store.versions(model)).isEmpty();
        assertThat(java.nio.file.Files.readString(store.folder().orElseThrow().resolve(model))).isEqualTo("not a folder");
        given().when().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    void aStoredBaseWithAJavaSerializedObjectInItsZipFailsTheRequestWithoutDeserializingIt() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        TestImages.classFolders(Path.of(dataRoot, run), 6, 1);
        String tripped = "tripped-" + run;
        org.deeplearning4j.nn.graph.ComputationGraph graph = new org.deeplearning4j.nn.graph.ComputationGraph(
                new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().graphBuilder().addInputs("input")
                        .setInputTypes(org.deeplearning4j.nn.conf.inputs.InputType.convolutional(32, 32, 3))
                        .addLayer("conv", new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(3, 3).nOut(4).build(), "input")
                        .addLayer("out", new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder().nOut(2)
                                .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build(), "conv")
                        .setOutputs("out").build());
        graph.init();
        store.publish(ModelManifest.draft(tripped, Task.CLASSIFICATION, List.of("a", "b"), null,
                        dev.graft.contract.manifest.InputShape.rgb(32, 32), dev.graft.contract.manifest.Preprocessing.UNIT,
                        java.util.Map.of("accuracy", 0.5), new dev.graft.contract.manifest.BaseLineage("small-convnet", "random", "conv"),
                        "planted"),
                file -> {
                    org.deeplearning4j.util.ModelSerializer.writeModel(graph, file.toFile(), false);
                    Tripwire.plant(file);
                });
        int fired = Tripwire.fired();
        String before = metrics();
        String requestId = "on-tripped-" + run;
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            kafka.send(Topics.TRAINING_REQUESTS, requestId, request(requestId, "after-" + run, "classification", run, run,
                    "{\"weights\": \"model:" + tripped + "\"}", "null"));
            List<TrainingEvent> events = new ArrayList<>();
            TrainingEvent outcome = outcomeOf(kafka, requestId, events);
            assertThat(outcome.type()).isEqualTo(TrainingEvent.Type.FAILED);
            assertThat(outcome.message()).contains("cannot load base model " + tripped + "@1")
                    .contains("holds [preprocessor.bin], which Graft never writes");
            assertThat(events).extracting(TrainingEvent::type).containsExactly(TrainingEvent.Type.ACCEPTED,
                    TrainingEvent.Type.DATASET, TrainingEvent.Type.FAILED);
        }
        assertThat(Tripwire.fired()).as("deserializations of the planted object").isEqualTo(fired);
        assertThat(dev.graft.store.security.SerialFilter.installed()).as("the trainer set the JVM-wide filter at start").isTrue();
        assertThat(jobs(metrics(), "failed") - jobs(before, "failed")).isEqualTo(1);
        assertThat(store.versions("after-" + run)).isEmpty();
    }
}
