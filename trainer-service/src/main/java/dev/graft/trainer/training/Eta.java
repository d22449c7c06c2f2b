package dev.graft.trainer.training;

/** The estimated seconds a training has left, told with every epoch. */
final class Eta {
    private final TrainingPlan plan;
    private final ImageSets images;

    Eta(TrainingPlan plan, ImageSets images) {
        this.plan = plan;
        this.images = images;
    }

    /** After {@code epoch} of {@code phase} took {@code phaseSeconds} in all: the phase's mean epoch for the rest, plus later phases. */
    double seconds(TrainingPlan.Phase phase, int epoch, double phaseSeconds, double forwardSecondsPerImage) {
        return phaseSeconds / epoch * (phase.epochs() - epoch) + laterPhases(phase, forwardSecondsPerImage);
    }

    /** A fine-tune epoch costs about three forward passes per training image, plus validation and the train metric. */
    private double laterPhases(TrainingPlan.Phase current, double forwardSecondsPerImage) {
        if (!current.name().equals(TrainingPlan.FROZEN) || plan.fineTune().epochs() == 0
                || Double.isNaN(forwardSecondsPerImage)) {
            return 0;
        }
        long n = images.trainImages().size(0);
        double perEpoch = 3.0 * n + images.validationImages().size(0) + Math.min(n, EpochLoop.TRAIN_METRIC_SAMPLE);
        return plan.fineTune().epochs() * perEpoch * forwardSecondsPerImage;
    }
}
