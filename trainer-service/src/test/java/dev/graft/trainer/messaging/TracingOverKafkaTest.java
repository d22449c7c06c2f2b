package dev.graft.trainer.messaging;

import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.testing.KafkaBrokerTestResource;
import dev.graft.testing.KafkaTestClient;
import dev.graft.testing.TestImages;
import dev.graft.testing.TraceContexts;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A training continues its sender's trace: the request record's {@code traceparent} is the parent of the
 * training's span, the phases and the store write are spans inside it, every training event carries the
 * trace id, and the model-version event carries the trace on (its own {@code traceparent}) to whoever loads
 * the version. Spans as the application exports them (an in-memory exporter in place of a collector).
 */
@QuarkusTest
@QuarkusTestResource(KafkaBrokerTestResource.class)
class TracingOverKafkaTest {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

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
    @ConfigProperty(name = "graft.data-root")
    String dataRoot;
    @Inject
    InMemorySpanExporter exporter;

    @Test
    void aTrainingContinuesTheRequestsTraceThroughItsPhasesTheStoreAndTheModelVersionEvent() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String model = "traced-" + run;
        Path data = Path.of(dataRoot, run);
        TestImages.classFolders(data.resolve("train"), 8, 1);
        TestImages.classFolders(data.resolve("validation"), 4, 2);
        String traceId = TraceContexts.traceId();
        String parent = TraceContexts.spanId();
        String request = """
                {"requestId": "%s", "model": "%s", "task": "classification",
                 "dataset": {"train": "%s/train", "validation": "%s/validation"},
                 "base": {"architecture": "small-convnet", "weights": "random", "inputHeight": 32, "inputWidth": 32},
                 "head": {"units": 8, "dropout": 0.0},
                 "frozen": {"epochs": 1, "learningRate": 0.01, "batchSize": 8},
                 "fineTune": {"epochs": 1, "learningRate": 0.001, "batchSize": 8, "unfreezeFrom": "block3_conv1"}}
                """.formatted(model + "-1", model, run, run);
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrap)) {
            kafka.send(Topics.TRAINING_REQUESTS, model, request, Map.of("traceparent", TraceContexts.traceparent(traceId, parent)));
            List<TrainingEvent> events = TrainingEvents.of(kafka, model + "-1", 1, TIMEOUT);
            assertThat(events).filteredOn(TrainingEvent::isFinal).singleElement()
                    .satisfies(e -> assertThat(e.type()).as(e.message()).isEqualTo(TrainingEvent.Type.SUCCEEDED));
            assertThat(events).extracting(TrainingEvent::traceId).as("every event, accepted to succeeded").containsOnly(traceId);

            ConsumerRecord<String, String> announced = kafka.readRecordsUntil(Topics.MODEL_VERSIONS,
                    r -> r.key().equals(model), TIMEOUT).stream().filter(r -> r.key().equals(model)).findFirst().orElseThrow();
            assertThat(new String(announced.headers().lastHeader("traceparent").value(), StandardCharsets.UTF_8))
                    .as("the model-version event carries the trace on").startsWith("00-" + traceId + "-");
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<SpanData> spans = exporter.getFinishedSpanItems().stream()
                    .filter(s -> s.getTraceId().equals(traceId)).toList();
            SpanData train = spans.stream().filter(s -> s.getName().equals("train " + model)).findFirst().orElseThrow();
            assertThat(train.getParentSpanId()).as("the sender's span is the training's parent").isEqualTo(parent);
            assertThat(spans).filteredOn(s -> s.getName().startsWith("phase ") || s.getName().equals("store " + model))
                    .extracting(SpanData::getParentSpanId).as("phases and the store write, inside the training")
                    .hasSizeGreaterThanOrEqualTo(3).containsOnly(train.getSpanId());
            assertThat(spans).extracting(SpanData::getName).contains("store " + model);
        });
    }
}
