package dev.graft.trainer.messaging;

import dev.graft.trainer.training.TrainingService;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Takes training requests off Kafka one at a time. Each runs on the trainer's own thread, not a
 * Vert.x worker (whose blocked-thread checker would log a stack trace every two seconds of a long
 * training); the returned stage completes when the training has ended either way, which
 * acknowledges the record and lets the next one in. The connector keeps polling meanwhile (paused),
 * so the consumer stays in its group (max age set in application.properties).
 */
@ApplicationScoped
public class TrainingRequestConsumer {
    public static final String CHANNEL = "training-requests";

    private final TrainingService trainings;
    private final ExecutorService trainingThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "graft-training"));

    public TrainingRequestConsumer(TrainingService trainings) {
        this.trainings = trainings;
    }

    @Incoming(CHANNEL)
    public CompletionStage<Void> consume(String json) {
        return CompletableFuture.runAsync(() -> trainings.handle(json), trainingThread);
    }

    @PreDestroy
    void stop() {
        trainingThread.shutdownNow();
    }
}
