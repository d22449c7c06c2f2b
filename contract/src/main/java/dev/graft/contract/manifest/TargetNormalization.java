package dev.graft.contract.manifest;

import java.util.Collection;

/**
 * Regression targets are trained as (value - mean) / std; predictions are mapped back to real units
 * with the same two numbers, stored in the manifest.
 */
public record TargetNormalization(double mean, double std) {

    public TargetNormalization {
        if (!(std > 0) || !Double.isFinite(mean)) {
            throw new IllegalArgumentException("target normalization needs a finite mean and std > 0, got mean="
                    + mean + " std=" + std);
        }
    }

    /** Mean and population standard deviation of the training targets (std 1 when they are all equal). */
    public static TargetNormalization fit(Collection<Double> targets) {
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no targets to fit a normalization on");
        }
        double mean = targets.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double variance = targets.stream().mapToDouble(t -> (t - mean) * (t - mean)).sum() / targets.size();
        double std = Math.sqrt(variance);
        return new TargetNormalization(mean, std > 1e-12 ? std : 1.0);
    }

    public double normalize(double value) {
        return (value - mean) / std;
    }

    public double denormalize(double normalized) {
        return normalized * std + mean;
    }
}
