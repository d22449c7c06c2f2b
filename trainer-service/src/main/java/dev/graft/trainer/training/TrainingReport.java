package dev.graft.trainer.training;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.graft.contract.manifest.Task;

import java.util.List;
import java.util.Map;

/**
 * What a training did, stored as report.json beside its model version and served by
 * {@code GET /api/trainings/{requestId}}.
 *
 * @param classCounts           training images per label (classification)
 * @param validationClassCounts validation images per label (classification)
 * @param history               every epoch of both phases, in order
 * @param best                  the epoch whose weights were kept (lowest validation loss)
 * @param finalMetrics          validation metrics of the kept weights
 * @param confusionMatrix       counts[true][predicted] on validation, rows and columns in label order
 * @param residuals             validation residual summary in real units (regression)
 * @param phaseSeconds          wall time per phase; "features" is the frozen base's one pass when cached
 * @param frozenPhase           how phase 1 ran: on cached features, or end to end and why
 * @param fineTunePhase         how phase 2 ran: on the cached output of the frozen layers below it, or end to end and why
 * @param stoppedEarly          phases that early stopping ended, with the epoch
 * @param charts                PNG files stored beside the report
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingReport(
        String requestId,
        String model,
        Task task,
        List<String> labels,
        int trainImages,
        int validationImages,
        Map<String, Integer> classCounts,
        Map<String, Integer> validationClassCounts,
        List<EpochResult> history,
        BestEpoch best,
        Map<String, Double> finalMetrics,
        int[][] confusionMatrix,
        Map<String, Double> residuals,
        Map<String, Double> phaseSeconds,
        String frozenPhase,
        String fineTunePhase,
        Map<String, Integer> stoppedEarly,
        List<String> charts) {

    public static final String FILE = "report.json";

    public record BestEpoch(String phase, int epoch, double validationLoss) {
    }

    public TrainingReport withCharts(List<String> files) {
        return new TrainingReport(requestId, model, task, labels, trainImages, validationImages, classCounts,
                validationClassCounts, history, best, finalMetrics, confusionMatrix, residuals, phaseSeconds,
                frozenPhase, fineTunePhase, stoppedEarly, List.copyOf(files));
    }
}
