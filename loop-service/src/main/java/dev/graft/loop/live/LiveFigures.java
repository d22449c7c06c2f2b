package dev.graft.loop.live;

import dev.graft.contract.events.LabelledExample;
import dev.graft.contract.manifest.Task;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/** What the examples labelled within the live window say about each model version: sums, so that parts add up. */
public record LiveFigures(Map<Version, Figures> versions) {

    public record Version(String model, int version) implements Comparable<Version> {
        @Override
        public int compareTo(Version other) {
            int byModel = model.compareTo(other.model);
            return byModel != 0 ? byModel : Integer.compare(version, other.version);
        }
    }

    /**
     * @param right a classifier's right answers; {@code absoluteErrors} a regressor's summed distances
     * @param confusion a classifier's counts by true label, then by answered label
     */
    public record Figures(Task task, long examples, long right, double absoluteErrors, Map<String, Map<String, Long>> confusion) {
        /** A classifier's share of right answers; null for a regressor. */
        public Double accuracy() {
            return task == Task.REGRESSION ? null : (double) right / examples;
        }

        /** A regressor's mean absolute error; null for a classifier. */
        public Double mae() {
            return task == Task.REGRESSION ? absoluteErrors / examples : null;
        }

        Figures plus(Figures other) {
            Map<String, Map<String, Long>> both = new TreeMap<>();
            for (Map<String, Map<String, Long>> part : new Map[]{confusion, other.confusion}) {
                part.forEach((label, row) -> row.forEach((predicted, n) ->
                        both.computeIfAbsent(label, l -> new TreeMap<>()).merge(predicted, n, Long::sum)));
            }
            return new Figures(task, examples + other.examples, right + other.right, absoluteErrors + other.absoluteErrors, both);
        }
    }

    /** The figures of these examples; an example that does not fit its task (no label, no value) is left out. */
    public static LiveFigures of(Collection<LabelledExample> examples) {
        Map<Version, Figures> versions = new TreeMap<>();
        for (LabelledExample example : examples) {
            Figures one;
            if (example.task() == Task.REGRESSION && example.value() != null && example.predictedValue() != null) {
                one = new Figures(Task.REGRESSION, 1, 0, example.absoluteError(), Map.of());
            } else if (example.task() == Task.CLASSIFICATION && example.label() != null && example.predicted() != null) {
                one = new Figures(Task.CLASSIFICATION, 1, example.correct() ? 1 : 0, 0,
                        Map.of(example.label(), Map.of(example.predicted(), 1L)));
            } else {
                continue;
            }
            versions.merge(new Version(example.model(), example.version()), one, Figures::plus);
        }
        return new LiveFigures(versions);
    }

    /** Both parts' figures, version by version. */
    public LiveFigures plus(LiveFigures other) {
        Map<Version, Figures> all = new TreeMap<>(versions);
        other.versions.forEach((version, figures) -> all.merge(version, figures, Figures::plus));
        return new LiveFigures(all);
    }
}
