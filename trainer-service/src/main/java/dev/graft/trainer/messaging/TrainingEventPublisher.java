package dev.graft.trainer.messaging;

import dev.graft.shared.events.ModelVersionEvent;
import dev.graft.shared.events.TrainingEvent;
import dev.graft.shared.json.Json;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Publishes training progress (keyed by requestId) and new model versions (keyed by model). */
@ApplicationScoped
public class TrainingEventPublisher {
    public static final String EVENTS_CHANNEL = "training-events";
    public static final String VERSIONS_CHANNEL = "model-versions";
    private static final long SEND_TIMEOUT_SECONDS = 60;

    private final Emitter<Record<String, String>> events;
    private final Emitter<Record<String, String>> versions;

    public TrainingEventPublisher(@Channel(EVENTS_CHANNEL) Emitter<Record<String, String>> events,
                                  @Channel(VERSIONS_CHANNEL) Emitter<Record<String, String>> versions) {
        this.events = events;
        this.versions = versions;
    }

    /** Progress is fire-and-forget: a lost epoch line must not stop a training. */
    public void progress(TrainingEvent event) {
        events.send(Record.of(event.requestId(), Json.write(event)));
    }

    /** Outcomes are awaited: the request is acknowledged only once its outcome is on Kafka. */
    public void outcome(TrainingEvent event) {
        await(events.send(Record.of(event.requestId(), Json.write(event))), "training event");
    }

    public void version(ModelVersionEvent event) {
        await(versions.send(Record.of(event.model(), Json.write(event))), "model-version event");
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
