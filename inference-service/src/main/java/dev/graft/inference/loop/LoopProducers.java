package dev.graft.inference.loop;

import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The loop's two producers, with the application's kafka.* settings (servers, TLS, SASL). Apart, so that
 * a log backed up behind a slow Kafka never holds feedback up. A send waits at most
 * {@value #MAX_BLOCK_MS} ms for Kafka's metadata. Feedback gives up on a record after
 * {@value #FEEDBACK_DELIVERY_MS} ms: once its caller has been told it was not recorded, it is not
 * delivered later either.
 */
@ApplicationScoped
public class LoopProducers {
    static final int MAX_BLOCK_MS = 5000;
    static final int FEEDBACK_DELIVERY_MS = 10_000;

    private final Producer<String, String> log;
    private final Producer<String, String> feedback;

    public LoopProducers(@Identifier("default-kafka-broker") Map<String, Object> kafka) {
        this.log = producer(kafka, "graft-inference-predictions", 30_000);
        this.feedback = producer(kafka, "graft-inference-feedback", FEEDBACK_DELIVERY_MS);
    }

    private static Producer<String, String> producer(Map<String, Object> kafka, String clientId, int deliveryMs) {
        Map<String, Object> config = new HashMap<>(kafka);
        config.putAll(Map.of("client.id", clientId,
                "acks", "all",
                "enable.idempotence", true,
                "linger.ms", 5,
                "max.block.ms", MAX_BLOCK_MS,
                "request.timeout.ms", deliveryMs / 2,
                "delivery.timeout.ms", deliveryMs));
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    Producer<String, String> log() {
        return log;
    }

    Producer<String, String> feedback() {
        return feedback;
    }

    @PreDestroy
    void close() {
        log.close(Duration.ofSeconds(5));
        feedback.close(Duration.ofSeconds(5));
    }
}
