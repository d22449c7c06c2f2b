package dev.graft.cli;

import dev.graft.shared.events.TrainingRequest;
import dev.graft.shared.manifest.Task;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code graft eval}: quality on the real Fashion-MNIST test set, as documented in
 * docs/evaluation.md. The full run trains the classifier on the whole training file (a tenth held out
 * for validation) and scores all 10,000 test images; the price regressor builds on it. With
 * {@code --per-class N} it instead compares, on N images per class and the same epochs, a network
 * trained from scratch with one whose base is an earlier Graft model.
 */
public final class Evaluation {
    static final String CLASSIFIER = "fashion-eval-classifier";
    static final String REGRESSOR = "fashion-eval-price";
    static final String SCRATCH = "fashion-compare-scratch";
    static final String TRANSFER = "fashion-compare-transfer";
    /** The comparison's default transfer base: the demo's, ResNet50 with its ImageNet weights. */
    static final String IMAGENET = "imagenet";

    /**
     * @param trainPerClass training images per class; the full run uses all 6,000 (5,400 train, 600 validation)
     * @param epochs        full run: classifier epochs; comparison: epochs of each network
     * @param transferBase  comparison: what the transfer network starts from, {@link #IMAGENET} or model:NAME[@VERSION]
     */
    public record Settings(int trainPerClass, int testPerClass, int epochs, int batchSize, String transferBase) {
        public static Settings full() {
            return new Settings(FashionMnist.TRAIN_PER_CLASS, FashionMnist.TEST_PER_CLASS, 13, 64, null);
        }

        /** From scratch against the demo's base, ResNet50 with its ImageNet weights. */
        public static Settings comparison(int perClass) {
            return new Settings(perClass, 300, 12, 32, IMAGENET);
        }
    }

    private final Path dataRoot;
    private final Demo jobs;
    private final PrintStream out;

    public Evaluation(Path dataRoot, Demo jobs, PrintStream out) {
        this.dataRoot = dataRoot;
        this.jobs = jobs;
        this.out = out;
    }

    /** The full training set: accuracy on the test set, and the regressor's MAE against the noise floor. */
    public boolean full(Settings s) throws IOException, InterruptedException {
        int validation = s.trainPerClass() / 10;
        Path dir = dataRoot.resolve("fashion-eval-" + s.trainPerClass() + "-" + s.testPerClass());
        jobs.prepare(dir, List.of(
                new FashionMnist.Split("train", "train", 0, s.trainPerClass() - validation),
                new FashionMnist.Split("validation", "train", s.trainPerClass() - validation, validation),
                new FashionMnist.Split("test", "t10k", 0, s.testPerClass())));
        String run = Long.toString(System.currentTimeMillis(), 36);

        out.println("\n== classifier: small-convnet trained whole for " + s.epochs() + " epochs on "
                + 10 * (s.trainPerClass() - validation) + " images");
        long start = System.nanoTime();
        TrainingFollower.Outcome classified = jobs.train(new TrainingRequest(CLASSIFIER + "-" + run, CLASSIFIER,
                Task.CLASSIFICATION, new TrainingRequest.Dataset("%s/train".formatted(dir.getFileName()),
                "%s/validation".formatted(dir.getFileName()), null, null, null),
                new TrainingRequest.Base("small-convnet", "random", 48, 48), new TrainingRequest.Head(128, 0.5),
                new TrainingRequest.FrozenPhase(0, 1e-3, s.batchSize()),
                new TrainingRequest.FineTunePhase(s.epochs(), 1e-3, s.batchSize(), "block1_conv1", "cosine"), null, null,
                null, 42L));
        double classifierMinutes = (System.nanoTime() - start) / 60e9;
        if (!classified.succeeded()) {
            return false;
        }
        int version = classified.version().version();

        out.println("\n== price regressor on " + CLASSIFIER + "@" + version + ": a head minimising MAE on cached features, then block3 fine-tuned");
        start = System.nanoTime();
        TrainingFollower.Outcome priced = jobs.train(new TrainingRequest(REGRESSOR + "-" + run, REGRESSOR, Task.REGRESSION,
                new TrainingRequest.Dataset(dir.getFileName() + "/train-prices.csv",
                        dir.getFileName() + "/validation-prices.csv", null, "file", "price"),
                new TrainingRequest.Base(null, "model:" + CLASSIFIER + "@" + version, null, null),
                new TrainingRequest.Head(128, 0.0, "mae"), new TrainingRequest.FrozenPhase(24, 2e-3, s.batchSize(), "cosine"),
                new TrainingRequest.FineTunePhase(2, 1e-4, s.batchSize(), "block3_conv1", "cosine"), null, null, null, 42L));
        double regressorMinutes = (System.nanoTime() - start) / 60e9;
        if (!priced.succeeded()) {
            return false;
        }

        out.println("\n== scoring " + 10 * s.testPerClass() + " test images through the inference service");
        jobs.awaitServing(CLASSIFIER, version);
        jobs.awaitServing(REGRESSOR, priced.version().version());
        Demo.Scores scores = jobs.score(dir, CLASSIFIER, REGRESSOR, 10);
        jobs.print(scores);
        out.printf(Locale.ROOT, "  training time           classifier %.1f min, regressor %.1f min (targets: 30 min each)%n",
                classifierMinutes, regressorMinutes);
        out.printf(Locale.ROOT, "  targets                 accuracy >= 92%%: %s; MAE <= 1.5x the floor: %s%n",
                scores.accuracy() >= 0.92 ? "met" : "not met", scores.floorRatio() <= 1.5 ? "met" : "not met");
        out.println("  reports and charts      GET /api/trainings/" + CLASSIFIER + "-" + run + " on the trainer (:8081)");
        return true;
    }

