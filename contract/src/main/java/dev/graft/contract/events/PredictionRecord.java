package dev.graft.contract.events;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.graft.contract.manifest.Task;

import java.time.Instant;
import java.util.List;

/**
 * One answered prediction, published on {@link Topics#PREDICTIONS} keyed by its id: what the caller got
 * (the top-k labels with their probabilities, or the value), from which version, how long it took, and
 * which image it was (its sha256), so that feedback on it can be joined and scored later.
 *
 * @param latencyMs from the request reaching the model to its answer, the queue for a batch included
 * @param imageSha256 of the encoded image as sent, or of the tensor's float32 bytes for tensor input
 * @param capturedImage where the image is kept ({@code graft.capture.images}): a file or {@code s3://} object
 *                      that exists unless the capture dropped it (its buffer or size bound full)
 * @param traceId the trace the request belongs to, where tracing is on
 * @param shadowOf set on a version in shadow's answer: the id of the answer the caller got for the same
 *                 image, which is also its key on the topic (so that both meet the feedback on it); such an
 *                 answer is never returned to a caller
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PredictionRecord(
        String predictionId,
        String model,
        int version,
        Task task,
        String label,
        List<Scored> top,
        Double value,
        double latencyMs,
        String imageSha256,
        String capturedImage,
        Instant time,
        String traceId,
        String shadowOf) {

    /** A version in shadow's answer, which the caller never got. */
    @JsonIgnore
    public boolean shadow() {
        return shadowOf != null;
    }

    /** Its key on {@link Topics#PREDICTIONS}: its own id, or a shadow answer's the caller's answer's id. */
    @JsonIgnore
    public String key() {
        return shadowOf != null ? shadowOf : predictionId;
    }

    /** A label and its probability, most probable first. */
    public record Scored(String label, double probability) {
    }
}
