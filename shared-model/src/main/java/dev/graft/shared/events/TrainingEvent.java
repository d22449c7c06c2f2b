package dev.graft.shared.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;

/**
 * Progress of one training, published on {@link Topics#TRAINING_EVENTS} keyed by requestId.
 * Only the fields that make sense for the type are set.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TrainingEvent(
        String requestId,
        String model,
        Type type,
        String phase,
        Integer epoch,
        Integer epochs,
        Double loss,
        String metric,
        Double validationLoss,
        Double validationMetric,
        Double imagesPerSecond,
        Integer version,
        String message,
        Instant timestamp) {

    public enum Type { ACCEPTED, EPOCH, SUCCEEDED, FAILED }

    public static TrainingEvent accepted(String requestId, String model, String message) {
        return new TrainingEvent(requestId, model, Type.ACCEPTED, null, null, null, null, null, null, null,
                null, null, message, Instant.now());
    }

    public static TrainingEvent epoch(String requestId, String model, String phase, int epoch, int epochs,
                                      double loss, String metric, double validationLoss,
                                      double validationMetric, double imagesPerSecond) {
        return new TrainingEvent(requestId, model, Type.EPOCH, phase, epoch, epochs, loss, metric,
                validationLoss, validationMetric, imagesPerSecond, null, null, Instant.now());
    }

    public static TrainingEvent succeeded(String requestId, String model, int version, String message) {
        return new TrainingEvent(requestId, model, Type.SUCCEEDED, null, null, null, null, null, null, null,
                null, version, message, Instant.now());
    }

    public static TrainingEvent failed(String requestId, String model, String reason) {
        return new TrainingEvent(requestId, model, Type.FAILED, null, null, null, null, null, null, null,
                null, null, reason, Instant.now());
    }

    /** True once nothing more will be published for this request. */
    @JsonIgnore
    public boolean isFinal() {
        return type == Type.SUCCEEDED || type == Type.FAILED;
    }
}
