package dev.graft.inference.loop;

import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Future;

/**
 * The one producer of the prediction log and the feedback topic, with the application's kafka.*
 * settings (servers, TLS, SASL). A send waits at most {@value #MAX_BLOCK_MS} ms for Kafka's metadata:
 * with Kafka away the log's own thread waits, never a request.
 */
@ApplicationScoped
public class LoopProducer {
    static final int MAX_BLOCK_MS = 5000;

    private final KafkaProducer<String, String> producer;

    public LoopProducer(@Identifier("default-kafka-broker") Map<String, Object> kafka) {
        Map<String, Object> config = new HashMap<>(kafka);
        config.putAll(Map.of("client.id", "graft-inference-loop",
                "acks", "all",
                "enable.idempotence", true,
                "linger.ms", 5,
                "max.block.ms", MAX_BLOCK_MS,
                "delivery.timeout.ms", 30_000,
                "request.timeout.ms", 10_000));
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    Future<RecordMetadata> send(String topic, String key, String value, Callback callback) {
        return producer.send(new ProducerRecord<>(topic, key, value), callback);
    }

    @PreDestroy
    void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
