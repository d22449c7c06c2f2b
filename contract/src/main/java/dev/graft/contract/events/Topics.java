package dev.graft.contract.events;

import java.util.List;

/** Kafka topic names: the contract between the trainer, the inference service and the CLI. */
public final class Topics {
    public static final String TRAINING_REQUESTS = "graft.training.requests";
    public static final String TRAINING_EVENTS = "graft.training.events";
    public static final String MODEL_VERSIONS = "graft.model.versions";
    /** Training requests the trainer could not read or validate, unchanged, with the reason in headers. */
    public static final String TRAINING_REQUESTS_DLQ = "graft.training.requests.dlq";
    /** Cancellations, key = requestId, value {"requestId": ...}: every trainer reads them all. */
    public static final String TRAINING_CANCELLATIONS = "graft.training.cancellations";
    /** Every answered prediction (or a configured share of them), key = prediction id: {@link PredictionRecord}. */
    public static final String PREDICTIONS = "graft.predictions";
    /** What a prediction should have been, key = prediction id: {@link FeedbackRecord}; the last one per id counts. */
    public static final String FEEDBACK = "graft.feedback";
    /** Feedback records the loop service could not use, unchanged, with the reason in headers. */
    public static final String FEEDBACK_DLQ = "graft.feedback.dlq";
    /** A prediction joined with its feedback, key = prediction id: {@link LabelledExample}; the last per id counts. */
    public static final String EXAMPLES = "graft.examples";
    /**
     * How each version in shadow compares with the serving one on the live examples both answered, key =
     * model: {@link ShadowComparison}, the last per model counts (the inference service's live gate reads it).
     */
    public static final String SHADOW_COMPARISONS = "graft.shadow.comparisons";

    /** Every topic, as bin/graft and docker-compose create them (deploy's TopicNamesTest keeps them in step). */
    public static final List<String> ALL = List.of(TRAINING_REQUESTS, TRAINING_EVENTS, MODEL_VERSIONS,
            TRAINING_REQUESTS_DLQ, TRAINING_CANCELLATIONS, PREDICTIONS, FEEDBACK, FEEDBACK_DLQ, EXAMPLES, SHADOW_COMPARISONS);

    private Topics() {
    }
}
