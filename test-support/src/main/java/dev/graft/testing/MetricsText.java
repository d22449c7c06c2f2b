package dev.graft.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Values read from a Prometheus text exposition (/q/metrics), for tests that assert how much a
 * counter changed: counters may be registered at 0 at start-up, so finding a series proves nothing.
 */
public final class MetricsText {
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\"");

    private MetricsText() {
    }

    /**
     * The value of one series, e.g. {@code graft_training_jobs_total{outcome="rejected"}}: the line
     * of that metric whose labels include the ones given (others, such as {@code trainer}, may be
     * there too), or 0 where none is exposed yet. Fails when several lines match: the caller must
     * then name more labels.
     */
    public static double value(String exposition, String series) {
        int brace = series.indexOf('{');
        String name = brace < 0 ? series : series.substring(0, brace);
        List<String> wanted = brace < 0 ? List.of() : labels(series.substring(brace + 1, series.length() - 1));
        List<String> matches = exposition.lines().filter(line -> !line.startsWith("#")).map(MetricsText::withoutExemplar)
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .filter(line -> {
                    int open = line.indexOf('{');
                    List<String> have = open < 0 || open > line.indexOf(' ') ? List.of()
                            : labels(line.substring(open + 1, line.lastIndexOf('}')));
                    return have.containsAll(wanted);
                }).toList();
        if (matches.size() > 1) {
            throw new IllegalArgumentException(series + " matches " + matches.size() + " series: " + matches);
        }
        return matches.isEmpty() ? 0 : sampleValue(matches.get(0));
    }

    /**
     * A sample line without its exemplar: with tracing on, a counter or histogram touched inside a sampled span
     * carries one after its value ({@code ... 3.0 # {trace_id="..."} 1.0 1765000000.0}).
     */
    private static String withoutExemplar(String line) {
        int exemplar = line.indexOf(" # ");
        return exemplar < 0 ? line : line.substring(0, exemplar);
    }

    /** The value of a sample line ({@code name{labels} value [timestamp] [# exemplar]}). */
    public static double sampleValue(String line) {
        String sample = withoutExemplar(line);
        int labelsEnd = sample.lastIndexOf('}');
        String rest = (labelsEnd < 0 ? sample.substring(sample.indexOf(' ')) : sample.substring(labelsEnd + 1)).trim();
        return Double.parseDouble(rest.split(" ")[0]);
    }

    /** {@code a="x",b="y"} as its pairs, each exactly as written. */
    private static List<String> labels(String text) {
        List<String> pairs = new ArrayList<>();
        Matcher pair = LABEL.matcher(text);
        while (pair.find()) {
            pairs.add(pair.group());
        }
        return pairs;
    }

    /** The sum of every series whose text starts with {@code prefix}, e.g. all outcomes of one model. */
    public static double sum(String exposition, String prefix) {
        return exposition.lines().filter(line -> line.startsWith(prefix))
                .mapToDouble(MetricsText::sampleValue).sum();
    }
}
