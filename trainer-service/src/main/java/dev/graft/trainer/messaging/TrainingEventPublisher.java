package dev.graft.trainer.messaging;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;
import io.smallrye.reactive.messaging.kafka.Record;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes training progress (keyed by requestId), new model versions (keyed by model), and requests
 * that cannot be read or validated to the dead-letter topic, unchanged, with the reason in headers.
 */
@ApplicationScoped
public class TrainingEventPublisher {
    public static final String EVENTS_CHANNEL = "training-events";
    public static final String VERSIONS_CHANNEL = "model-versions";
    public static final String DEAD_LETTER_CHANNEL = "training-requests-dlq";
    /** Header names as SmallRye's own dead-letter strategy writes them, so the same tools read both. */
    public static final String REASON_HEADER = "dead-letter-reason";
    private static final long SEND_TIMEOUT_SECONDS = 60;

    private final Emitter<Record<String, String>> events;
    private final Emitter<Record<String, String>> versions;
    private final Emitter<String> deadLetters;

    public TrainingEventPublisher(@Channel(EVENTS_CHANNEL) Emitter<Record<String, String>> events,
                                  @Channel(VERSIONS_CHANNEL) Emitter<Record<String, String>> versions,
                                  @Channel(DEAD_LETTER_CHANNEL) Emitter<String> deadLetters) {
        this.events = events;
        this.versions = versions;
        this.deadLetters = deadLetters;
    }

    /** Progress is fire-and-forget: a lost epoch line must not stop a training. */
    public void progress(TrainingEvent event) {
        events.send(Record.of(event.requestId(), Json.write(traced(event))));
    }

    /** Outcomes are awaited, so one that cannot be published is seen and logged (it stays in the journal). */
    public void outcome(TrainingEvent event) {
        await(events.send(Record.of(event.requestId(), Json.write(traced(event)))), "training event");
    }

    /** The event with the current trace's id (the training's, on its thread), if there is one. */
    private static TrainingEvent traced(TrainingEvent event) {
        SpanContext span = Span.current().getSpanContext();
        return span.isValid() ? event.withTraceId(span.getTraceId()) : event;
    }

    public void version(ModelVersionEvent event) {
        await(versions.send(Record.of(event.model(), Json.write(event))), "model-version event");
    }

    /** The request as it arrived (key and value), with why it was refused and where it came from. */
    public void deadLetter(String key, String value, String topic, int partition, long offset, String reason) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        headers.add("dead-letter-topic", topic.getBytes(StandardCharsets.UTF_8));
        headers.add("dead-letter-partition", Integer.toString(partition).getBytes(StandardCharsets.UTF_8));
        headers.add("dead-letter-offset", Long.toString(offset).getBytes(StandardCharsets.UTF_8));
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String>builder()
                .withKey(key).withHeaders(headers).build();
        CompletableFuture<Void> sent = new CompletableFuture<>();
        deadLetters.send(Message.of(value, Metadata.of(metadata), () -> {
            sent.complete(null);
            return CompletableFuture.completedFuture(null);
        }, failure -> {
            sent.completeExceptionally(failure);
            return CompletableFuture.completedFuture(null);
        }));
        await(sent, "dead-letter record");
    }

    private static void await(java.util.concurrent.CompletionStage<Void> sent, String what) {
        try {
            sent.toCompletableFuture().get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not publish the " + what + " to Kafka: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing the " + what, e);
        }
    }
}
