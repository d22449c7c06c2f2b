package dev.graft.trainer.training;

import dev.graft.shared.events.TrainingRequest;
import dev.graft.shared.manifest.Task;

/** A validated request with every default applied: what the recipe runs. */
public record TrainingPlan(
        String requestId,
        String model,
        Task task,
        TrainingRequest.Dataset dataset,
        TrainingRequest.Base base,
        int headUnits,
        double dropout,
        Phase frozen,
        Phase fineTune,
        String unfreezeFrom,
        long seed) {

    public static final String FROZEN = "frozen";
    public static final String FINE_TUNE = "fine-tune";

    public record Phase(String name, int epochs, double learningRate, int batchSize) {
    }
}
