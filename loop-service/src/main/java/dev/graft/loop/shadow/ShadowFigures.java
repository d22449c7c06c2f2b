package dev.graft.loop.shadow;

import dev.graft.contract.events.ShadowComparison;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Sums shadow examples into one {@link ShadowComparison} per model, a pair per candidate and serving version. */
final class ShadowFigures {
    private ShadowFigures() {
    }

    static Map<String, ShadowComparison> of(Collection<ShadowExample> examples, Instant now) {
        Map<String, Map<List<Integer>, ShadowComparison.Pair>> byModel = new TreeMap<>();
        for (ShadowExample e : examples) {
            ShadowComparison.Pair one = new ShadowComparison.Pair(e.candidate(), e.serving(), e.task(), 1,
                    e.candidateRight() ? 1 : 0, e.servingRight() ? 1 : 0, e.candidateError(), e.servingError());
            byModel.computeIfAbsent(e.model(), m -> new java.util.LinkedHashMap<>())
                    .merge(List.of(e.candidate(), e.serving()), one, ShadowFigures::plus);
        }
        Map<String, ShadowComparison> comparisons = new TreeMap<>();
        byModel.forEach((model, pairs) -> {
            List<ShadowComparison.Pair> sorted = new ArrayList<>(pairs.values());
            sorted.sort((a, b) -> a.candidate() != b.candidate() ? Integer.compare(a.candidate(), b.candidate())
                    : Integer.compare(a.serving(), b.serving()));
            comparisons.put(model, new ShadowComparison(model, now, sorted));
        });
        return comparisons;
    }

    private static ShadowComparison.Pair plus(ShadowComparison.Pair a, ShadowComparison.Pair b) {
        return new ShadowComparison.Pair(a.candidate(), a.serving(), a.task(), a.examples() + b.examples(),
                a.candidateRight() + b.candidateRight(), a.servingRight() + b.servingRight(),
                a.candidateAbsoluteErrors() + b.candidateAbsoluteErrors(), a.servingAbsoluteErrors() + b.servingAbsoluteErrors());
    }
}
