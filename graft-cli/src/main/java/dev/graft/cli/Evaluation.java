package dev.graft.cli;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.manifest.Task;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code graft eval}: quality on the real Fashion-MNIST test set, as documented in
 * docs/evaluation.md. The full run trains the classifier on the whole training file (a tenth held out
 * for validation) and scores all 10,000 test images; the price regressor builds on it. With
 * {@code --base imagenet} the classifier is the demo's recipe on ResNet50 ImageNet instead of a small
 * convnet from scratch. With {@code --per-class N[,N...]} it instead compares, on N images per class,
 * a network trained from scratch with one on a pretrained base, at the same epochs and at the same time.
 */
public final class Evaluation {
    static final String CLASSIFIER = "fashion-eval-classifier";
    static final String REGRESSOR = "fashion-eval-price";
    static final String SCRATCH = "fashion-compare-scratch";
    static final String TRANSFER = "fashion-compare-transfer";
    /** The comparison's default transfer base: the demo's, ResNet50 with its ImageNet weights. */
    static final String IMAGENET = "imagenet";
    /** The full run on ResNet50: the demo's input size, and head epochs on cached features. */
    static final int IMAGENET_SIZE = 72;
    static final int IMAGENET_FROZEN_EPOCHS = 6;

    /**
     * @param trainPerClass training images per class; the full run uses all 6,000 (5,400 train, 600 validation)
     * @param epochs        full run: classifier epochs; comparison: epochs of each network
     * @param transferBase  comparison: what the transfer network starts from, {@link #IMAGENET} or model:NAME[@VERSION]
     */
    public record Settings(int trainPerClass, int testPerClass, int epochs, int batchSize, String transferBase) {
        public static Settings full() {
            return new Settings(FashionMnist.TRAIN_PER_CLASS, FashionMnist.TEST_PER_CLASS, 13, 64, null);
        }

