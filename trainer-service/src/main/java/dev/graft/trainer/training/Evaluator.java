package dev.graft.trainer.training;

import dev.graft.contract.manifest.Task;
import dev.graft.contract.manifest.TargetNormalization;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Loss and the task metric in the units a user reads; the confusion matrix or residual summary at the end. */
public final class Evaluator {
    private final Task task;
    private final RegressionLoss loss;
    private final TargetNormalization normalization;

    public Evaluator(Task task, RegressionLoss loss, TargetNormalization normalization) {
        this.task = task;
        this.loss = loss;
        this.normalization = normalization;
    }

    String metricName() {
        return task == Task.CLASSIFICATION ? "accuracy" : "mae";
    }

    /** Unweighted loss (cross-entropy, or the regression loss on normalised targets), metric, and RMSE in real units (regression). */
    public record Scores(double loss, double metric, double rmse) {
    }

    public Scores score(INDArray predictions, INDArray labels) {
        long n = labels.size(0);
        if (task == Task.CLASSIFICATION) {
            INDArray logProbabilities = Transforms.log(Transforms.max(predictions.dup(), 1e-7), false);
            double loss = -logProbabilities.mul(labels).sumNumber().doubleValue() / n;
            double correct = predictions.argMax(1).eq(labels.argMax(1)).castTo(DataType.FLOAT).sumNumber().doubleValue();
            return new Scores(loss, correct / n, Double.NaN);
        }
        INDArray error = predictions.sub(labels);
        double squared = error.mul(error).sumNumber().doubleValue() / n;
        double absolute = Transforms.abs(error).sumNumber().doubleValue() / n;
        return new Scores(loss.of(squared, absolute), absolute * normalization.std(), Math.sqrt(squared) * normalization.std());
    }

    /** counts[true][predicted] over the rows of one-hot {@code labels}. */
    static int[][] confusion(INDArray predictions, INDArray labels, int classes) {
        int[][] counts = new int[classes][classes];
        long[] predicted = predictions.argMax(1).toLongVector();
        long[] actual = labels.argMax(1).toLongVector();
        for (int i = 0; i < actual.length; i++) {
            counts[(int) actual[i]][(int) predicted[i]]++;
        }
        return counts;
    }

    /** Predicted and true values in real units, for the residual summary and chart. */
    double[][] realValues(INDArray predictions, INDArray labels) {
        double[] predicted = predictions.reshape(-1).toDoubleVector();
        double[] actual = labels.reshape(-1).toDoubleVector();
        for (int i = 0; i < actual.length; i++) {
            predicted[i] = normalization.denormalize(predicted[i]);
            actual[i] = normalization.denormalize(actual[i]);
        }
        return new double[][]{predicted, actual};
    }

    /** Residuals (predicted - true) summarised: bias, spread, tail and R-squared. */
    static Map<String, Double> residualSummary(double[] predicted, double[] actual) {
        int n = actual.length;
        double[] residuals = new double[n];
        double[] absolute = new double[n];
        double sum = 0;
        double squares = 0;
        double mean = Arrays.stream(actual).average().orElse(0);
        double total = 0;
        for (int i = 0; i < n; i++) {
            residuals[i] = predicted[i] - actual[i];
            absolute[i] = Math.abs(residuals[i]);
            sum += residuals[i];
            squares += residuals[i] * residuals[i];
            total += (actual[i] - mean) * (actual[i] - mean);
        }
        Arrays.sort(absolute);
        Map<String, Double> summary = new LinkedHashMap<>();
        summary.put("count", (double) n);
        summary.put("mae", Arrays.stream(absolute).sum() / n);
        summary.put("rmse", Math.sqrt(squares / n));
        summary.put("meanError", sum / n);
        summary.put("medianAbsoluteError", quantile(absolute, 0.5));
        summary.put("p90AbsoluteError", quantile(absolute, 0.9));
        summary.put("maxAbsoluteError", absolute[n - 1]);
        summary.put("r2", total > 0 ? 1 - squares / total : Double.NaN);
        return summary;
    }

    private static double quantile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int low = (int) Math.floor(position);
        int high = Math.min(sorted.length - 1, low + 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
    }
}
