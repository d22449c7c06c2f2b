package dev.graft.loop.shadow;

import dev.graft.contract.events.ShadowComparison;
import dev.graft.contract.json.Json;
import dev.graft.loop.store.TimeIndexed;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compares versions in shadow with the serving ones, model by model (its input is keyed by model, so one
 * task holds all of a model's examples): keeps each {@link ShadowExample} (a later answer for the same
 * prediction replaces it) in a changelogged store indexed by time, and on each sweep sums those labelled
 * within the live window into one {@link ShadowComparison} per model, published when it changed (and once
 * with no pairs when a model has none left, also after a restart that finds them all expired), for the
 * inference service's live gate.
 */
public final class ShadowComparer implements Processor<String, String, String, String> {
    public static final String EXAMPLES = "shadow-examples";
    public static final String EXAMPLES_BY_TIME = "shadow-examples-by-time";
    /** What was last published per model (its pairs as JSON), changelogged: a restart neither repeats nor forgets it. */
    public static final String PUBLISHED = "shadow-published";
    public static final String COMPARISONS_SINK = "shadow-comparisons-sink";

    private final Duration liveWindow;
    private final Duration sweepInterval;
    private final ShadowMetrics metrics;
    private ProcessorContext<String, String> context;
    private String task;
    private TimeIndexed examples;
    private KeyValueStore<String, String> published;

    public ShadowComparer(Duration liveWindow, Duration sweepInterval, ShadowMetrics metrics) {
        this.liveWindow = liveWindow;
        this.sweepInterval = sweepInterval;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, String> context) {
        this.context = context;
        this.task = context.taskId().toString();
        this.examples = new TimeIndexed(context.getStateStore(EXAMPLES), context.getStateStore(EXAMPLES_BY_TIME));
        this.published = context.getStateStore(PUBLISHED);
        context.schedule(sweepInterval, PunctuationType.WALL_CLOCK_TIME, now -> sweep(Instant.ofEpochMilli(now)));
    }

    @Override
    public void process(Record<String, String> record) {
        ShadowExample example = Json.read(record.value(), ShadowExample.class);
        String stored = examples.get(example.id());
        examples.put(example.id(), record.value(), example.labelledAt(),
                stored == null ? null : Json.read(stored, ShadowExample.class).labelledAt());
    }

    private void sweep(Instant now) {
        Instant from = now.minus(liveWindow);
        examples.before(from).forEach(examples::expire);
        List<ShadowExample> recent = new ArrayList<>();
        for (KeyValue<String, String> entry : examples.between(from, TimeIndexed.END)) {
            recent.add(Json.read(entry.value, ShadowExample.class));
        }
        Map<String, ShadowComparison> comparisons = ShadowFigures.of(recent, now);
        try (KeyValueIterator<String, String> models = published.all()) {
            models.forEachRemaining(model -> comparisons.putIfAbsent(model.key, new ShadowComparison(model.key, now, List.of())));
        }
        comparisons.forEach((model, comparison) -> {
            String pairs = Json.write(comparison.pairs());
            if (!pairs.equals(published.get(model))) {
                context.forward(new Record<>(model, Json.write(comparison), now.toEpochMilli()), COMPARISONS_SINK);
                if (comparison.pairs().isEmpty()) {
                    published.delete(model);   // said once: no version of it is compared any more
                } else {
                    published.put(model, pairs);
                }
            }
        });
        comparisons.values().removeIf(c -> c.pairs().isEmpty());
        metrics.update(task, comparisons);
    }

    @Override
    public void close() {
        metrics.forget(task);
    }
}