        /** The whole set on ResNet50 ImageNet: epochs are the fine-tuning ones, each an end-to-end pass over 54,000 images. */
        public static Settings fullImageNet() {
            return new Settings(FashionMnist.TRAIN_PER_CLASS, FashionMnist.TEST_PER_CLASS, 1, 64, IMAGENET);
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
        out.println(Machine.describe());

        boolean imagenet = IMAGENET.equals(s.transferBase());
        TrainingRequest.Dataset images = new TrainingRequest.Dataset("%s/train".formatted(dir.getFileName()),
                "%s/validation".formatted(dir.getFileName()), null, null, null);
        TrainingRequest classifier;
        if (imagenet) {
            // the demo's recipe: a new head on cached features, then the top block fine-tuned (epochs: its epochs)
            out.println("\n== classifier: ResNet50 with its ImageNet weights at " + IMAGENET_SIZE + " px, a new head for "
                    + IMAGENET_FROZEN_EPOCHS + " epochs on cached features, then " + s.epochs() + " fine-tuning from "
                    + Demo.TOP_BLOCK + ", on " + 10 * (s.trainPerClass() - validation) + " images");
            classifier = new TrainingRequest(CLASSIFIER + "-" + run, CLASSIFIER, Task.CLASSIFICATION, images,
                    new TrainingRequest.Base(Demo.ARCHITECTURE, "imagenet", IMAGENET_SIZE, IMAGENET_SIZE),
                    new TrainingRequest.Head(256, 0.5), new TrainingRequest.FrozenPhase(IMAGENET_FROZEN_EPOCHS, 1e-3, s.batchSize(), "cosine"),
                    new TrainingRequest.FineTunePhase(s.epochs(), 1e-4, s.batchSize(), Demo.TOP_BLOCK, "cosine"), null, null,
                    null, 42L);
        } else {
            out.println("\n== classifier: small-convnet trained whole for " + s.epochs() + " epochs on "
                    + 10 * (s.trainPerClass() - validation) + " images");
            classifier = new TrainingRequest(CLASSIFIER + "-" + run, CLASSIFIER, Task.CLASSIFICATION, images,
                    new TrainingRequest.Base("small-convnet", "random", 48, 48), new TrainingRequest.Head(128, 0.5),
                    new TrainingRequest.FrozenPhase(0, 1e-3, s.batchSize()),
                    new TrainingRequest.FineTunePhase(s.epochs(), 1e-3, s.batchSize(), "block1_conv1", "cosine"), null, null,
                    null, 42L);
        }
        long start = System.nanoTime();
        TrainingFollower.Outcome classified = jobs.train(classifier);
        double classifierMinutes = (System.nanoTime() - start) / 60e9;
        if (!classified.succeeded()) {
            return false;
        }
        int version = classified.version().version();

        // on ResNet50 a fine-tuning epoch over the whole set costs a feature pass: the regressor stays on the frozen base
        out.println("\n== price regressor on " + CLASSIFIER + "@" + version + ": a head minimising MAE on cached features"
                + (imagenet ? "" : ", then block3 fine-tuned"));
        start = System.nanoTime();
        TrainingFollower.Outcome priced = jobs.train(new TrainingRequest(REGRESSOR + "-" + run, REGRESSOR, Task.REGRESSION,
                new TrainingRequest.Dataset(dir.getFileName() + "/train-prices.csv",
                        dir.getFileName() + "/validation-prices.csv", null, "file", "price"),
                new TrainingRequest.Base(null, "model:" + CLASSIFIER + "@" + version, null, null),
                new TrainingRequest.Head(128, 0.0, "mae"), new TrainingRequest.FrozenPhase(24, 2e-3, s.batchSize(), "cosine"),
                imagenet ? null : new TrainingRequest.FineTunePhase(2, 1e-4, s.batchSize(), "block3_conv1", "cosine"),
                null, null, null, 42L));
        double regressorMinutes = (System.nanoTime() - start) / 60e9;
        if (!priced.succeeded()) {
            return false;
        }

        out.println("\n== scoring " + 10 * s.testPerClass() + " test images through the inference service");
        jobs.awaitServing(CLASSIFIER, version);
        jobs.awaitServing(REGRESSOR, priced.version().version());
        Demo.Scores scores = jobs.score(dir, CLASSIFIER, REGRESSOR, 10);
        out.println("\n" + Machine.describe() + "; classifier on " + (imagenet ? "ResNet50 ImageNet" : "small-convnet from scratch"));
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

    /** What the comparison's transfer network starts from: {@link #IMAGENET} at an input size, or model:NAME[@VERSION] at its own. */
    record Transfer(String base, int size) {
        String label() {
            return IMAGENET.equals(base) ? "ResNet50 ImageNet, " + size + " px" : base;
        }
    }

    /** One network of a comparison: its test accuracy, the epochs it trained and the time from request to stored version. */
    record Result(double accuracy, int epochs, double seconds) {
    }

    /**
     * One N of {@link #compare}: the scratch network at the common epoch count and again with its epochs
     * scaled to the transfer network's time (null when it already took longer), and the transfer network.
     */
    record Comparison(int perClass, Result scratch, Result scratchAtTransferTime, Result transfer) {
        /** Points the transfer network is ahead of the better scratch network. */
        double gain() {
            double best = Math.max(scratch.accuracy(), scratchAtTransferTime == null ? 0 : scratchAtTransferTime.accuracy());
            return 100 * (transfer.accuracy() - best);
        }
    }

    /** The comparison reads images 5,000 onwards of each class: N to train and N/5 to validate fit in the other 1,000. */
    static final int MAX_PER_CLASS = 800;
    private static final int COMPARISON_SKIP = 5000;

    /** The most epochs the scratch network gets to fill the transfer network's time. */
    static final int MAX_SCRATCH_EPOCHS = 200;

    /**
     * Epochs that give the scratch network at least the transfer network's time, from how long
     * {@code epochs} took; null when it already took as long.
     */
    static Integer epochsForTime(int epochs, double scratchSeconds, double transferSeconds) {
        if (scratchSeconds >= transferSeconds) {
            return null;
        }
        return (int) Math.min(MAX_SCRATCH_EPOCHS, Math.ceil(epochs * transferSeconds / scratchSeconds));
    }

    /**
     * Few images per class, at each N of {@code perClass}: from scratch vs on a pretrained base (the demo's
     * ImageNet ResNet50, or an earlier Graft model), the same images, each with the time it took from
     * request to stored version; the scratch network also with the transfer network's time. Ends with
     * the table docs/evaluation.md keeps.
     */
    public boolean compare(List<Integer> perClass, int epochs, int batchSize, Transfer transfer)
            throws IOException, InterruptedException {
        out.println(Machine.describe());
        List<Comparison> rows = new java.util.ArrayList<>();
        for (int n : perClass) {
            Comparison row = compare(Settings.comparison(n), epochs, batchSize, transfer);
            if (row == null) {
                return false;
            }
            rows.add(row);
        }
        out.printf(Locale.ROOT, "%n%s%n", Machine.describe());
        out.print(table(rows, Settings.comparison(0).testPerClass(), epochs, transfer));
        return true;
    }

    static String table(List<Comparison> rows, int testPerClass, int epochs, Transfer transfer) {
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "Fashion-MNIST, %d test images through the inference service; time from request to stored version:%n"
                        + "  per class   from scratch, %2d epochs   scratch at the transfer's time   %-26s  ahead by%n",
                10 * testPerClass, epochs, transfer.label()));
        for (Comparison row : rows) {
            Result timed = row.scratchAtTransferTime();
            table.append(String.format(Locale.ROOT, "  %9d   %5.1f%% %5.0f s            %-33s%5.1f%% %5.0f s %-10s %+6.1f points%n",
                    row.perClass(), 100 * row.scratch().accuracy(), row.scratch().seconds(),
                    timed == null ? "  (took longer already)" : String.format(Locale.ROOT, "%5.1f%% %5.0f s (%d epochs)",
                            100 * timed.accuracy(), timed.seconds(), timed.epochs()),
                    100 * row.transfer().accuracy(), row.transfer().seconds(), "", row.gain()));
        }
        return table.toString();
    }

