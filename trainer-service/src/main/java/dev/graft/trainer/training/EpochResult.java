package dev.graft.trainer.training;

/**
 * One finished epoch: mean training loss, validation loss and the task metric on validation
 * (accuracy, or mean absolute error in real units).
 */
public record EpochResult(String phase, int epoch, int epochs, double trainLoss, String metric,
                          double validationLoss, double validationMetric, double rmse, double imagesPerSecond) {
}
