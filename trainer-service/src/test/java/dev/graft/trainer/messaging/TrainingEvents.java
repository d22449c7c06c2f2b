package dev.graft.trainer.messaging;

import dev.graft.kafka.KafkaTestClient;
import dev.graft.shared.events.Topics;
import dev.graft.shared.events.TrainingEvent;
import dev.graft.shared.json.Json;

import java.time.Duration;
import java.util.List;

/** What the trainer published about one request, read from graft.training.events. */
final class TrainingEvents {
    private TrainingEvents() {
    }

    /** The request's events, read until its {@code finals}-th final one (each delivery is answered once). */
    static List<TrainingEvent> of(KafkaTestClient kafka, String requestId, int finals, Duration timeout) {
        int[] seen = {0};
        return kafka.readUntil(Topics.TRAINING_EVENTS, json -> {
                    TrainingEvent event = Json.read(json, TrainingEvent.class);
                    return requestId.equals(event.requestId()) && event.isFinal() && ++seen[0] == finals;
                }, timeout).stream().map(json -> Json.read(json, TrainingEvent.class))
                .filter(event -> requestId.equals(event.requestId())).toList();
    }
}
