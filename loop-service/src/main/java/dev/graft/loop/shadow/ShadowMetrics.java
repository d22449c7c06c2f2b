package dev.graft.loop.shadow;

import dev.graft.contract.events.ShadowComparison;
import dev.graft.contract.manifest.Task;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The shadow comparisons of this instance, from each of its comparer tasks (a model lives in one), as
 * gauges per model, candidate and serving version: {@code graft_shadow_examples}, and
 * {@code graft_shadow_accuracy} or {@code graft_shadow_mae} with {@code of="candidate"|"serving"}. A pair
 * no longer compared reads 0 examples and NaN.
 */
@ApplicationScoped
public class ShadowMetrics {
    private final MeterRegistry registry;
    private final Map<String, Map<String, ShadowComparison>> parts = new ConcurrentHashMap<>();
    private volatile Map<String, ShadowComparison> latest = Map.of();
    private final Set<String> registered = ConcurrentHashMap.newKeySet();

    public ShadowMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Each model's latest comparison, by model name. */
    public Map<String, ShadowComparison> latest() {
        return latest;
    }

    void update(String task, Map<String, ShadowComparison> comparisons) {
        parts.put(task, Map.copyOf(comparisons));
        publish();
    }

    void forget(String task) {
        parts.remove(task);
        publish();
    }

    private synchronized void publish() {
        Map<String, ShadowComparison> all = new TreeMap<>();
        parts.values().forEach(all::putAll);
        latest = all;
        all.values().forEach(comparison -> comparison.pairs().forEach(pair -> {
            Tags tags = Tags.of("model", comparison.model(), "candidate", Integer.toString(pair.candidate()),
                    "serving", Integer.toString(pair.serving()));
            register("graft_shadow_examples", tags, comparison.model(), pair, p -> p.examples(), 0,
                    "Feedback-labelled live examples that a version in shadow and the serving version both answered");
            String measure = pair.task() == Task.REGRESSION ? "graft_shadow_mae" : "graft_shadow_accuracy";
            String what = pair.task() == Task.REGRESSION ? "Mean absolute error" : "Share of right answers";
            register(measure, tags.and("of", "candidate"), comparison.model(), pair, ShadowComparison.Pair::candidateScore,
                    Double.NaN, what + " on the examples both answered, of the version in shadow or the serving one");
            register(measure, tags.and("of", "serving"), comparison.model(), pair, ShadowComparison.Pair::servingScore,
                    Double.NaN, what + " on the examples both answered, of the version in shadow or the serving one");
        }));
    }

    private void register(String name, Tags tags, String model, ShadowComparison.Pair pair,
                          ToDoubleFunction<ShadowComparison.Pair> value, double none, String description) {
        if (registered.add(name + tags)) {
            Gauge.builder(name, () -> current(model, pair.candidate(), pair.serving()).map(value::applyAsDouble).orElse(none))
                    .tags(tags).description(description).register(registry);
        }
    }

    private Optional<ShadowComparison.Pair> current(String model, int candidate, int serving) {
        return Optional.ofNullable(latest.get(model)).flatMap(c -> c.pair(candidate, serving));
    }
}
