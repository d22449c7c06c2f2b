package dev.graft.trainer.training;

/**
 * One finished epoch: mean training loss over its batches, the task metric on the training images
 * (inference mode, at the epoch's end), validation loss and metric (accuracy, or mean absolute error
 * in real units, with RMSE beside it), speed, the estimated time left and the learning rate it trained at.
 */
public record EpochResult(String phase, int epoch, int epochs, double trainLoss, String metric, double trainMetric,
                          double validationLoss, double validationMetric, double validationRmse,
                          double imagesPerSecond, double seconds, double etaSeconds, double learningRate) {
}
