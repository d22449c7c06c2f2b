package dev.graft.trainer.messaging;

import dev.graft.trainer.training.TrainingQueue;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

import java.util.concurrent.CompletionStage;

/**
 * Takes training requests off Kafka and acknowledges each as soon as it is kept in the trainer's
 * journal (or answered); the training itself runs later on the {@link TrainingQueue}. The consumer
 * therefore never holds a record for the length of a training.
 */
@ApplicationScoped
public class TrainingRequestConsumer {
    public static final String CHANNEL = "training-requests";

    private final TrainingQueue queue;

    public TrainingRequestConsumer(TrainingQueue queue) {
        this.queue = queue;
    }

    @Incoming(CHANNEL)
    @Blocking
    public CompletionStage<Void> consume(Message<String> message) {
        RequestRecord record = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(kafka -> new RequestRecord(kafka.getKey() == null ? null : kafka.getKey().toString(),
                        message.getPayload(), kafka.getTopic(), kafka.getPartition(), kafka.getOffset()))
                .orElseGet(() -> new RequestRecord(null, message.getPayload(), CHANNEL, -1, -1));
        queue.take(record);
        return message.ack();
    }
}