    private Comparison compare(Settings s, int epochs, int batchSize, Transfer transferTo) throws IOException, InterruptedException {
        String transferBase = transferTo.base();
        // the slice after the first 5,000 images per class: images the demo's classifier never saw
        int skip = COMPARISON_SKIP;
        int validation = Math.max(10, s.trainPerClass() / 5);
        Path dir = dataRoot.resolve("fashion-compare-" + s.trainPerClass() + "-" + s.testPerClass());
        jobs.prepare(dir, List.of(
                new FashionMnist.Split("train", "train", skip, s.trainPerClass()),
                new FashionMnist.Split("validation", "train", skip + s.trainPerClass(), validation),
                new FashionMnist.Split("test", "t10k", 0, s.testPerClass())));
        TrainingRequest.Dataset dataset = new TrainingRequest.Dataset(dir.getFileName() + "/train",
                dir.getFileName() + "/validation", null, null, null);
        int half = Math.max(1, epochs / 2);
        boolean imagenet = IMAGENET.equals(transferBase);
        TrainingRequest.Base base = imagenet
                ? new TrainingRequest.Base(Demo.ARCHITECTURE, "imagenet", transferTo.size(), transferTo.size())
                : new TrainingRequest.Base(null, transferBase, null, null);
        // the demo's classifier is a ResNet50; an earlier small-convnet model fine-tunes its last block
        String demos = "model:" + Demo.CLASSIFIER;
        String unfreeze = imagenet || transferBase.equals(demos) || transferBase.startsWith(demos + "@")
                ? Demo.TOP_BLOCK : "block3_conv1";

        out.printf(Locale.ROOT, "%n== %d images per class; transfer: %s as base, %d epochs frozen + %d fine-tuning from %s%n",
                s.trainPerClass(), imagenet ? "ResNet50 with its ImageNet weights" : transferBase, half, epochs - half, unfreeze);
        Result transfer = trainAndScore(dir, TRANSFER, base, new TrainingRequest.Head(128, 0.5),
                new TrainingRequest.FrozenPhase(half, 1e-3, batchSize),
                new TrainingRequest.FineTunePhase(epochs - half, 1e-4, batchSize, unfreeze), dataset, epochs);
        if (transfer == null) {
            return null;
        }
        out.printf(Locale.ROOT, "%n== %d images per class; from scratch: small-convnet, random weights, trained whole for %d epochs%n",
                s.trainPerClass(), epochs);
        Result scratch = scratch(dir, dataset, epochs, batchSize);
        if (scratch == null) {
            return null;
        }
        Integer timedEpochs = epochsForTime(epochs, scratch.seconds(), transfer.seconds());
        Result timed = null;
        if (timedEpochs != null) {
            out.printf(Locale.ROOT, "%n== %d images per class; from scratch again, %d epochs: the transfer network's %.0f s%n",
                    s.trainPerClass(), timedEpochs, transfer.seconds());
            timed = scratch(dir, dataset, timedEpochs, batchSize);
            if (timed == null) {
                return null;
            }
        }
        Comparison row = new Comparison(s.trainPerClass(), scratch, timed, transfer);
        out.print(table(List.of(row), s.testPerClass(), epochs, transferTo));
        return row;
    }

    private Result scratch(Path dir, TrainingRequest.Dataset dataset, int epochs, int batchSize)
            throws IOException, InterruptedException {
        return trainAndScore(dir, SCRATCH, new TrainingRequest.Base("small-convnet", "random", 48, 48),
                new TrainingRequest.Head(128, 0.5), new TrainingRequest.FrozenPhase(0, 1e-3, batchSize),
                new TrainingRequest.FineTunePhase(epochs, 1e-3, batchSize, "block1_conv1"), dataset, epochs);
    }

    /** Trains one network, waits until it serves and scores the test split through the inference service; null on failure. */
    private Result trainAndScore(Path dir, String model, TrainingRequest.Base base, TrainingRequest.Head head,
                                 TrainingRequest.FrozenPhase frozen, TrainingRequest.FineTunePhase fineTune,
                                 TrainingRequest.Dataset dataset, int epochs) throws IOException, InterruptedException {
        long start = System.nanoTime();
        TrainingFollower.Outcome outcome = jobs.train(new TrainingRequest(model + "-" + Long.toString(System.currentTimeMillis(), 36),
                model, Task.CLASSIFICATION, dataset, base, head, frozen, fineTune, null, null, null, 42L));
        double seconds = (System.nanoTime() - start) / 1e9;
        if (!outcome.succeeded()) {
            return null;
        }
        jobs.awaitServing(model, outcome.version().version());
        return new Result(jobs.score(dir, model, null, 0).accuracy(), epochs, seconds);
    }
}
