package dev.graft.loop.join;

import dev.graft.contract.events.FeedbackRecord;
import dev.graft.contract.events.LabelledExample;
import dev.graft.contract.events.PredictionRecord;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.Task;
import dev.graft.loop.live.LiveFigures;
import dev.graft.loop.live.LiveMetrics;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Joins each prediction with the feedback on it, by prediction id, in whichever order they come: a
 * prediction is kept for the window; feedback whose prediction has not come yet waits for it, as long.
 * Each join is a {@link LabelledExample} on {@link Topics#EXAMPLES} (a later answer for the same id
 * replaces the earlier one there and in the live figures). Feedback that cannot be used goes, unchanged,
 * to the dead-letter topic with the reason in a header. Every state lives in changelogged stores, so a
 * restart resumes where the last commit left off.
 */
final class FeedbackJoin implements Processor<String, String, String, String> {
    static final String PREDICTIONS = "predictions";
    static final String WAITING = "waiting-feedback";
    static final String EXAMPLES = "examples";
    static final String EXAMPLES_SINK = "examples-sink";
    static final String DLQ_SINK = "feedback-dlq-sink";
    static final String REASON_HEADER = "graft.reason";

    private final JoinSettings settings;
    private final JoinCounts counts;
    private final LiveMetrics live;
    private ProcessorContext<String, String> context;
    private KeyValueStore<String, String> predictions;
    private KeyValueStore<String, String> waiting;
    private KeyValueStore<String, String> examples;

    FeedbackJoin(JoinSettings settings, JoinCounts counts, LiveMetrics live) {
        this.settings = settings;
        this.counts = counts;
        this.live = live;
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
        this.context = context;
        this.predictions = context.getStateStore(PREDICTIONS);
        this.waiting = context.getStateStore(WAITING);
        this.examples = context.getStateStore(EXAMPLES);
        context.schedule(settings.sweepInterval(), PunctuationType.WALL_CLOCK_TIME, now -> sweep(Instant.ofEpochMilli(now)));
    }

    @Override
    public void process(Record<String, String> record) {
        String topic = context.recordMetadata().map(RecordMetadata::topic).orElse("");
        if (Topics.PREDICTIONS.equals(topic)) {
            prediction(record);
        } else {
            feedback(record);
        }
    }

    private void prediction(Record<String, String> record) {
        PredictionRecord prediction;
        try {
            prediction = Json.read(record.value(), PredictionRecord.class);
        } catch (RuntimeException e) {
            counts.unreadablePrediction();
            return;
        }
        if (prediction.predictionId() == null || !prediction.predictionId().equals(record.key()) || prediction.time() == null) {
            counts.unreadablePrediction();
            return;
        }
        predictions.put(prediction.predictionId(), record.value());
        String early = waiting.delete(prediction.predictionId());
        if (early != null) {
            join(prediction, Json.read(early, FeedbackRecord.class), record.withValue(early));
        }
    }

    private void feedback(Record<String, String> record) {
        FeedbackRecord feedback;
        try {
            feedback = Json.read(record.value(), FeedbackRecord.class);
        } catch (RuntimeException e) {
            deadLetter(record, null, "unreadable feedback: " + e.getMessage());
            return;
        }
        String problem = problem(feedback, record.key());
        if (problem != null) {
            deadLetter(record, feedback.model(), problem);
            return;
        }
        String stored = predictions.get(feedback.predictionId());
        if (stored == null) {
            // its prediction may still come (the log is asynchronous): the latest answer waits for it
            waiting.put(feedback.predictionId(), record.value());
            return;
        }
        join(Json.read(stored, PredictionRecord.class), feedback, record);
    }

    private static String problem(FeedbackRecord feedback, String key) {
        if (feedback.predictionId() == null || !feedback.predictionId().equals(key)) {
            return "the record's key must be its predictionId";
        }
        if (feedback.model() == null || feedback.time() == null) {
            return "model and time are required";
        }
        if ((feedback.label() == null) == (feedback.value() == null)) {
            return "exactly one of label (a classifier's) and value (a regressor's) is required";
        }
        if (feedback.value() != null && !Double.isFinite(feedback.value())) {
            return "value must be a finite number";
        }
        return null;
    }

    private void join(PredictionRecord prediction, FeedbackRecord feedback, Record<String, String> record) {
        if (!prediction.model().equals(feedback.model())) {
            deadLetter(record, feedback.model(), "prediction " + prediction.predictionId() + " was made by "
                    + prediction.model() + ", not " + feedback.model());
            return;
        }
        if ((prediction.task() == Task.REGRESSION) != (feedback.value() != null)) {
            deadLetter(record, feedback.model(), prediction.model() + " is a " + (prediction.task() == Task.REGRESSION
                    ? "regressor: feedback on it is a value" : "classifier: feedback on it is a label"));
            return;
        }
        if (feedback.time().isAfter(prediction.time().plus(settings.window()))) {
            counts.feedback(feedback.model(), "late");
            return;
        }
        String json = Json.write(LabelledExample.of(prediction, feedback));
        String previous = examples.get(prediction.predictionId());
        examples.put(prediction.predictionId(), json);
        context.forward(new Record<>(prediction.predictionId(), json, record.timestamp()), EXAMPLES_SINK);
        counts.feedback(feedback.model(), previous == null ? "joined" : "replaced");
    }

    private void deadLetter(Record<String, String> record, String model, String reason) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers), DLQ_SINK);
        counts.feedback(model, "invalid");
    }

    /** Forgets what the windows have passed by, and computes the live figures again. */
    private void sweep(Instant now) {
        Instant oldest = now.minus(settings.window());
        forEach(predictions, (id, json) -> {
            if (Json.read(json, PredictionRecord.class).time().isBefore(oldest)) {
                predictions.delete(id);
            }
        });
        forEach(waiting, (id, json) -> {
            FeedbackRecord feedback = Json.read(json, FeedbackRecord.class);
            if (feedback.time().isBefore(oldest)) {
                waiting.delete(id);
                counts.feedback(feedback.model(), "unmatched");
            }
        });
        Instant liveSince = now.minus(settings.liveWindow());
        List<LabelledExample> recent = new ArrayList<>();
        forEach(examples, (id, json) -> {
            LabelledExample example = Json.read(json, LabelledExample.class);
            if (example.labelledAt().isBefore(oldest)) {
                examples.delete(id);
            } else if (!example.labelledAt().isBefore(liveSince)) {
                recent.add(example);
            }
        });
        live.update(LiveFigures.of(recent));
    }

    private interface Entry {
        void accept(String key, String value);
    }

    /** Every entry, read before any is deleted: a store's iterator must not see its own deletions. */
    private static void forEach(KeyValueStore<String, String> store, Entry entry) {
        List<KeyValue<String, String>> all = new ArrayList<>();
        try (KeyValueIterator<String, String> iterator = store.all()) {
            iterator.forEachRemaining(all::add);
        }
        all.forEach(kv -> entry.accept(kv.key, kv.value));
    }
}
