package dev.graft.loop.join;

import dev.graft.contract.events.FeedbackRecord;
import dev.graft.contract.events.LabelledExample;
import dev.graft.contract.events.PredictionRecord;
import dev.graft.contract.events.Topics;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.Task;
import dev.graft.loop.live.LiveFigures;
import dev.graft.loop.live.LiveMetrics;
import dev.graft.loop.shadow.ShadowExample;
import dev.graft.loop.store.TimeIndexed;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Joins each prediction with the feedback on it, by prediction id, in whichever order they come: a
 * prediction is kept for the window and a grace; feedback whose prediction has not come yet waits for it
 * as long. Each join is a {@link LabelledExample} on {@link Topics#EXAMPLES}; a later answer for the same
 * id (later by its own time) replaces the earlier one there and in the live figures. Feedback that cannot
 * be used goes to the dead-letter topic with the reason in a header. Every state lives in changelogged
 * stores, each with an index by time, so a restart resumes where the last commit left off and a sweep
 * reads only what it expires.
 */
final class FeedbackJoin implements Processor<String, String, String, String> {
    static final String PREDICTIONS = "predictions";
    static final String WAITING = "waiting-feedback";
    static final String EXAMPLES = "examples";
    /** Versions in shadow's answers, by the caller's answer's id and the version: {@code ID|VERSION}. */
    static final String SHADOWS = "shadow-predictions";
    static final String BY_TIME = "-by-time";
    static final String EXAMPLES_SINK = "examples-sink";
    static final String BY_MODEL_SINK = "examples-by-model-sink";
    static final String DLQ_SINK = "feedback-dlq-sink";
    static final String SHADOW_SINK = "shadow-by-model-sink";
    static final String REASON_HEADER = "graft.reason";

    private final JoinSettings settings;
    private final JoinCounts counts;
    private final LiveMetrics live;
    private ProcessorContext<String, String> context;
    private String task;
    private TimeIndexed predictions;
    private TimeIndexed waiting;
    private TimeIndexed examples;
    private TimeIndexed shadows;

    FeedbackJoin(JoinSettings settings, JoinCounts counts, LiveMetrics live) {
        this.settings = settings;
        this.counts = counts;
        this.live = live;
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
        this.context = context;
        this.task = context.taskId().toString();
        this.predictions = new TimeIndexed(context.getStateStore(PREDICTIONS), context.getStateStore(PREDICTIONS + BY_TIME));
        this.waiting = new TimeIndexed(context.getStateStore(WAITING), context.getStateStore(WAITING + BY_TIME));
        this.examples = new TimeIndexed(context.getStateStore(EXAMPLES), context.getStateStore(EXAMPLES + BY_TIME));
        this.shadows = new TimeIndexed(context.getStateStore(SHADOWS), context.getStateStore(SHADOWS + BY_TIME));
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
        if (!usable(prediction, record.key())) {
            counts.unreadablePrediction();
            return;
        }
        if (prediction.shadow()) {
            shadow(prediction, record);
            return;
        }
        String known = predictions.get(prediction.predictionId());
        predictions.put(prediction.predictionId(), record.value(), prediction.time(),
                known == null ? null : Json.read(known, PredictionRecord.class).time());
        String early = waiting.get(prediction.predictionId());
        if (early != null) {
            FeedbackRecord feedback = Json.read(early, FeedbackRecord.class);
            waiting.delete(prediction.predictionId(), feedback.time());
            // its own headers were not kept while it waited
            join(prediction, feedback, new Record<>(record.key(), early, record.timestamp(), new RecordHeaders()));
        }
    }

    /**
     * A version in shadow's answer: kept beside the answer the caller got (as long as a prediction), and
     * compared once that answer has feedback, whichever comes first. It is never an example of its own.
     */
    private void shadow(PredictionRecord shadow, Record<String, String> record) {
        String id = shadow.shadowOf() + "|" + shadow.version();
        String known = shadows.get(id);
        shadows.put(id, record.value(), shadow.time(), known == null ? null : Json.read(known, PredictionRecord.class).time());
        String labelled = examples.get(shadow.shadowOf());
        if (labelled != null) {
            compare(Json.read(labelled, LabelledExample.class), shadow, record.timestamp());
        }
    }

    private void compare(LabelledExample example, PredictionRecord shadow, long timestamp) {
        ShadowExample.of(example, shadow).ifPresent(compared ->
                context.forward(new Record<>(example.model(), Json.write(compared), timestamp), SHADOW_SINK));
    }

    /** What the join and the live figures rely on: the id as key, a model, a time, and an answer that fits the task. */
    private static boolean usable(PredictionRecord prediction, String key) {
        return prediction.predictionId() != null && prediction.key().equals(key) && prediction.model() != null
                && prediction.time() != null && prediction.task() != null
                && (prediction.task() == Task.REGRESSION ? prediction.value() != null && Double.isFinite(prediction.value())
                : prediction.label() != null);
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
            deadLetter(record, null, problem);
            return;
        }
        String stored = predictions.get(feedback.predictionId());
        if (stored != null) {
            join(Json.read(stored, PredictionRecord.class), feedback, record);
            return;
        }
        // its prediction may still come (the log is asynchronous): the latest answer, by its own time, waits for it
        String before = waiting.get(feedback.predictionId());
        FeedbackRecord earlier = before == null ? null : Json.read(before, FeedbackRecord.class);
        if (earlier != null && earlier.time().isAfter(feedback.time())) {
            counts.feedback(feedback.model(), "superseded");
            return;
        }
        if (earlier != null) {
            counts.feedback(earlier.model(), "superseded");
        }
        waiting.put(feedback.predictionId(), record.value(), feedback.time(), earlier == null ? null : earlier.time());
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
            deadLetter(record, prediction.model(), "prediction " + prediction.predictionId() + " was made by "
                    + prediction.model() + ", not " + feedback.model());
            return;
        }
        if ((prediction.task() == Task.REGRESSION) != (feedback.value() != null)) {
            deadLetter(record, prediction.model(), prediction.model() + " is a " + (prediction.task() == Task.REGRESSION
                    ? "regressor: feedback on it is a value" : "classifier: feedback on it is a label"));
            return;
        }
        if (feedback.time().isAfter(prediction.time().plus(settings.window()))) {
            counts.feedback(feedback.model(), "late");
            return;
        }
        String previous = examples.get(prediction.predictionId());
        LabelledExample earlier = previous == null ? null : Json.read(previous, LabelledExample.class);
        if (earlier != null && earlier.labelledAt().isAfter(feedback.time())) {
            // an older answer that came later (another replica's, delayed): the newer one stands
            counts.feedback(feedback.model(), "superseded");
            return;
        }
        LabelledExample example = LabelledExample.of(prediction, feedback);
        String json = Json.write(example);
        examples.put(prediction.predictionId(), json, example.labelledAt(), earlier == null ? null : earlier.labelledAt());
        context.forward(new Record<>(prediction.predictionId(), json, record.timestamp()), EXAMPLES_SINK);
        // and to the retraining trigger, which counts per model
        context.forward(new Record<>(prediction.model(), json, record.timestamp()), BY_MODEL_SINK);
        for (String shadow : shadows.withPrefix(prediction.predictionId() + "|")) {
            compare(example, Json.read(shadow, PredictionRecord.class), record.timestamp());
        }
        counts.feedback(feedback.model(), earlier == null ? "joined" : "replaced");
    }

    /** Counted under the model of the prediction it names, when there is one: a bad record's own model name is not a label. */
    private void deadLetter(Record<String, String> record, String model, String reason) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers), DLQ_SINK);
        counts.feedback(model, "invalid");
    }

    /** Forgets what the window and its grace have passed by, and computes this task's live figures again. */
    private void sweep(Instant now) {
        Instant oldest = now.minus(settings.window()).minus(settings.grace());
        predictions.before(oldest).forEach(predictions::expire);
        shadows.before(oldest).forEach(shadows::expire);
        for (KeyValue<String, String> entry : waiting.before(oldest)) {
            String json = waiting.get(entry.value);
            if (json != null) {
                counts.feedback(Json.read(json, FeedbackRecord.class).model(), "unmatched");
            }
            waiting.expire(entry);
        }
        examples.before(oldest).forEach(examples::expire);
        List<LabelledExample> recent = new ArrayList<>();
        for (KeyValue<String, String> entry : examples.between(now.minus(settings.liveWindow()), TimeIndexed.END)) {
            recent.add(Json.read(entry.value, LabelledExample.class));
        }
        live.update(task, LiveFigures.of(recent));
    }

    @Override
    public void close() {
        live.forget(task);
    }
}