    /** One classifier setting of {@link #curve}: the input size, the layer fine-tuning starts from, and epochs. */
    record Point(int size, String unfreezeFrom, int frozenEpochs, int fineTuneEpochs) {
    }

    /** The demo's classifier at larger inputs, deeper fine-tuning and more epochs: where accuracy and time go. */
    static final List<Point> CURVE = List.of(
            new Point(72, Demo.TOP_BLOCK, 4, 0),
            new Point(72, Demo.TOP_BLOCK, 4, 2),
            new Point(72, Demo.TOP_BLOCK, 4, 5),
            new Point(96, Demo.TOP_BLOCK, 4, 2),
            new Point(128, Demo.TOP_BLOCK, 4, 2));

    /**
     * The demo's classifier (ResNet50 ImageNet, the demo's images) at each point of {@link #CURVE}: test
     * accuracy through the inference service against the time from request to stored version.
     */
    public boolean curve(Demo.Settings settings) throws IOException, InterruptedException {
        out.println(Machine.describe());
        Path dir = jobs.prepare(settings);
        String run = Long.toString(System.currentTimeMillis(), 36);
        List<String> rows = new java.util.ArrayList<>();
        for (Point p : CURVE) {
            String model = "fashion-curve-" + p.size() + "-" + p.fineTuneEpochs();
            out.printf(Locale.ROOT, "%n== %d px, %d frozen epochs + %d fine-tuning from %s%n", p.size(), p.frozenEpochs(),
                    p.fineTuneEpochs(), p.unfreezeFrom());
            long start = System.nanoTime();
            TrainingFollower.Outcome outcome = jobs.train(new TrainingRequest(model + "-" + run, model, Task.CLASSIFICATION,
                    new TrainingRequest.Dataset(dir.getFileName() + "/train", dir.getFileName() + "/validation", null, null, null),
                    new TrainingRequest.Base(Demo.ARCHITECTURE, "imagenet", p.size(), p.size()), new TrainingRequest.Head(256, 0.5),
                    new TrainingRequest.FrozenPhase(p.frozenEpochs(), 1e-3, 32),
                    new TrainingRequest.FineTunePhase(p.fineTuneEpochs(), 1e-4, 32, p.fineTuneEpochs() > 0 ? p.unfreezeFrom() : null),
                    null, null, null, 42L));
            double seconds = (System.nanoTime() - start) / 1e9;
            if (!outcome.succeeded()) {
                return false;
            }
            jobs.awaitServing(model, outcome.version().version());
            Demo.Scores scores = jobs.score(dir, model, null, 0);
            rows.add(String.format(Locale.ROOT, "  %4d px  %d + %d epochs from %-20s  validation %5.1f%%  test %5.1f%%  %4.0f s",
                    p.size(), p.frozenEpochs(), p.fineTuneEpochs(), p.unfreezeFrom(),
                    100 * outcome.version().validationMetrics().getOrDefault("accuracy", Double.NaN),
                    100 * scores.accuracy(), seconds));
        }
        out.printf(Locale.ROOT, "%n%s%nThe demo's classifier, %d training images per class; validation on %d images,"
                        + " test on %d; time from request to stored version:%n", Machine.describe(), settings.trainPerClass(),
                10 * settings.validationPerClass(), 10 * settings.testPerClass());
        rows.forEach(out::println);
        return true;
    }

