package dev.graft.inference.predict;

import dev.graft.inference.versions.LoadedModel;
import dev.graft.shared.image.ImagePreprocessor;
import dev.graft.shared.manifest.ModelManifest;
import dev.graft.shared.manifest.Task;
import jakarta.enterprise.context.ApplicationScoped;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.Map;

/** Image bytes to a prediction, through the shared preprocessing the model was trained with. */
@ApplicationScoped
public class Predictor {

    public Prediction predict(LoadedModel model, BufferedImage image) {
        ModelManifest manifest = model.manifest();
        INDArray output = model.output(ImagePreprocessor.toBatch(image, manifest.inputShape()));
        if (manifest.task() == Task.REGRESSION) {
            double value = manifest.targetNormalization().denormalize(output.getDouble(0, 0));
            return new Prediction(manifest.model(), manifest.version(), Task.REGRESSION, null, null, value);
        }
        Map<String, Double> probabilities = new LinkedHashMap<>();
        int best = 0;
        for (int i = 0; i < manifest.labels().size(); i++) {
            probabilities.put(manifest.labels().get(i), output.getDouble(0, i));
            if (output.getDouble(0, i) > output.getDouble(0, best)) {
                best = i;
            }
        }
        return new Prediction(manifest.model(), manifest.version(), Task.CLASSIFICATION, manifest.labels().get(best),
                probabilities, null);
    }
}
