package dev.graft.inference.endpoint;

import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.events.PredictionRecord;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.inference.TestModels;
import dev.graft.store.ModelStore;
import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.testing.KafkaTestClient;
import dev.graft.testing.TraceContexts;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The inference side of a trace: the load of a version is a span of the trace its model-version event
 * carries (the training's), and a prediction's log record names the trace of the request that asked for
 * it, continued from the caller's {@code traceparent}. Spans as the application exports them (an
 * in-memory exporter in place of a collector).
 */
@QuarkusTest
@TestProfile(TracingOverKafkaTest.EventsOnly.class)
@QuarkusTestResource(KafkaBrokerTestResource.class)
class TracingOverKafkaTest {
    /** The store is listed at start-up only: a scan that found the version first would load it outside the event's trace. */
    public static class EventsOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("graft.serving.rescan-interval", "0");
        }
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    /** The application's exporter in tests: every sampled span, kept in memory. */
    @ApplicationScoped
    static class Spans {
        @Produces
        @Singleton
        InMemorySpanExporter exporter() {
            return InMemorySpanExporter.create();
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;
    @Inject
    ModelStore store;
    @Inject
    InMemorySpanExporter exporter;

    @Test
    void theLoadJoinsTheTrainingsTraceAndTheLogRecordNamesTheRequestsTrace() {
        String model = "traced-" + UUID.randomUUID().toString().substring(0, 8);
        ModelManifest manifest = TestModels.publishClassifier(store, model, 3);
        String training = TraceContexts.traceId();
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            kafka.send(Topics.MODEL_VERSIONS, model, Json.write(ModelVersionEvent.of(manifest)),
                    Map.of("traceparent", TraceContexts.traceparent(training, TraceContexts.spanId())));
            PredictOverHttpTest.awaitServing(model, 1);
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(exporter.getFinishedSpanItems())
                    .filteredOn(s -> s.getName().equals("load " + model + " 1")).extracting(SpanData::getTraceId)
                    .as("the load, in the training's trace").containsExactly(training));

            String request = TraceContexts.traceId();
            String id = given().header("traceparent", TraceContexts.traceparent(request, TraceContexts.spanId())).contentType("image/png")
                    .body(TestModels.png(0xff0000, 8)).post("/api/models/{model}/predict", model).then().statusCode(200)
                    .extract().jsonPath().getString("predictionId");
            PredictionRecord logged = kafka.readRecordsUntil(Topics.PREDICTIONS, r -> r.key().equals(id), TIMEOUT).stream()
                    .filter(r -> r.key().equals(id)).map(r -> Json.read(r.value(), PredictionRecord.class)).findFirst()
                    .orElseThrow();
            assertThat(logged.traceId()).as("the log record names the request's trace").isEqualTo(request);
        }
    }
}