    /**
     * Few images per class: from scratch vs on a pretrained base (the demo's ImageNet ResNet50, or an
     * earlier Graft model), same images, each with the time it took from request to stored version.
     */
    public boolean compare(Settings s) throws IOException, InterruptedException {
        // the slice after the first 5,000 images per class: images the demo's classifier never saw
        int skip = 5000;
        int validation = Math.max(10, s.trainPerClass() / 5);
        Path dir = dataRoot.resolve("fashion-compare-" + s.trainPerClass() + "-" + s.testPerClass());
        jobs.prepare(dir, List.of(
                new FashionMnist.Split("train", "train", skip, s.trainPerClass()),
                new FashionMnist.Split("validation", "train", skip + s.trainPerClass(), validation),
                new FashionMnist.Split("test", "t10k", 0, s.testPerClass())));
        String run = Long.toString(System.currentTimeMillis(), 36);
        out.println(Machine.describe());
        TrainingRequest.Dataset dataset = new TrainingRequest.Dataset(dir.getFileName() + "/train",
                dir.getFileName() + "/validation", null, null, null);
        int half = Math.max(1, s.epochs() / 2);

        out.println("\n== from scratch: small-convnet, random weights, trained whole for " + s.epochs() + " epochs");
        long start = System.nanoTime();
        TrainingFollower.Outcome scratch = jobs.train(new TrainingRequest(SCRATCH + "-" + run, SCRATCH,
                Task.CLASSIFICATION, dataset, new TrainingRequest.Base("small-convnet", "random", 48, 48),
                new TrainingRequest.Head(128, 0.5), new TrainingRequest.FrozenPhase(0, 1e-3, s.batchSize()),
                new TrainingRequest.FineTunePhase(s.epochs(), 1e-3, s.batchSize(), "block1_conv1"), null, null, null, 42L));
        double scratchSeconds = (System.nanoTime() - start) / 1e9;
        boolean imagenet = IMAGENET.equals(s.transferBase());
        TrainingRequest.Base base = imagenet
                ? new TrainingRequest.Base(Demo.ARCHITECTURE, "imagenet", Demo.Settings.DEFAULT.size(), Demo.Settings.DEFAULT.size())
                : new TrainingRequest.Base(null, s.transferBase(), null, null);
        // the demo's classifier is a ResNet50; an earlier small-convnet model fine-tunes its last block
        String demos = "model:" + Demo.CLASSIFIER;
        String unfreeze = imagenet || s.transferBase().equals(demos) || s.transferBase().startsWith(demos + "@")
                ? Demo.TOP_BLOCK : "block3_conv1";
        out.println("\n== transfer: " + (imagenet ? "ResNet50 with its ImageNet weights" : s.transferBase()) + " as base, "
                + half + " epochs frozen + " + (s.epochs() - half) + " fine-tuning from " + unfreeze);
        start = System.nanoTime();
        TrainingFollower.Outcome transfer = jobs.train(new TrainingRequest(TRANSFER + "-" + run, TRANSFER,
                Task.CLASSIFICATION, dataset, base, new TrainingRequest.Head(128, 0.5),
                new TrainingRequest.FrozenPhase(half, 1e-3, s.batchSize()),
                new TrainingRequest.FineTunePhase(s.epochs() - half, 1e-4, s.batchSize(), unfreeze),
                null, null, null, 42L));
        double transferSeconds = (System.nanoTime() - start) / 1e9;
        if (!scratch.succeeded() || !transfer.succeeded()) {
            return false;
        }
        jobs.awaitServing(SCRATCH, scratch.version().version());
        jobs.awaitServing(TRANSFER, transfer.version().version());
        Demo.Scores fromScratch = jobs.score(dir, SCRATCH, null, 0);
        Demo.Scores transferred = jobs.score(dir, TRANSFER, null, 0);
        out.printf(Locale.ROOT, "%nOn %d test images, %d training images per class, %d epochs each:%n",
                fromScratch.images(), s.trainPerClass(), s.epochs());
        out.printf(Locale.ROOT, "  from scratch   accuracy %.1f%% in %.0f s%n", 100 * fromScratch.accuracy(), scratchSeconds);
        out.printf(Locale.ROOT, "  transfer       accuracy %.1f%% in %.0f s (base %s)%n", 100 * transferred.accuracy(),
                transferSeconds, imagenet ? "ResNet50 ImageNet" : s.transferBase());
        return true;
    }
}
