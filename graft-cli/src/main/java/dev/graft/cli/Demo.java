package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.Task;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The main job, the Keras recipe for real: Fashion-MNIST on Keras' ResNet50 with its ImageNet weights
 * (bin/graft weights brings them offline). A classifier trains a new head on the frozen base's cached
 * features, then fine-tunes the top block at a lower rate; a price regressor then uses that classifier
 * as its base; then held-out test images are sent to the inference service.
 */
public final class Demo {
    public static final String CLASSIFIER = "fashion-classifier";
    public static final String REGRESSOR = "fashion-price";
    private static final Duration TRAINING_TIMEOUT = Duration.ofHours(2);

    /** The base every demo classifier builds on, and the block its fine-tuning trains. */
    static final String ARCHITECTURE = "resnet50";
    static final String TOP_BLOCK = "conv5_block3_1_conv";

    /**
     * Image counts, the input size and epochs (the classifier's frozen phase takes epochs + 1, its
     * fine-tuning epochs - 1, at least one): the defaults were chosen by measurement, docs/evaluation.md.
     */
    public record Settings(int trainPerClass, int validationPerClass, int testPerClass, int size, int epochs) {
        public static final Settings DEFAULT = new Settings(300, 50, 10, 72, 3);

        public Settings {
            if (trainPerClass < 1 || validationPerClass < 1 || testPerClass < 1
                    || trainPerClass + validationPerClass > FashionMnist.TRAIN_PER_CLASS
                    || testPerClass > FashionMnist.TEST_PER_CLASS) {
                throw new IllegalArgumentException("Fashion-MNIST has " + FashionMnist.TRAIN_PER_CLASS
                        + " training images per class (shared by train and validation) and "
                        + FashionMnist.TEST_PER_CLASS + " test images per class");
            }
            if (size < 70 || epochs < 1) {
                throw new IllegalArgumentException("--size must be >= 70 (ResNet50's smallest input) and --epochs >= 1");
            }
        }
    }

    private final Path dataRoot;
    private final TrainingFollower follower;
    private final InferenceClient inference;
    private final PrintStream out;
    private final Optional<DemoBucket> bucket;

    public Demo(Path dataRoot, TrainingFollower follower, InferenceClient inference, PrintStream out) {
        this(dataRoot, follower, inference, out, Optional.empty());
    }

    /** With a bucket: the exported images are uploaded there and the requests name them by s3:// URI. */
    public Demo(Path dataRoot, TrainingFollower follower, InferenceClient inference, PrintStream out,
                Optional<DemoBucket> bucket) {
        this.dataRoot = dataRoot;
        this.follower = follower;
        this.inference = inference;
        this.out = out;
        this.bucket = bucket;
    }

