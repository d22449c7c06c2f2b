package dev.graft.trainer.training;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.manifest.Promotion;
import dev.graft.contract.manifest.Task;
import dev.graft.trainer.dataset.Augmentation;

import java.util.Map;

/**
 * A validated request with every default applied: what the recipe runs.
 *
 * @param loss            what a regression head minimises (MSE for classification, where it is unused)
 * @param augmentation    null for none
 * @param balancedClasses weigh each class by n / (classes * count), as scikit-learn's "balanced"
 * @param classWeights    a weight per label, checked against the labels when the data is read; empty for none
 * @param patience        epochs without improvement before a phase stops; 0 runs every epoch
 * @param promotion       recorded in the manifest for the inference service's gated policy; null for its default
 */
public record TrainingPlan(
        String requestId,
        String model,
        Task task,
        TrainingRequest.Dataset dataset,
        TrainingRequest.Base base,
        int headUnits,
        double dropout,
        RegressionLoss loss,
        Phase frozen,
        Phase fineTune,
        String unfreezeFrom,
        Augmentation augmentation,
        boolean balancedClasses,
        Map<String, Double> classWeights,
        int patience,
        long seed,
        Promotion promotion) {

    public static final String FROZEN = "frozen";
    public static final String FINE_TUNE = "fine-tune";

    /** @param learningRate the first epoch's rate; {@code schedule} gives each later one */
    public record Phase(String name, int epochs, double learningRate, int batchSize, LearningRateSchedule schedule) {
        /** The rate of epoch {@code epoch} (1-based) of this phase. */
        public double learningRate(int epoch) {
            return schedule.rate(learningRate, epoch, epochs);
        }
    }
}
