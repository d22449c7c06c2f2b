package dev.graft.inference.predict;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.graft.contract.manifest.Task;

import java.util.List;
import java.util.Map;

/**
 * A prediction as returned to the caller: its id (for feedback on it), the version that made it, and
 * either the label with the probability of every label and the top k, or the value in real units (e.g. a
 * price).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Prediction(String predictionId, String model, int version, Task task, String label,
                         Map<String, Double> probabilities, List<Scored> top, Double value) {

    Prediction withId(String id) {
        return new Prediction(id, model, version, task, label, probabilities, top, value);
    }

    /** A label and its probability, for the top-k list (most probable first). */
    public record Scored(String label, double probability) {
    }
}