    public boolean run(Settings settings) throws IOException, InterruptedException {
        long start = System.nanoTime();
        out.println(Machine.describe());
        Path dir = prepare(settings);
        String dataset = dir.getFileName().toString();
        String run = Long.toString(System.currentTimeMillis(), 36);
        // where the trainer reads the dataset: under its data root, or the bucket the images were uploaded to
        String at = bucket.isPresent() ? bucket.get().upload(dir, dataset, out) : dataset + "/";

        out.println("\n== 1/3 classifier: " + settings.size() + "x" + settings.size() + " RGB on ResNet50 with its ImageNet"
                + " weights: a new head on the frozen base, then " + TOP_BLOCK + " upward fine-tuned");
        TrainingRequest classifier = new TrainingRequest(CLASSIFIER + "-" + run, CLASSIFIER, Task.CLASSIFICATION,
                new TrainingRequest.Dataset(at + "train", at + "validation", null, null, null),
                new TrainingRequest.Base(ARCHITECTURE, "imagenet", settings.size(), settings.size()),
                new TrainingRequest.Head(256, 0.5),
                // frozen epochs run on features cached once, so they are cheap
                new TrainingRequest.FrozenPhase(settings.epochs() + 1, 1e-3, 32),
                new TrainingRequest.FineTunePhase(Math.max(1, settings.epochs() - 1), 1e-4, 32, TOP_BLOCK), null, null,
                null, 42L);
        TrainingFollower.Outcome classified = train(classifier);
        if (!classified.succeeded()) {
            return false;
        }
        int classifierVersion = classified.version().version();

        out.println("\n== 2/3 price regressor on the classifier as base (model:" + CLASSIFIER + "@" + classifierVersion + ")");
        TrainingRequest regressor = new TrainingRequest(REGRESSOR + "-" + run, REGRESSOR, Task.REGRESSION,
                new TrainingRequest.Dataset(at + "train-prices.csv", at + "validation-prices.csv", null, "file",
                        "price"),
                new TrainingRequest.Base(null, "model:" + CLASSIFIER + "@" + classifierVersion, null, null),
                new TrainingRequest.Head(64, 0.0),
                // frozen epochs are cheap (no gradients through the base): take more of them
                new TrainingRequest.FrozenPhase(2 * settings.epochs(), 2e-3, 32),
                new TrainingRequest.FineTunePhase(1, 1e-4, 32, TOP_BLOCK), null, null, null, 42L);
        TrainingFollower.Outcome priced = train(regressor);
        if (!priced.succeeded()) {
            return false;
        }

        out.println("\n== 3/3 held-out test images through the inference service");
        awaitServing(CLASSIFIER, classifierVersion);
        awaitServing(REGRESSOR, priced.version().version());
        Scores scores = score(dir, CLASSIFIER, REGRESSOR, 20);
        print(scores);
        out.printf(Locale.ROOT, "%nDemo finished in %.1f minutes.%n", (System.nanoTime() - start) / 60e9);
        out.println("""

                Train bigger: more images, a larger input and epochs, e.g.
                  bin/graft demo --train-per-class 1000 --validation-per-class 200 --test-per-class 100 --size 96 --epochs 4
                or write your own request (README: "Training requests") on this base, e.g.
                  "base": {"architecture": "resnet50", "weights": "imagenet", "inputHeight": 224, "inputWidth": 224}
                and send it with: bin/graft train request.json
                The ImageNet classifier itself: bin/graft import resnet50-imagenet, then bin/graft predict resnet50-imagenet PHOTO""");
        return true;
    }

    /** The demo's images (train, validation, test) for {@code settings}, exported once. */
    Path prepare(Settings settings) throws IOException {
        Path dir = dataRoot.resolve("fashion-" + settings.trainPerClass() + "-" + settings.validationPerClass() + "-"
                + settings.testPerClass());
        prepare(dir, List.of(
                new FashionMnist.Split("train", "train", 0, settings.trainPerClass()),
                new FashionMnist.Split("validation", "train", settings.trainPerClass(), settings.validationPerClass()),
                new FashionMnist.Split("test", "t10k", 0, settings.testPerClass())));
        return dir;
    }

    /** Exports the splits into {@code dir} once; a marker file makes later runs reuse it. */
    void prepare(Path dir, List<FashionMnist.Split> splits) throws IOException {
        Path done = dir.resolve(".complete");
        // an export from before a split was added lacks its CSV: exported again (the same seed gives the same images)
        if (Files.exists(done) && splits.stream().allMatch(split -> Files.exists(dir.resolve(split.name() + "-prices.csv")))) {
            out.println("Dataset ready in " + dir);
            return;
        }
        out.println("Preparing Fashion-MNIST in " + dir + " from " + FashionMnist.DEBIAN_DIR + " ...");
        int n = FashionMnist.export(FashionMnist.DEBIAN_DIR, dir, splits, 7);
        Files.writeString(done, n + " images\n");
        out.println("  " + n + " images, per class: " + String.join(", ", splits.stream().map(split -> split.perClass()
                + " " + split.name() + " (from the " + split.idxPrefix() + " file)").toList()));
    }

    TrainingFollower.Outcome train(TrainingRequest request) {
        TrainingFollower.Outcome outcome = follower.trainAndFollow(request.requestId(), Json.write(request), TRAINING_TIMEOUT);
        if (!outcome.succeeded()) {
            out.println("Training " + request.model() + " failed: " + outcome.last().message());
        }
        return outcome;
    }

    void awaitServing(String model, int version) throws IOException, InterruptedException {
        inference.awaitServing(model, version, Duration.ofMinutes(2));
    }

    /**
     * Accuracy and price error over the test split, as the inference service answers.
     *
     * @param classPriceError the error of pricing each image at its predicted class's mean price (NaN
     *                        without both models): what the regressor would reach if it knew what the
     *                        classifier knows, and no more
     */
    record Scores(int images, double accuracy, double meanAbsoluteError, double classPriceError) {
        double floorRatio() {
            return meanAbsoluteError / noiseFloor();
        }

