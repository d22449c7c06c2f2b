package dev.graft.loop.live;

import dev.graft.contract.events.LabelledExample;
import dev.graft.contract.manifest.Task;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/** What the examples labelled within the live window say about each model version. */
public record LiveFigures(Map<Version, Figures> versions) {

    public record Version(String model, int version) implements Comparable<Version> {
        @Override
        public int compareTo(Version other) {
            int byModel = model.compareTo(other.model);
            return byModel != 0 ? byModel : Integer.compare(version, other.version);
        }
    }

    /**
     * @param accuracy a classifier's share of right answers; {@code mae} a regressor's mean absolute error
     * @param confusion a classifier's counts by true label, then by answered label
     */
    public record Figures(Task task, long examples, Double accuracy, Double mae, Map<String, Map<String, Long>> confusion) {
    }

    public static LiveFigures of(Collection<LabelledExample> examples) {
        Map<Version, Figures> versions = new TreeMap<>();
        Map<Version, long[]> right = new TreeMap<>();
        Map<Version, double[]> error = new TreeMap<>();
        Map<Version, Map<String, Map<String, Long>>> confusion = new TreeMap<>();
        Map<Version, Task> tasks = new TreeMap<>();
        Map<Version, Long> counts = new TreeMap<>();
        for (LabelledExample example : examples) {
            Version version = new Version(example.model(), example.version());
            tasks.put(version, example.task());
            counts.merge(version, 1L, Long::sum);
            if (example.task() == Task.REGRESSION) {
                error.computeIfAbsent(version, v -> new double[1])[0] += example.absoluteError();
            } else {
                right.computeIfAbsent(version, v -> new long[1])[0] += example.correct() ? 1 : 0;
                confusion.computeIfAbsent(version, v -> new TreeMap<>()).computeIfAbsent(example.label(), l -> new TreeMap<>())
                        .merge(example.predicted(), 1L, Long::sum);
            }
        }
        counts.forEach((version, n) -> versions.put(version, tasks.get(version) == Task.REGRESSION
                ? new Figures(Task.REGRESSION, n, null, error.get(version)[0] / n, null)
                : new Figures(Task.CLASSIFICATION, n, (double) right.get(version)[0] / n, null, confusion.get(version))));
        return new LiveFigures(versions);
    }
}
