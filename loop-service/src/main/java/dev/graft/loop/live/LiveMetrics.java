package dev.graft.loop.live;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The live figures of this instance: the sum of what each of its join tasks (one per partition) last
 * computed, a task's part dropped when the task leaves the instance; as gauges
 * {@code graft_live_examples{model,version}}, {@code graft_live_accuracy} or {@code graft_live_mae}, and
 * {@code graft_live_confusion{model,version,label,predicted}}. A version without examples in the window
 * any more reads 0 examples and NaN.
 */
@ApplicationScoped
public class LiveMetrics {
    private final MeterRegistry registry;
    private final Map<String, LiveFigures> parts = new ConcurrentHashMap<>();
    private volatile LiveFigures latest = new LiveFigures(Map.of());
    private final Set<String> registered = ConcurrentHashMap.newKeySet();

    public LiveMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public LiveFigures latest() {
        return latest;
    }

    /** One task's figures, replacing what it said before. */
    public void update(String task, LiveFigures figures) {
        parts.put(task, figures);
        publish();
    }

    /** A task that left this instance: its part no longer counts here. */
    public void forget(String task) {
        parts.remove(task);
        publish();
    }

    private synchronized void publish() {
        LiveFigures sum = parts.values().stream().reduce(new LiveFigures(Map.of()), LiveFigures::plus);
        latest = sum;
        sum.versions().forEach((version, f) -> {
            Tags tags = Tags.of("model", version.model(), "version", Integer.toString(version.version()));
            register("graft_live_examples", tags, () -> figuresOf(version).map(x -> (double) x.examples()).orElse(0.0),
                    "Feedback-labelled predictions within the live window");
            if (f.accuracy() != null) {
                register("graft_live_accuracy", tags, () -> figuresOf(version).map(LiveFigures.Figures::accuracy).orElse(Double.NaN),
                        "Share of right answers among the feedback-labelled predictions within the live window");
                f.confusion().forEach((label, row) -> row.keySet().forEach(predicted -> register("graft_live_confusion",
                        tags.and("label", label, "predicted", predicted), () -> figuresOf(version)
                                .map(x -> x.confusion().getOrDefault(label, Map.of()).getOrDefault(predicted, 0L).doubleValue())
                                .orElse(0.0), "Feedback-labelled predictions within the live window, by true and answered label")));
            } else {
                register("graft_live_mae", tags, () -> figuresOf(version).map(LiveFigures.Figures::mae).orElse(Double.NaN),
                        "Mean absolute error of the feedback-labelled predictions within the live window");
            }
        });
    }

    private Optional<LiveFigures.Figures> figuresOf(LiveFigures.Version version) {
        return Optional.ofNullable(latest.versions().get(version));
    }

    private void register(String name, Tags tags, Supplier<Double> value, String description) {
        if (registered.add(name + tags)) {
            Gauge.builder(name, value::get).tags(tags).description(description).register(registry);
        }
    }
}
