package dev.graft.trainer.messaging;

import dev.graft.trainer.training.TrainingService;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Takes training requests off Kafka one at a time on a dedicated worker. The record is acknowledged
 * when its training has ended either way; the connector keeps polling meanwhile (paused), so a long
 * training does not make the consumer leave its group (max age set in application.properties).
 */
@ApplicationScoped
public class TrainingRequestConsumer {
    public static final String CHANNEL = "training-requests";
    public static final String WORKER = "graft-training";

    private final TrainingService trainings;

    public TrainingRequestConsumer(TrainingService trainings) {
        this.trainings = trainings;
    }

    @Incoming(CHANNEL)
    @Blocking(WORKER)
    public void consume(String json) {
        trainings.handle(json);
    }
}
