package dev.graft.loop.retrain;

import dev.graft.contract.events.LabelledExample;
import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.json.Json;
import dev.graft.loop.live.LiveFigures;
import dev.graft.loop.store.TimeIndexed;
import dev.graft.store.ModelStoreException;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the labelled examples keyed by model and keeps each model's feedback dataset (the latest answer
 * per prediction). When a model's policy says so (enough new examples, or the newest version's live
 * accuracy or MAE past its threshold), it writes the dataset as a CSV beside the captured images and sends
 * one training request, id {@code MODEL-feedback-SEQ}: the request and the state that counts it commit in
 * one transaction, so a restart never sends it twice (and the trainers drop a repeated id anyway).
 */
public final class RetrainTrigger implements Processor<String, String, String, String> {
    public static final String EXAMPLES = "retrain-examples";
    public static final String EXAMPLES_BY_TIME = "retrain-examples-by-time";
    public static final String STATE = "retrain-state";
    public static final String REQUESTS_SINK = "training-requests-sink";
    private static final Logger LOG = Logger.getLogger(RetrainTrigger.class);

    private final RetrainSettings settings;
    private final RetrainCounts counts;
    private final FeedbackDataset dataset;
    private final Duration sweepInterval;
    private ProcessorContext<String, String> context;
    private TimeIndexed examples;
    private KeyValueStore<String, String> states;

    public RetrainTrigger(RetrainSettings settings, RetrainCounts counts, Duration sweepInterval) {
        this.settings = settings;
        this.counts = counts;
        this.dataset = new FeedbackDataset(settings.captured(), settings.capturedAs());
        this.sweepInterval = sweepInterval;
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
        this.context = context;
        this.examples = new TimeIndexed(context.getStateStore(EXAMPLES), context.getStateStore(EXAMPLES_BY_TIME));
        this.states = context.getStateStore(STATE);
        context.schedule(sweepInterval, PunctuationType.WALL_CLOCK_TIME, now -> watchLiveFigures(Instant.ofEpochMilli(now)));
    }

    @Override
    public void process(Record<String, String> record) {
        RetrainPolicy policy = settings.policies().get(record.key());
        if (policy == null) {
            return;
        }
        LabelledExample example = Json.read(record.value(), LabelledExample.class);
        String id = policy.model() + "|" + example.predictionId();
        String before = examples.get(id);
        examples.put(id, record.value(), example.labelledAt(),
                before == null ? null : Json.read(before, LabelledExample.class).labelledAt());
        if (before != null) {
            return;   // a later answer for a prediction already counted: the dataset holds the new one
        }
        TriggerState state = state(policy.model()).counted(example.version());
        states.put(policy.model(), Json.write(state));
        if (policy.afterExamples() != null && state.newExamples() >= policy.afterExamples()) {
            retrain(policy, state, "examples");
        }
    }

    /** Each sweep: the newest version with enough live examples, checked against the policy's threshold once. */
    private void watchLiveFigures(Instant now) {
        Map<LiveFigures.Version, LiveFigures.Figures> live = null;
        for (RetrainPolicy policy : settings.policies().values()) {
            if (!policy.watchesLiveFigures()) {
                continue;
            }
            if (live == null) {
                List<LabelledExample> recent = new ArrayList<>();
                for (KeyValue<String, String> entry : examples.between(now.minus(settings.liveWindow()), TimeIndexed.END)) {
                    recent.add(Json.read(entry.value, LabelledExample.class));
                }
                live = LiveFigures.of(recent).versions();
            }
            TriggerState state = state(policy.model());
            live.entrySet().stream()
                    .filter(e -> e.getKey().model().equals(policy.model()) && e.getValue().examples() >= policy.minExamples())
                    .reduce((older, newer) -> newer)   // versions sort by number
                    .filter(e -> e.getKey().version() > state.triggeredVersion())
                    .ifPresent(e -> {
                        LiveFigures.Figures figures = e.getValue();
                        if (policy.belowAccuracy() != null && figures.accuracy() != null && figures.accuracy() < policy.belowAccuracy()) {
                            retrain(policy, state, "accuracy");
                        } else if (policy.aboveMae() != null && figures.mae() != null && figures.mae() > policy.aboveMae()) {
                            retrain(policy, state, "mae");
                        }
                    });
        }
    }

    private void retrain(RetrainPolicy policy, TriggerState state, String reason) {
        int sequence = state.sequence() + 1;
        String requestId = policy.model() + "-feedback-" + sequence;
        Optional<String> csv;
        try {
            List<LabelledExample> all = examples.withPrefix(policy.model() + "|").stream()
                    .map(json -> Json.read(json, LabelledExample.class)).toList();
            csv = dataset.write(policy.model(), sequence, policy.template().task(), all);
        } catch (ModelStoreException e) {
            // the state stays as it is: the next example or sweep tries again
            LOG.warnf("cannot write the feedback dataset of %s: %s", requestId, e.getMessage());
            counts.skipped(policy.model(), "failed");
            return;
        }
        if (csv.isEmpty()) {
            LOG.warnf("%s's retraining (%s) skipped: none of its labelled examples has a captured image"
                    + " (turn graft.capture.images on in the inference service)", policy.model(), reason);
            states.put(policy.model(), Json.write(state.sent(state.sequence())));
            counts.skipped(policy.model(), "no_images");
            return;
        }
        TrainingRequest request = policy.request(requestId, csv.get(), state.latestVersion());
        context.forward(new Record<>(requestId, Json.write(request), context.currentSystemTimeMs()), REQUESTS_SINK);
        states.put(policy.model(), Json.write(state.sent(sequence)));
        counts.sent(policy.model(), reason);
        LOG.infof("retraining %s (%s): request %s with %s", policy.model(), reason, requestId, csv.get());
    }

    private TriggerState state(String model) {
        String json = states.get(model);
        return json == null ? TriggerState.NONE : Json.read(json, TriggerState.class);
    }
}
