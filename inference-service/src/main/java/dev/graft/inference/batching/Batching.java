package dev.graft.inference.batching;

import dev.graft.inference.metrics.InferenceMetrics;

import dev.graft.inference.config.ServingSettings;
import jakarta.enterprise.context.ApplicationScoped;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.function.UnaryOperator;

/** Makes each loaded version's batch scheduler with its model's batch settings, reporting to the metrics. */
@ApplicationScoped
public class Batching implements BatchScheduler.Factory {
    private final ServingSettings settings;
    private final InferenceMetrics metrics;

    public Batching(ServingSettings settings, InferenceMetrics metrics) {
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public BatchScheduler create(String model, int version, UnaryOperator<INDArray> forward) {
        ServingSettings.ModelSettings batching = settings.forModel(model);
        String v = Integer.toString(version);
        return new BatchScheduler(model + "-" + version, forward, batching.maxBatchSize(), batching.maxWait(),
                (queueNanos, computeNanos, images) -> metrics.batch(model, v, queueNanos, computeNanos, images));
    }
}
