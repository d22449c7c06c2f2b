package dev.graft.testing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Values read from a Prometheus text exposition (/q/metrics), for tests that assert how much a
 * counter changed: counters may be registered at 0 at start-up, so finding a series proves nothing.
 */
public final class MetricsText {
    private MetricsText() {
    }

    /**
     * The value of one series, e.g. {@code graft_training_jobs_total{outcome="rejected"}} (labels in
     * the exposition's order, which is alphabetical), or 0 where the series is not exposed yet.
     */
    public static double value(String exposition, String series) {
        Matcher line = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(exposition);
        return line.find() ? Double.parseDouble(line.group(1)) : 0;
    }

    /** The sum of every series whose text starts with {@code prefix}, e.g. all outcomes of one model. */
    public static double sum(String exposition, String prefix) {
        return exposition.lines().filter(line -> line.startsWith(prefix))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }
}
