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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the labelled examples keyed by model and keeps the feedback dataset of each model with a policy (the
 * latest answer per prediction, for {@code graft.retrain.keep}). When the policy says so (enough new
 * examples, or the newest version's live accuracy or MAE past its threshold), it writes the dataset as a CSV
 * beside the captured images and sends one training request, id {@code MODEL-feedback-EPOCH-SEQ}: the
 * request and the state that counts it commit in one transaction, so a restart never sends it twice (and
 * the trainers drop a repeated id anyway).
 */
public final class RetrainTrigger implements Processor<String, String, String, String> {
    public static final String EXAMPLES = "retrain-examples";
    public static final String EXAMPLES_BY_TIME = "retrain-examples-by-time";
    public static final String STATE = "retrain-state";
    public static final String REQUESTS_SINK = "training-requests-sink";
    private static final Logger LOG = Logger.getLogger(RetrainTrigger.class);
    private static final Duration RETRY_AFTER = Duration.ofMinutes(1);

    private final RetrainSettings settings;
    private final RetrainCounts counts;
    private final FeedbackDataset dataset;
    private final Duration sweepInterval;
    private ProcessorContext<String, String> context;
    private TimeIndexed examples;
    private KeyValueStore<String, String> states;
    /** Models whose dataset could not be written, and when to try again: storage calls run inside the transaction. */
    private final Map<String, Instant> retryAfterFailure = new HashMap<>();

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
        context.schedule(sweepInterval, PunctuationType.WALL_CLOCK_TIME, now -> sweep(Instant.ofEpochMilli(now)));
    }

    @Override
    public void process(Record<String, String> record) {
        RetrainPolicy policy = settings.policies().get(record.key());
        if (policy == null) {
            return;
        }
        LabelledExample example = Json.read(record.value(), LabelledExample.class);
        if (example.task() != policy.template().task()) {
            return;   // the model changed task: its request cannot train on these
        }
        String id = policy.model() + "|" + example.predictionId();
        String before = examples.get(id);
        examples.put(id, record.value(), example.labelledAt(),
                before == null ? null : Json.read(before, LabelledExample.class).labelledAt());
        if (before != null) {
            return;   // a later answer for a prediction already counted: the dataset holds the new one
        }
        TriggerState state = state(policy.model()).counted(example.version(), example.predictedAt());
        states.put(policy.model(), Json.write(state));
        if (countReached(policy, state)) {
            retrain(policy, state, "examples", state.servingVersion());
        }
    }

    private static boolean countReached(RetrainPolicy policy, TriggerState state) {
        return policy.afterExamples() != null && state.newExamples() >= policy.afterExamples();
    }

    /**
     * Each sweep: forgets examples older than the retention, tries again a count trigger whose dataset could not be
     * written, and checks the newest version's live figures (once it has enough examples) against the threshold,
     * once per version.
     */
    private void sweep(Instant now) {
        examples.before(now.minus(settings.keep())).forEach(examples::expire);
        Map<LiveFigures.Version, LiveFigures.Figures> live = null;
        for (RetrainPolicy policy : settings.policies().values()) {
            TriggerState state = state(policy.model());
            if (countReached(policy, state)) {
                retrain(policy, state, "examples", state.servingVersion());
                continue;
            }
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
            live.entrySet().stream()
                    .filter(e -> e.getKey().model().equals(policy.model()))
                    .reduce((older, newer) -> newer)   // versions sort by number: the newest
                    .filter(e -> e.getValue().examples() >= policy.minExamples() && e.getKey().version() > state.triggeredVersion())
                    .ifPresent(e -> {
                        LiveFigures.Figures figures = e.getValue();
                        if (policy.belowAccuracy() != null && figures.accuracy() != null && figures.accuracy() < policy.belowAccuracy()) {
                            retrain(policy, state, "accuracy", e.getKey().version());
                        } else if (policy.aboveMae() != null && figures.mae() != null && figures.mae() > policy.aboveMae()) {
                            retrain(policy, state, "mae", e.getKey().version());
                        }
                    });
        }
    }

    /**
     * {@code triggered}: the version whose figures this retraining answers (the serving one, for the count): its live
     * figures never trigger another.
     */
    private void retrain(RetrainPolicy policy, TriggerState state, String reason, int triggered) {
        Instant retryAt = retryAfterFailure.get(policy.model());
        if (retryAt != null && Instant.now().isBefore(retryAt)) {
            return;
        }
        String requestId = policy.model() + "-feedback-" + state.next();
        Optional<String> csv;
        try {
            List<LabelledExample> all = examples.withPrefix(policy.model() + "|").stream()
                    .map(json -> Json.read(json, LabelledExample.class)).toList();
            csv = dataset.write(policy.model(), state.next(), policy.template().task(), all);
        } catch (ModelStoreException e) {
            // the state stays as it is: tried again a minute later, on the next example or sweep
            LOG.warnf("cannot write the feedback dataset of %s: %s", requestId, e.getMessage());
            retryAfterFailure.put(policy.model(), Instant.now().plus(RETRY_AFTER));
            counts.skipped(policy.model(), "failed");
            return;
        }
        retryAfterFailure.remove(policy.model());
        if (csv.isEmpty()) {
            LOG.warnf("%s's retraining (%s) skipped: none of its labelled examples has a captured image"
                    + " (turn graft.capture.images on in the inference service)", policy.model(), reason);
            states.put(policy.model(), Json.write(state.sent(false, triggered)));
            counts.skipped(policy.model(), "no_images");
            return;
        }
        TrainingRequest request = policy.request(requestId, csv.get(), state.servingVersion());
        context.forward(new Record<>(requestId, Json.write(request), context.currentSystemTimeMs()), REQUESTS_SINK);
        states.put(policy.model(), Json.write(state.sent(true, triggered)));
        counts.sent(policy.model(), reason);
        LOG.infof("retraining %s (%s): request %s with %s", policy.model(), reason, requestId, csv.get());
    }

    private TriggerState state(String model) {
        String json = states.get(model);
        return json == null ? TriggerState.first(context.currentSystemTimeMs()) : Json.read(json, TriggerState.class);
    }
}
