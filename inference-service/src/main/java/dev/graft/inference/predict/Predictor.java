package dev.graft.inference.predict;

import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Task;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Network outputs to predictions: labels and probabilities, or values mapped back to real units. */
public final class Predictor {
    private Predictor() {
    }

    /** One prediction per output row, in row order; {@code topK} limits the top list (classification). */
    public static List<Prediction> predictions(ModelManifest manifest, INDArray output, int topK) {
        List<Prediction> predictions = new ArrayList<>((int) output.size(0));
        for (int row = 0; row < output.size(0); row++) {
            predictions.add(prediction(manifest, output, row, topK));
        }
        return predictions;
    }

    private static Prediction prediction(ModelManifest manifest, INDArray output, int row, int topK) {
        if (manifest.task() == Task.REGRESSION) {
            double value = manifest.targetNormalization().denormalize(output.getDouble(row, 0));
            return new Prediction(null, manifest.model(), manifest.version(), Task.REGRESSION, null, null, null, value);
        }
        List<String> labels = manifest.labels();
        Map<String, Double> probabilities = new LinkedHashMap<>();
        List<Prediction.Scored> ranked = new ArrayList<>(labels.size());
        for (int i = 0; i < labels.size(); i++) {
            double p = output.getDouble(row, i);
            probabilities.put(labels.get(i), p);
            ranked.add(new Prediction.Scored(labels.get(i), p));
        }
        ranked.sort(Comparator.comparingDouble(Prediction.Scored::probability).reversed());
        return new Prediction(null, manifest.model(), manifest.version(), Task.CLASSIFICATION, ranked.get(0).label(),
                probabilities, List.copyOf(ranked.subList(0, Math.min(topK, ranked.size()))), null);
    }
}
