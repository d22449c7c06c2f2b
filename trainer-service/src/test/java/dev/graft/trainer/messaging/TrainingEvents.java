package dev.graft.trainer.messaging;

import dev.graft.testing.KafkaTestClient;
import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;

import java.time.Duration;
import java.util.List;

/** What the trainer published about one request, read from graft.training.events. */
final class TrainingEvents {
    private TrainingEvents() {
    }

    /**
     * The request's events once its {@code finals}-th final one is out (each delivery is answered
     * once): every one of them on the topic, read to its end, so that a caller counting finals sees
     * any extra one published with or before the awaited one.
     */
    static List<TrainingEvent> of(KafkaTestClient kafka, String requestId, int finals, Duration timeout) {
        int[] seen = {0};
        kafka.readUntil(Topics.TRAINING_EVENTS, json -> {
            TrainingEvent event = Json.read(json, TrainingEvent.class);
            return requestId.equals(event.requestId()) && event.isFinal() && ++seen[0] == finals;
        }, timeout);
        return all(kafka, requestId);
    }

    /** Every event of the request on the topic now. */
    static List<TrainingEvent> all(KafkaTestClient kafka, String requestId) {
        return kafka.readAll(Topics.TRAINING_EVENTS).stream().map(r -> Json.read(r.value(), TrainingEvent.class))
                .filter(event -> requestId.equals(event.requestId())).toList();
    }

    /** How many of {@code events} are final (SUCCEEDED, FAILED, CANCELLED). */
    static long finals(List<TrainingEvent> events) {
        return events.stream().filter(TrainingEvent::isFinal).count();
    }
}
