package dev.graft.deploy;

import dev.graft.testing.KafkaTestClient;
import dev.graft.contract.events.Topics;
import dev.graft.contract.events.TrainingEvent;
import dev.graft.contract.json.Json;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/** Waiting for a request's events on the training-events topic, as the tests of packaged trainers do. */
final class TrainingEvents {
    private TrainingEvents() {
    }

    /** The first event of the request that passes {@code test}, reading the topic from its start. */
    static TrainingEvent await(KafkaTestClient client, String requestId, Predicate<TrainingEvent> test, Duration timeout) {
        List<String> read = client.readUntil(Topics.TRAINING_EVENTS, json -> {
            TrainingEvent event = Json.read(json, TrainingEvent.class);
            return requestId.equals(event.requestId()) && test.test(event);
        }, timeout);
        return Json.read(read.get(read.size() - 1), TrainingEvent.class);
    }
}
