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
import org.apache.kafka.common.KafkaException;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Publishes answered predictions on {@link Topics#PREDICTIONS} from a bounded buffer on a thread of its
 * own: a request only offers its record, so a slow or absent Kafka never delays or fails an answer. A
 * full buffer drops the record; drops, failed sends and sent records are counted in
 * {@code graft_prediction_log_records_total{outcome}}.
 */
@ApplicationScoped
public class PredictionLog {
    private static final Logger LOG = Logger.getLogger(PredictionLog.class);
    private static final long DRAIN_ON_STOP_MS = 5000;

    private final LoopProducer producer;
    private final boolean enabled;
    private final double share;
    private final Map<String, Double> modelShare;
    private final BlockingQueue<PredictionRecord> buffer;
    private final Counter sent;
    private final Counter dropped;
    private final Counter failed;
    private final Thread thread = new Thread(this::drain, "graft-prediction-log");
    private volatile boolean stopping;

    public PredictionLog(LoopProducer producer, InferenceConfig config, MeterRegistry registry) {
        InferenceConfig.Predictions.Log log = config.predictions().log();
        if (log.buffer() < 1 || !aShare(log.share()) || !log.modelShare().values().stream().allMatch(PredictionLog::aShare)) {
            throw new IllegalArgumentException("graft.predictions.log.share and each model-share must be within 0..1, and"
                    + " graft.predictions.log.buffer at least 1, not " + log.share() + ", " + log.modelShare() + " and "
                    + log.buffer());
        }
        this.producer = producer;
        this.enabled = log.enabled();
        this.share = log.share();
        this.modelShare = Map.copyOf(log.modelShare());
        this.buffer = new ArrayBlockingQueue<>(log.buffer());
        this.sent = counter(registry, "sent");
        this.dropped = counter(registry, "dropped");
        this.failed = counter(registry, "failed");
        thread.setDaemon(true);
    }

    private static Counter counter(MeterRegistry registry, String outcome) {
        return Counter.builder("graft_prediction_log_records").tag("outcome", outcome)
                .description("Prediction log records by outcome: sent (acknowledged by Kafka), dropped (buffer full),"
                        + " failed (Kafka refused or did not answer in time)").register(registry);
    }

    void start(@Observes StartupEvent started) {
        if (enabled) {
            thread.start();
        }
    }

    private static boolean aShare(double share) {
        return share >= 0 && share <= 1;
    }

    /** Whether a prediction of this model is to be logged: the log is on and the prediction falls in its model's share. */
    public boolean sampled(String model) {
        double modelShare = this.modelShare.getOrDefault(model, share);
        return enabled && modelShare > 0 && (modelShare >= 1 || ThreadLocalRandom.current().nextDouble() < modelShare);
    }

    /** Never blocks: a full buffer drops the record and counts it. */
    public void offer(PredictionRecord record) {
        if (stopping || !buffer.offer(record)) {
            dropped.increment();
        }
    }

    private void drain() {
        while (true) {
            PredictionRecord record;
            try {
                record = buffer.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (record == null) {
                if (stopping) {
                    return;
                }
                continue;
            }
            try {
                producer.send(Topics.PREDICTIONS, record.predictionId(), Json.write(record),
                        (metadata, error) -> (error == null ? sent : failed).increment());
            } catch (KafkaException e) {
                // Kafka's metadata did not come within the producer's max.block.ms: this record is lost, counted
                failed.increment();
                LOG.debugf("prediction log: %s", e.toString());
            }
        }
    }

    /** What is buffered goes out before the producer closes, for a few seconds at most. */
    void stop(@Observes ShutdownEvent shutdown) throws InterruptedException {
        stopping = true;
        if (thread.isAlive()) {
            thread.join(DRAIN_ON_STOP_MS);
            thread.interrupt();
        }
    }
}
