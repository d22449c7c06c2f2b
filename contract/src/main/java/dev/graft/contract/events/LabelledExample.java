package dev.graft.contract.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.graft.contract.manifest.Task;

import java.time.Instant;

/**
 * A live prediction and what it should have been, published on {@link Topics#EXAMPLES} keyed by the
 * prediction id: the join of a {@link PredictionRecord} and the last {@link FeedbackRecord} on it.
 *
 * @param predicted the label the version answered (classifier); {@code predictedValue} its value (regressor)
 * @param label the true label (classifier); {@code value} the true value (regressor)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LabelledExample(String predictionId, String model, int version, Task task, String predicted,
                              Double predictedValue, String label, Double value, String imageSha256,
                              String capturedImage, Instant predictedAt, Instant labelledAt) {

    public static LabelledExample of(PredictionRecord prediction, FeedbackRecord feedback) {
        return new LabelledExample(prediction.predictionId(), prediction.model(), prediction.version(), prediction.task(),
                prediction.label(), prediction.value(), feedback.label(), feedback.value(), prediction.imageSha256(),
                prediction.capturedImage(), prediction.time(), feedback.time());
    }

    /** A classifier's answer was the true label. */
    @JsonIgnore
    public boolean correct() {
        return label != null && label.equals(predicted);
    }

    /** A regressor's distance from the true value. */
    @JsonIgnore
    public double absoluteError() {
        return Math.abs(predictedValue - value);
    }
}
