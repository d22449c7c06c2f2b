package dev.graft.bench.resnet50;

import dev.graft.trainer.base.ImageNetWeights;
import dev.graft.trainer.training.EpochResult;
import dev.graft.trainer.training.TrainingPlan;
import dev.graft.trainer.training.TrainingReport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What ResNet50 with its ImageNet weights costs in the trainer (docs/performance.md; run with
 * {@code bin/graft bench resnet50 [IMAGES_PER_CLASS [SIZE...]]}, defaults 160 and 72 224), through the
 * trainer's own recipe on images it makes itself, batch 32:
 * <ol>
 *   <li>first, in the fresh process: its RSS over a feature pass of 7,200 images at the first size,
 *       sampled every 0.2 s, its peak in the first and in the last quarter of the pass. Bounded when the
 *       last quarter's is no higher: a pass that leaked per batch would grow by a quarter of the images' worth;</li>
 *   <li>per input size, after a small warm-up run: images/s of the feature pass (the frozen base in
 *       inference mode), of a training step fine-tuning {@code conv5_block3} on the cached output below
 *       it (the demo's way), and of one fine-tuning it end to end (every layer forward, conv5_block3
 *       backward: with augmentation, or when that output is over the cache limit), and each run's peak RSS.</li>
 * </ol>
 */
public final class ResNet50Benchmark {
    static final int BATCH = 32;
    private static final int LONG_PASS_IMAGES = 7200;
    /** The trainer's default graft.trainer.max-feature-cache-bytes. */
    private static final long DEFAULT_CACHE_BYTES = 2L << 30;
    private static final double GIB = 1 << 30;

    private final int perClass;
    private final List<Integer> sizes;
    private final ImageNetWeights weights;

    /** @param weightsDir where bin/graft weights put them (GRAFT_WEIGHTS_DIR) */
    public ResNet50Benchmark(int perClass, List<Integer> sizes, Path weightsDir) {
        this.perClass = perClass;
        this.sizes = List.copyOf(sizes);
        this.weights = new ImageNetWeights(weightsDir);
    }

    public void run() throws Exception {
        if (!weights.present()) {
            throw new IllegalStateException("no ImageNet weights in " + weights.dir() + ": run bin/graft weights");
        }
        System.out.printf(Locale.ROOT, "Measured on %s, %s, %d cores; ResNet50 ImageNet, batch %d, %d training and %d"
                        + " validation images%n", LocalDate.now(), cpu(), Runtime.getRuntime().availableProcessors(), BATCH,
                2 * perClass, 2 * validationPerClass(perClass));
        List<String> rows = new ArrayList<>();
        try (RssSampler rss = new RssSampler()) {
            // first, in a fresh process: what a trainer's feature pass holds, not what larger inputs left behind
            int first = sizes.get(0);
            ResNet50Runs longPass = new ResNet50Runs(weights, LONG_PASS_IMAGES / 2, 16);
            rss.resetPeak();
            rss.recordPass();
            TrainingReport report = longPass.run(first, 1, 0, DEFAULT_CACHE_BYTES, rss);
            List<Long> pass = rss.during();
            int quarter = Math.max(1, pass.size() / 4);
            long firstQuarter = pass.subList(0, quarter).stream().mapToLong(Long::longValue).max().orElseThrow();
            long last = pass.subList(pass.size() - quarter, pass.size()).stream().mapToLong(Long::longValue).max().orElseThrow();
            rows.add(String.format(Locale.ROOT, "  RSS over a feature pass of %d images at %d px (%.1f img/s): peak in its"
                            + " first quarter %.2f GiB, in its last %.2f GiB (last / first %.2f); peak of the whole run %.2f GiB",
                    report.trainImages() + report.validationImages(), first,
                    (report.trainImages() + report.validationImages()) / report.phaseSeconds().get("features"),
                    firstQuarter / GIB, last / GIB, (double) last / firstQuarter, rss.peak() / GIB));
            System.out.println(rows.get(0));
            for (int size : sizes) {
                // oneDNN creates its primitives for a shape on first use: a small run of each kind first
                ResNet50Runs warmUp = new ResNet50Runs(weights, BATCH / 2, BATCH / 2);
                warmUp.run(size, 1, 1, DEFAULT_CACHE_BYTES, rss);
                warmUp.run(size, 0, 1, 0, rss);
                ResNet50Runs bench = new ResNet50Runs(weights, perClass, validationPerClass(perClass));
                rss.resetPeak();
                TrainingReport cached = bench.run(size, 1, 1, DEFAULT_CACHE_BYTES, rss);
                long cachedPeak = rss.peak();
                rss.resetPeak();
                TrainingReport endToEnd = bench.run(size, 0, 1, 0, rss);
                rows.add(String.format(Locale.ROOT, "  %4d px   feature pass %6.1f img/s   fine-tune step: on the cached"
                                + " boundary %6.1f img/s, end to end %5.1f img/s   peak RSS %.1f GiB cached, %.1f GiB end to end",
                        size, (cached.trainImages() + cached.validationImages()) / cached.phaseSeconds().get("features"),
                        fineTuneImagesPerSecond(cached), fineTuneImagesPerSecond(endToEnd), cachedPeak / GIB,
                        rss.peak() / GIB));
                System.out.println(rows.get(rows.size() - 1));
            }
        }
        System.out.printf(Locale.ROOT, "%nMeasured on %s, %s, %d cores; JavaCPP maxbytes %s, maxphysicalbytes %s%n",
                LocalDate.now(), cpu(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("org.bytedeco.javacpp.maxbytes", "default"),
                System.getProperty("org.bytedeco.javacpp.maxphysicalbytes", "default"));
        rows.forEach(System.out::println);
    }

    private static int validationPerClass(int perClass) {
        return Math.max(16, perClass / 5);
    }

    private static double fineTuneImagesPerSecond(TrainingReport report) {
        return report.history().stream().filter(e -> e.phase().equals(TrainingPlan.FINE_TUNE)).mapToDouble(EpochResult::imagesPerSecond)
                .findFirst().orElseThrow();
    }

    private static String cpu() throws IOException {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
    }
}
