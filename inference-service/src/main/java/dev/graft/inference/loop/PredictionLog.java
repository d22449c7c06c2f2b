package dev.graft.inference.loop;

import dev.graft.contract.events.PredictionRecord;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.inference.config.InferenceConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Publishes answered predictions on {@link Topics#PREDICTIONS} from a bounded buffer on a thread of its
 * own: a request only offers its record, so a slow or absent Kafka never delays or fails an answer. A
 * full buffer drops the record. Every record offered ends in one count of
 * {@code graft_prediction_log_records_total{outcome}}: sent (Kafka has it), dropped (the buffer was
 * full, or still held it at shutdown), failed (Kafka refused it or did not answer in time).
 */
@ApplicationScoped
public class PredictionLog {
    private static final Duration DRAIN_ON_STOP = Duration.ofSeconds(5);

    private final LoopProducers producers;
    private final boolean enabled;
    private final double share;
    private final Map<String, Double> modelShare;
    private final BackgroundQueue<PredictionRecord> buffer;
    private final Counter sent;
    private final Counter dropped;
    private final Counter failed;

    public PredictionLog(LoopProducers producers, InferenceConfig config, MeterRegistry registry) {
        InferenceConfig.Predictions.Log log = config.predictions().log();
        if (log.buffer() < 1 || !aShare(log.share()) || !log.modelShare().values().stream().allMatch(PredictionLog::aShare)) {
            throw new IllegalArgumentException("graft.predictions.log.share and each model-share must be within 0..1, and"
                    + " graft.predictions.log.buffer at least 1, not " + log.share() + ", " + log.modelShare() + " and "
                    + log.buffer());
        }
        this.producers = producers;
        this.enabled = log.enabled();
        this.share = log.share();
        this.modelShare = Map.copyOf(log.modelShare());
        this.sent = counter(registry, "sent");
        this.dropped = counter(registry, "dropped");
        this.failed = counter(registry, "failed");
        this.buffer = new BackgroundQueue<>("graft-prediction-log", log.buffer(), Long.MAX_VALUE, record -> 0,
                this::send, record -> dropped.increment());
    }

    private static boolean aShare(double share) {
        return share >= 0 && share <= 1;
    }

    private static Counter counter(MeterRegistry registry, String outcome) {
        return Counter.builder("graft_prediction_log_records").tag("outcome", outcome)
                .description("Prediction log records by outcome: sent (acknowledged by Kafka), dropped (buffer full),"
                        + " failed (Kafka refused or did not answer in time)").register(registry);
    }

    void start(@Observes StartupEvent started) {
        if (enabled) {
            buffer.start(() -> { });
        }
    }

    /** Whether a prediction of this model is to be logged: the log is on and the prediction falls in its model's share. */
    public boolean sampled(String model) {
        double modelShare = this.modelShare.getOrDefault(model, share);
        return enabled && modelShare > 0 && (modelShare >= 1 || ThreadLocalRandom.current().nextDouble() < modelShare);
    }

    /** Never blocks: a full buffer drops the record and counts it. */
    public void offer(PredictionRecord record) {
        if (!buffer.offer(record)) {
            dropped.increment();
        }
    }

    private void send(PredictionRecord record) {
        try {
            // with Kafka away the producer waits for its metadata at most max.block.ms, then fails the callback
            producers.log().send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.PREDICTIONS,
                    record.key(), Json.write(record)), (metadata, error) -> (error == null ? sent : failed).increment());
        } catch (RuntimeException e) {
            failed.increment();
        }
    }

    /** What is buffered goes out before the producers close (they close after this event), for a few seconds at most. */
    void stop(@Observes ShutdownEvent shutdown) throws InterruptedException {
        buffer.stop(DRAIN_ON_STOP);
        producers.log().flush();
    }
}
