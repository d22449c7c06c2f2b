package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.shared.events.TrainingRequest;
import dev.graft.shared.json.Json;
import dev.graft.shared.manifest.Task;

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

/**
 * The main job: Fashion-MNIST at 48x48 RGB. A classifier is trained on a base with no pretrained
 * weights (none can be downloaded offline); then a price regressor uses that classifier as its
 * base, so the transfer really happens; then held-out test images are sent to the inference service.
 */
public final class Demo {
    public static final String CLASSIFIER = "fashion-classifier";
    public static final String REGRESSOR = "fashion-price";
    private static final Duration TRAINING_TIMEOUT = Duration.ofMinutes(30);

    /** Image counts and epochs: the defaults are chosen to finish within 10 minutes on 2 CPU cores. */
    public record Settings(int trainPerClass, int validationPerClass, int testPerClass, int size, int epochs) {
        public static final Settings DEFAULT = new Settings(300, 50, 10, 48, 3);

        public Settings {
            if (trainPerClass < 1 || validationPerClass < 1 || testPerClass < 1
                    || trainPerClass + validationPerClass > FashionMnist.TRAIN_PER_CLASS
                    || testPerClass > FashionMnist.TEST_PER_CLASS) {
                throw new IllegalArgumentException("Fashion-MNIST has " + FashionMnist.TRAIN_PER_CLASS
                        + " training images per class (shared by train and validation) and "
                        + FashionMnist.TEST_PER_CLASS + " test images per class");
            }
            if (size < 8 || epochs < 1) {
                throw new IllegalArgumentException("--size must be >= 8 and --epochs >= 1");
            }
        }
    }

    private final Path dataRoot;
    private final TrainingFollower follower;
    private final InferenceClient inference;
    private final PrintStream out;

    public Demo(Path dataRoot, TrainingFollower follower, InferenceClient inference, PrintStream out) {
        this.dataRoot = dataRoot;
        this.follower = follower;
        this.inference = inference;
        this.out = out;
    }

    public boolean run(Settings settings) throws IOException, InterruptedException {
        long start = System.nanoTime();
        String dataset = "fashion-" + settings.trainPerClass() + "-" + settings.validationPerClass() + "-"
                + settings.testPerClass();
        Path dir = dataRoot.resolve(dataset);
        prepare(dir, settings);
        String run = Long.toString(System.currentTimeMillis(), 36);

        out.println("\n== 1/3 classifier: " + settings.size() + "x" + settings.size() + " RGB, small-convnet base"
                + " (random weights: imagenet ones cannot be downloaded offline)");
        TrainingRequest classifier = new TrainingRequest(CLASSIFIER + "-" + run, CLASSIFIER, Task.CLASSIFICATION,
                new TrainingRequest.Dataset(dataset + "/train", dataset + "/validation", null, null),
                new TrainingRequest.Base("small-convnet", "random", settings.size(), settings.size()),
                new TrainingRequest.Head(128, 0.5),
                new TrainingRequest.FrozenPhase(1, 1e-3, 32),
                // random features carry little: the whole network is fine-tuned
                new TrainingRequest.FineTunePhase(settings.epochs() + 1, 1e-3, 32, "block1_conv1"), 42L);
        TrainingFollower.Outcome classified = train(classifier);
        if (!classified.succeeded()) {
            return false;
        }
        int classifierVersion = classified.version().version();

        out.println("\n== 2/3 price regressor on the classifier as base (model:" + CLASSIFIER + "@" + classifierVersion + ")");
        TrainingRequest regressor = new TrainingRequest(REGRESSOR + "-" + run, REGRESSOR, Task.REGRESSION,
                new TrainingRequest.Dataset(dataset + "/train-prices.csv", dataset + "/validation-prices.csv", "file", "price"),
                new TrainingRequest.Base(null, "model:" + CLASSIFIER + "@" + classifierVersion, null, null),
                new TrainingRequest.Head(64, 0.0),
                // frozen epochs are cheap (no gradients through the base): take more of them
                new TrainingRequest.FrozenPhase(2 * settings.epochs(), 2e-3, 32),
                new TrainingRequest.FineTunePhase(1, 1e-4, 32, "block3_conv1"), 42L);
        TrainingFollower.Outcome priced = train(regressor);
        if (!priced.succeeded()) {
            return false;
        }

        out.println("\n== 3/3 held-out test images through the inference service");
        inference.awaitServing(CLASSIFIER, classifierVersion, Duration.ofMinutes(2));
        inference.awaitServing(REGRESSOR, priced.version().version(), Duration.ofMinutes(2));
        evaluate(dir);
        out.printf(Locale.ROOT, "%nDemo finished in %.1f minutes.%n", (System.nanoTime() - start) / 60e9);
        out.println("""

                Train bigger: more images and epochs, e.g.
                  bin/graft demo --train-per-class 5000 --validation-per-class 1000 --test-per-class 1000 --epochs 8
                or write your own request (README: "Training requests") with a pretrained base, e.g.
                  "base": {"architecture": "vgg16", "weights": "imagenet", "inputHeight": 150, "inputWidth": 150}
                and send it with: bin/graft train request.json""");
        return true;
    }