        /** The best possible MAE: prices are class mean + N(0, sigma), and E|N(0, sigma)| = sigma * sqrt(2/pi). */
        static double noiseFloor() {
            return FashionMnist.PRICE_SIGMA * Math.sqrt(2 / Math.PI);
        }
    }

    /** Sums the answers for one image at a time into {@link Scores}. */
    static final class Tally {
        private final boolean classifier;
        private final boolean regressor;
        private int images;
        private int correct;
        private double absoluteError;
        private double classPriceError;

        Tally(boolean classifier, boolean regressor) {
            this.classifier = classifier;
            this.regressor = regressor;
        }

        /** {@code predicted} is ignored without a classifier, {@code predictedPrice} without a regressor. */
        void add(String label, String predicted, double truePrice, double predictedPrice) {
            images++;
            correct += classifier && predicted.equals(label) ? 1 : 0;
            if (regressor) {
                absoluteError += Math.abs(predictedPrice - truePrice);
                if (classifier) {
                    classPriceError += Math.abs(FashionMnist.MEAN_PRICES[FashionMnist.LABELS.indexOf(predicted)] - truePrice);
                }
            }
        }

        Scores scores() {
            return new Scores(images, (double) correct / images, regressor ? absoluteError / images : Double.NaN,
                    classifier && regressor ? classPriceError / images : Double.NaN);
        }
    }

    /**
     * Sends every test image to both models (either may be null to skip it); prints about {@code shown}
     * rows as it goes.
     */
    Scores score(Path dir, String classifier, String regressor, int shown) throws IOException, InterruptedException {
        Map<String, Double> truePrices = new LinkedHashMap<>();
        List<String> csv = Files.readAllLines(dir.resolve("test-prices.csv"));
        for (String line : csv.subList(1, csv.size())) {
            String[] cells = line.split(",");
            truePrices.put(cells[0], Double.parseDouble(cells[1]));
        }
        List<String> rows = new ArrayList<>(truePrices.keySet());
        int every = shown > 0 ? Math.max(1, rows.size() / shown) : Integer.MAX_VALUE;
        Tally tally = new Tally(classifier != null, regressor != null);
        if (shown > 0) {
            out.printf("%-34s %-11s %-11s %6s  %9s %9s%n", "image", "true", "predicted", "p", "price", "predicted");
        }
        for (int i = 0; i < rows.size(); i++) {
            String file = rows.get(i);
            String label = Path.of(file).getParent().getFileName().toString();
            String predicted = "";
            double probability = Double.NaN;
            if (classifier != null) {
                JsonNode classification = inference.predict(classifier, dir.resolve(file));
                predicted = classification.path("label").asText();
                probability = classification.path("probabilities").path(predicted).asDouble();
            }
            double predictedPrice = Double.NaN;
            if (regressor != null) {
                predictedPrice = inference.predict(regressor, dir.resolve(file)).path("value").asDouble();
            }
            tally.add(label, predicted, truePrices.get(file), predictedPrice);
            if (shown > 0 && i % every == 0) {
                out.printf(Locale.ROOT, "%-34s %-11s %-11s %6.2f  %9.2f %9.2f%s%n", file, label, predicted, probability,
                        truePrices.get(file), predictedPrice,
                        classifier == null || predicted.equals(label) ? "" : "  <- wrong class");
            }
        }
        return tally.scores();
    }

    void print(Scores scores) {
        out.printf(Locale.ROOT, "%nOn %d held-out test images:%n", scores.images());
        out.printf(Locale.ROOT, "  classifier accuracy     %.1f%%%n", 100 * scores.accuracy());
        out.printf(Locale.ROOT, "  price mean abs. error   %.2f (noise floor sigma*0.798 = %.2f; %.2fx the floor)%n",
                scores.meanAbsoluteError(), Scores.noiseFloor(), scores.floorRatio());
        if (!Double.isNaN(scores.classPriceError())) {
            out.printf(Locale.ROOT, "  priced by the classifier %.2f (%.2fx: each image at its predicted class's mean price)%n",
                    scores.classPriceError(), scores.classPriceError() / Scores.noiseFloor());
        }
    }
}
