package dev.graft.trainer.training;

import dev.graft.contract.manifest.BaseLineage;
import dev.graft.contract.manifest.Task;
import dev.graft.trainer.base.Base;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The last step: the kept network scored on the validation images, and the report of the whole training. */
final class Evaluation {
    private Evaluation() {
    }

    static TrainedModel of(TrainingPlan plan, ComputationGraph graph, Base base, TrainingData data, ImageSets images,
                           Progress progress, String fineTuneMode) {
        boolean classification = plan.task() == Task.CLASSIFICATION;
        Evaluator evaluator = new Evaluator(plan.task(), plan.loss(), data.normalization());
        INDArray predictions = EpochLoop.output(graph, images.validationImages());
        Evaluator.Scores scores = evaluator.score(predictions, images.validationLabels());
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", scores.loss());
        metrics.put(evaluator.metricName(), scores.metric());
        int[][] confusion = null;
        Map<String, Double> residuals = null;
        double[][] predictedVsActual = null;
        if (classification) {
            confusion = Evaluator.confusion(predictions, images.validationLabels(), data.train().labels().size());
        } else {
            metrics.put("rmse", scores.rmse());
            predictedVsActual = evaluator.realValues(predictions, images.validationLabels());
            residuals = Evaluator.residualSummary(predictedVsActual[0], predictedVsActual[1]);
        }
        TrainingReport report = new TrainingReport(plan.requestId(), plan.model(), plan.task(), data.train().labels(),
                data.train().size(), data.validation().size(),
                classification ? data.train().countsByLabel() : null,
                classification ? data.validation().countsByLabel() : null,
                progress.history(), progress.best(), metrics, confusion, residuals, progress.phaseSeconds(),
                progress.frozenMode(), fineTuneMode, progress.stoppedEarly().isEmpty() ? null : progress.stoppedEarly(),
                List.of());
        return new TrainedModel(graph, data.train().labels(), data.normalization(), base.inputShape(), base.preprocessing(),
                metrics, new BaseLineage(base.architectureId(), base.weights(), base.featureVertex()), report,
                predictedVsActual);
    }
}
