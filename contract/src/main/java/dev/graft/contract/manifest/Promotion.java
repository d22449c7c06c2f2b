package dev.graft.contract.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * When a version may replace the serving one under the inference service's {@code gated} policy:
 * its validation {@code metric} must beat the serving version's, or, when {@code threshold} is set,
 * reach the threshold. Named in the training request and carried in the manifest.
 *
 * @param metric    a validation metric of the manifest: accuracy or loss (classification), mae, rmse
 *                  or loss (regression); null for the task's own (accuracy, mae)
 * @param threshold the value to reach (at least for accuracy, at most for the others); null to
 *                  compare with the serving version instead
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Promotion(String metric, Double threshold) {

    public static final Promotion DEFAULT = new Promotion(null, null);

    /** The metrics a request may name for a task. */
    public static List<String> metrics(Task task) {
        return task == Task.CLASSIFICATION ? List.of("accuracy", "loss") : List.of("mae", "rmse", "loss");
    }

    public String metricFor(Task task) {
        return metric != null ? metric : task == Task.CLASSIFICATION ? "accuracy" : "mae";
    }

    public static boolean higherIsBetter(String metric) {
        return metric.equals("accuracy");
    }

    /**
     * Empty when {@code candidate} may serve instead of {@code serving} (null when nothing serves);
     * otherwise the reason it is held back.
     */
    public static Optional<String> heldBackReason(ModelManifest candidate, ModelManifest serving) {
        Promotion promotion = candidate.promotion() != null ? candidate.promotion() : DEFAULT;
        String metric = promotion.metricFor(candidate.task());
        Double value = candidate.metrics().get(metric);
        if (value == null || value.isNaN()) {
            return Optional.of("its manifest has no validation " + metric);
        }
        boolean higher = higherIsBetter(metric);
        if (promotion.threshold() != null) {
            boolean meets = higher ? value >= promotion.threshold() : value <= promotion.threshold();
            return meets ? Optional.empty() : Optional.of(String.format(Locale.ROOT,
                    "validation %s %.4f does not reach the request's threshold %.4f", metric, value, promotion.threshold()));
        }
        if (serving == null) {
            return Optional.empty();
        }
        Double current = serving.metrics().get(metric);
        if (current == null || current.isNaN()) {
            return Optional.empty();
        }
        boolean beats = higher ? value > current : value < current;
        return beats ? Optional.empty() : Optional.of(String.format(Locale.ROOT,
                "validation %s %.4f does not beat serving version %d's %.4f", metric, value, serving.version(), current));
    }

    /** Checks a promotion named in a training request; empty when valid. */
    public Optional<String> problem(Task task) {
        if (metric != null && task != null && !metrics(task).contains(metric)) {
            return Optional.of("promotion.metric must be one of " + metrics(task));
        }
        if (threshold != null && !Double.isFinite(threshold)) {
            return Optional.of("promotion.threshold must be a finite number");
        }
        return Optional.empty();
    }
}
