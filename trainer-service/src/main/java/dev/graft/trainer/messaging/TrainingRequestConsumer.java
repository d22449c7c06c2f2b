package dev.graft.trainer.messaging;

import dev.graft.trainer.training.TrainingService;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Takes training requests off Kafka one at a time. Each runs on the trainer's own thread, not a
 * Vert.x worker (whose blocked-thread checker would log a stack trace every two seconds of a long
 * training); the record is acknowledged once the training has ended either way, which lets the next
 * one in. The connector keeps polling meanwhile (paused), so the consumer stays in its group (max
 * age set in application.properties).
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
    @SuppressWarnings("unchecked")
    public CompletionStage<Void> consume(Message<String> message) {
        RequestRecord record = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(kafka -> new RequestRecord((String) kafka.getKey(), message.getPayload(), kafka.getTopic(),
                        kafka.getPartition(), kafka.getOffset()))
                .orElseGet(() -> new RequestRecord(null, message.getPayload(), CHANNEL, -1, -1));
        return CompletableFuture.runAsync(() -> trainings.handle(record), trainingThread).thenCompose(done -> message.ack());
    }

    @PreDestroy
    void stop() {
        trainingThread.shutdownNow();
    }
}