    private void prepare(Path dir, Settings settings) throws IOException {
        Path done = dir.resolve(".complete");
        if (Files.exists(done)) {
            out.println("Dataset ready in " + dir);
            return;
        }
        out.println("Preparing Fashion-MNIST in " + dir + " from " + FashionMnist.DEBIAN_DIR + " ...");
        int n = FashionMnist.export(FashionMnist.DEBIAN_DIR, dir, List.of(
                new FashionMnist.Split("train", "train", 0, settings.trainPerClass()),
                new FashionMnist.Split("validation", "train", settings.trainPerClass(), settings.validationPerClass()),
                new FashionMnist.Split("test", "t10k", 0, settings.testPerClass())), 7);
        Files.writeString(done, n + " images\n");
        out.println("  " + n + " images: " + settings.trainPerClass() + " train, " + settings.validationPerClass()
                + " validation (from the training file) and " + settings.testPerClass()
                + " held-out test (from the test file) per class");
    }

    private TrainingFollower.Outcome train(TrainingRequest request) {
        TrainingFollower.Outcome outcome = follower.trainAndFollow(request.requestId(), Json.write(request), TRAINING_TIMEOUT);
        if (!outcome.succeeded()) {
            out.println("Training " + request.model() + " failed: " + outcome.last().message());
        }
        return outcome;
    }

    private void evaluate(Path dir) throws IOException, InterruptedException {
        Map<String, Double> truePrices = new LinkedHashMap<>();
        List<String> csv = Files.readAllLines(dir.resolve("test-prices.csv"));
        for (String line : csv.subList(1, csv.size())) {
            String[] cells = line.split(",");
            truePrices.put(cells[0], Double.parseDouble(cells[1]));
        }
        List<String> rows = new ArrayList<>(truePrices.keySet());
        int correct = 0;
        double absoluteError = 0;
        out.printf("%-34s %-11s %-11s %6s  %9s %9s%n", "image", "true", "predicted", "p", "price", "predicted");
        for (int i = 0; i < rows.size(); i++) {
            String file = rows.get(i);
            String label = Path.of(file).getParent().getFileName().toString();
            JsonNode classification = inference.predict(CLASSIFIER, dir.resolve(file));
            JsonNode price = inference.predict(REGRESSOR, dir.resolve(file));
            String predicted = classification.path("label").asText();
            double predictedPrice = price.path("value").asDouble();
            correct += predicted.equals(label) ? 1 : 0;
            absoluteError += Math.abs(predictedPrice - truePrices.get(file));
            if (i % Math.max(1, rows.size() / 20) == 0) {
                out.printf(Locale.ROOT, "%-34s %-11s %-11s %6.2f  %9.2f %9.2f%s%n", file, label, predicted,
                        classification.path("probabilities").path(predicted).asDouble(), truePrices.get(file),
                        predictedPrice, predicted.equals(label) ? "" : "  <- wrong class");
            }
        }
        double floor = FashionMnist.PRICE_SIGMA * Math.sqrt(2 / Math.PI);
        int shown = (rows.size() + Math.max(1, rows.size() / 20) - 1) / Math.max(1, rows.size() / 20);
        out.printf(Locale.ROOT, "%nOn %d held-out test images (%d of them shown above):%n", rows.size(), shown);
        out.printf(Locale.ROOT, "  classifier accuracy     %.1f%%%n", 100.0 * correct / rows.size());
        out.printf(Locale.ROOT, "  price mean abs. error   %.2f (noise floor sigma*0.798 = %.2f; %.2fx the floor)%n",
                absoluteError / rows.size(), floor, absoluteError / rows.size() / floor);
    }
}
