package dev.graft.bench.serving;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/graft bench soak}: a bounded soak of the service {@link ServingBenchmark} starts. Load all along,
 * a swap every so often, answers other than 200 counted (a 5xx is a defect) and RSS sampled every minute.
 */
final class Soak {
    private final InferenceProcess service;
    private final LoadGenerator generator;
    private final ModelVersions versions;
    private final int seconds;
    private final int swapEvery;

    Soak(InferenceProcess service, LoadGenerator generator, ModelVersions versions, int seconds, int swapEvery) {
        this.service = service;
        this.generator = generator;
        this.versions = versions;
        this.seconds = seconds;
        this.swapEvery = swapEvery;
    }

    /**
     * Load for the whole length ({@code seconds}) with a swap every {@code swapEvery} seconds; each minute the RSS, and
     * from the service's metrics the committed heap and JavaCPP's native bytes, to tell a leak from a
     * heap that grows towards -Xmx.
     */
    void run() throws Exception {
        generator.load(ServingBenchmark.BATCHED, 30);   // warm-up, as long as the benchmark's: not reported
        long rssStart = service.rss();
        List<String> eachMinute = new CopyOnWriteArrayList<>();
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> {
            try {
                String metrics = service.metrics();
                double heap = metrics.lines().filter(line -> line.startsWith("jvm_memory_committed_bytes{area=\"heap\""))
                        .mapToDouble(dev.graft.testing.MetricsText::sampleValue).sum();
                eachMinute.add(String.format(Locale.ROOT, "%d/%d/%d", service.rss() >> 20, (long) heap >> 20,
                        (long) InferenceProcess.value(metrics, "graft_native_memory_bytes ") >> 20));
            } catch (Exception e) {
                eachMinute.add("? (" + e + ")");
            }
        }, 60, 60, TimeUnit.SECONDS);
        int count = Math.max(1, seconds / swapEvery);
        Load soak = generator.loadWhileSwapping(ServingBenchmark.BATCHED, seconds, count, versions::swap);
        sampler.shutdownNow();
        long rssEnd = service.rss();

        long serverErrors = soak.failures().stream().filter(f -> f.startsWith("5")).count();
        ServingBenchmark.report("soak, " + count + " swaps", soak);
        System.out.printf(Locale.ROOT, "%-44s %s img/s%n", "  by minute", soak.bySlice(60));
        System.out.printf(Locale.ROOT, "%-44s %9d      (target 0)%n", "answers 5xx", serverErrors);
        System.out.printf(Locale.ROOT, "%-44s %9d      (target 0)%n", "other failed requests", soak.failures().size() - serverErrors);
        System.out.printf(Locale.ROOT, "%-44s %s%n", "each minute: RSS/heap committed/native MiB", eachMinute);
        ServingBenchmark.ratio("RSS at the end / at the start (" + (rssEnd >> 20) + " / " + (rssStart >> 20) + " MiB)",
                (double) rssEnd / rssStart, "<= 1.2");
    }
}
