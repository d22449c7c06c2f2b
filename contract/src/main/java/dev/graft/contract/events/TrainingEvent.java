package dev.graft.contract.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;
import java.util.Map;

/**
 * Progress of one training, published on {@link Topics#TRAINING_EVENTS} keyed by requestId.
 * Only the fields that make sense for the type are set.
 *
 * @param loss             EPOCH: mean training loss over the epoch's batches
 * @param trainMetric      EPOCH: the task metric on the training images (inference mode, epoch end)
 * @param seconds          EPOCH: how long the epoch took, validation included
 * @param etaSeconds       EPOCH: estimated seconds until the training ends (later phases estimated
 *                         from the cost of a forward pass)
 * @param classCounts      DATASET: training images per label (classification)
 * @param trainImages      DATASET: images in the training set
 * @param validationImages DATASET: images in the validation set
 * @param traceId          the trace of the training (W3C trace id, 32 hex digits): continued from the request
 *                         record's {@code traceparent} header when it has one
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
        Double trainMetric,
        Double validationLoss,
        Double validationMetric,
        Double imagesPerSecond,
        Double seconds,
        Double etaSeconds,
        Map<String, Integer> classCounts,
        Integer trainImages,
        Integer validationImages,
        Integer version,
        String message,
        Instant timestamp,
        String traceId) {

    public enum Type { ACCEPTED, DATASET, EPOCH, SUCCEEDED, FAILED, CANCELLED }

    public static TrainingEvent accepted(String requestId, String model, String message) {
        return of(requestId, model, Type.ACCEPTED, null, message);
    }

    public static TrainingEvent dataset(String requestId, String model, int trainImages, int validationImages,
                                        Map<String, Integer> classCounts, String message) {
        return new TrainingEvent(requestId, model, Type.DATASET, null, null, null, null, null, null, null, null, null,
                null, null, classCounts, trainImages, validationImages, null, message, Instant.now(), null);
    }

    public static TrainingEvent epoch(String requestId, String model, String phase, int epoch, int epochs,
                                      double loss, String metric, double trainMetric, double validationLoss,
                                      double validationMetric, double imagesPerSecond, double seconds,
                                      double etaSeconds) {
        return new TrainingEvent(requestId, model, Type.EPOCH, phase, epoch, epochs, loss, metric, trainMetric,
                validationLoss, validationMetric, imagesPerSecond, seconds, etaSeconds, null, null, null, null, null,
                Instant.now(), null);
    }

    public static TrainingEvent succeeded(String requestId, String model, int version, String message) {
        return of(requestId, model, Type.SUCCEEDED, version, message);
    }

    public static TrainingEvent failed(String requestId, String model, String reason) {
        return of(requestId, model, Type.FAILED, null, reason);
    }

    public static TrainingEvent cancelled(String requestId, String model, String message) {
        return of(requestId, model, Type.CANCELLED, null, message);
    }

    private static TrainingEvent of(String requestId, String model, Type type, Integer version, String message) {
        return new TrainingEvent(requestId, model, type, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, version, message, Instant.now(), null);
    }

    /** The same event in trace {@code id} (null for none). */
    public TrainingEvent withTraceId(String id) {
        return new TrainingEvent(requestId, model, type, phase, epoch, epochs, loss, metric, trainMetric, validationLoss,
                validationMetric, imagesPerSecond, seconds, etaSeconds, classCounts, trainImages, validationImages, version,
                message, timestamp, id);
    }

    /** True once nothing more will be published for this request. */
    @JsonIgnore
    public boolean isFinal() {
        return type == Type.SUCCEEDED || type == Type.FAILED || type == Type.CANCELLED;
    }
}
