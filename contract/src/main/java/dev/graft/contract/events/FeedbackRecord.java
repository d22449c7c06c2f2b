package dev.graft.contract.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;

/**
 * What a prediction should have been, published on {@link Topics#FEEDBACK} keyed by the prediction's id:
 * the true label for a classifier, the true value for a regressor. A later record for the same id
 * replaces an earlier one.
 *
 * @param version the version that made the prediction, as its id says
 * @param source {@code http} for the inference service's feedback endpoint; anything else a producer names
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FeedbackRecord(String predictionId, String model, Integer version, String label, Double value,
                             Instant time, String source) {
}
