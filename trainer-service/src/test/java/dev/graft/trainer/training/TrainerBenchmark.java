package dev.graft.trainer.training;

import dev.graft.trainer.base.BaseSurgery;
import dev.graft.trainer.storage.TrainerState;
import dev.graft.trainer.dataset.RemoteDatasets;
import dev.graft.imaging.ImageLimits;
import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ModelStore;
import dev.graft.trainer.TestImages;
import dev.graft.trainer.base.Base;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.base.ImageNetWeights;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.ImageTensors;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.stream.LongStream;

/**
 * Speed ratios from one run, on images it makes itself (documented in docs/benchmarks.md; run with
 * {@code bin/graft bench}):
 * <ol>
 *   <li>frozen phase, cached features vs end to end: per epoch (after the first), and the whole phase
 *       a user waits for (the feature pass plus every epoch) at the demo's and the evaluation's frozen
 *       epoch counts (target >= 10x);</li>
 *   <li>fine-tuning: wall time per epoch through the trainer (training, train metric, validation,
 *       checkpoints) vs a plain DL4J fit loop that validates the same way, runs alternated
 *       trainer / plain / plain / trainer (target >= 0.9).</li>
 * </ol>
 * Arguments: architecture (default vgg16), input size (48), images per class (128), batch size (32).
 */
public final class TrainerBenchmark {
    /** Frozen epochs of the demo's classifier and regressor, and of the evaluation's regressor (bin/graft demo, eval). */
    private static final int[] FROZEN_EPOCHS = {1, 6, 8};
    private static final int FINE_TUNE_EPOCHS = 2;

    public static void main(String[] args) throws Exception {
        String architecture = args.length > 0 ? args[0] : "vgg16";
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 48;
        int perClass = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        Path root = Files.createTempDirectory("graft-bench");
        TestImages.classFolders(root.resolve("data/train"), perClass, 1);
        TestImages.classFolders(root.resolve("data/validation"), Math.max(8, perClass / 8), 2);
        ModelStore store = new ModelStore(root.resolve("models"));
        DatasetReader reader = new DatasetReader(root.resolve("data").toString(), RemoteDatasets.none());
        BaseFactory bases = new BaseFactory(store, reader, new ImageNetWeights(Path.of("target/no-weights")), Optional.empty(), Optional.empty(), Duration.ofMinutes(1));
        System.out.printf(Locale.ROOT, "%s at %dx%d, %d training images, batch %d, %d cores%n", architecture, size, size,
                2 * perClass, batch, Runtime.getRuntime().availableProcessors());

        int frozenEpochs = Arrays.stream(FROZEN_EPOCHS).max().orElseThrow();
        TrainingPlan frozen = TrainingRequestValidator.validate(request(architecture, size, batch, frozenEpochs, 0));
        TrainingReport cached = recipe(bases, reader, 1L << 34).run(frozen, e -> { }, Checkpoint.none()).report();
        TrainingReport endToEnd = recipe(bases, reader, 0).run(frozen, e -> { }, Checkpoint.none()).report();
        double cachedEpoch = laterEpochSeconds(cached);
        double endToEndEpoch = laterEpochSeconds(endToEnd);
        System.out.printf(Locale.ROOT, "frozen epoch (2nd to %dth): cached features %.3f s, end to end %.3f s: %.1fx faster%n",
                frozenEpochs, cachedEpoch, endToEndEpoch, endToEndEpoch / cachedEpoch);
        double featurePass = cached.phaseSeconds().getOrDefault("features", 0.0);
        for (int epochs : FROZEN_EPOCHS) {
            double cachedPhase = featurePass + firstEpochsSeconds(cached, epochs);
            double endToEndPhase = firstEpochsSeconds(endToEnd, epochs);
            System.out.printf(Locale.ROOT, "frozen phase of %d epoch%s: cached %.1f s (feature pass %.1f s included),"
                            + " end to end %.1f s: %.1fx faster%n", epochs, epochs == 1 ? "" : "s", cachedPhase,
                    featurePass, endToEndPhase, endToEndPhase / cachedPhase);
        }

        TrainingPlan fineTune = TrainingRequestValidator.validate(request(architecture, size, batch, 0, FINE_TUNE_EPOCHS));
        Checkpoints checkpoints = new Checkpoints(TrainerState.folder(store.folder().orElseThrow().resolve(".bench-state")), Duration.ofMinutes(1));
        double[] trainer = new double[2];
        double[] plain = new double[2];
        trainer[0] = trainerEpochSeconds(recipe(bases, reader, 1L << 34), fineTune, checkpoints, "bench-1");
        plain[0] = plainEpochSeconds(bases, reader, fineTune, batch);
        plain[1] = plainEpochSeconds(bases, reader, fineTune, batch);
        trainer[1] = trainerEpochSeconds(recipe(bases, reader, 1L << 34), fineTune, checkpoints, "bench-2");
        double trainerMean = (trainer[0] + trainer[1]) / 2;
        double plainMean = (plain[0] + plain[1]) / 2;
        System.out.printf(Locale.ROOT, "fine-tune epoch wall time (training, validation; the trainer's train metric and"
                        + " checkpoints too), runs alternated: trainer %.1f s (%.1f, %.1f), plain DL4J fit loop %.1f s"
                        + " (%.1f, %.1f): ratio %.2f%n", trainerMean, trainer[0], trainer[1], plainMean, plain[0], plain[1],
                plainMean / trainerMean);
    }

    static TransferRecipe recipe(BaseFactory bases, DatasetReader reader, long maxFeatureCacheBytes) {
        return new TransferRecipe(bases, reader, 1L << 34, maxFeatureCacheBytes, ImageLimits.DEFAULT_FORMATS);
    }
    static TrainingRequest request(String architecture, int size, int batch, int frozenEpochs, int fineTuneEpochs) {
        return new TrainingRequest("bench", "bench", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("train", "validation", null, null, null),
                new TrainingRequest.Base(architecture, "random", size, size), new TrainingRequest.Head(64, 0.0),
                new TrainingRequest.FrozenPhase(frozenEpochs, 1e-3, batch),
                fineTuneEpochs == 0 ? null : new TrainingRequest.FineTunePhase(fineTuneEpochs, 1e-4, batch,
                        firstLayer(architecture)),
                null, null, null, 1L);
    }

    /** The whole base is fine-tuned: the heaviest case, where loop overhead would show least. */
    private static String firstLayer(String architecture) {
        return switch (architecture) {
            case "resnet50" -> "conv1_conv";
            case "squeezenet" -> "conv1";
            default -> "block1_conv1";
        };
    }

    private static double laterEpochSeconds(TrainingReport report) {
        List<EpochResult> history = report.history();
        return history.subList(1, history.size()).stream().mapToDouble(EpochResult::seconds).average().orElseThrow();
    }

    /** The epochs a phase of {@code epochs} would have run: each one's wall time, training metric and validation included. */
    private static double firstEpochsSeconds(TrainingReport report, int epochs) {
        return report.history().subList(0, epochs).stream().mapToDouble(EpochResult::seconds).sum();
    }

    /** The fine-tune phase's wall time per epoch as the recipe ran it, with real checkpoints (every minute). */
    private static double trainerEpochSeconds(TransferRecipe recipe, TrainingPlan plan, Checkpoints checkpoints,
                                              String requestId) {
        TrainingReport report = recipe.run(plan, e -> { }, checkpoints.of(requestId, requestId)).report();
        checkpoints.discard(requestId);
        return report.phaseSeconds().get(plan.fineTune().name()) / plan.fineTune().epochs();
    }

    /**
     * The same network the fine-tune phase trains, fit batch by batch in a bare loop over shuffled
     * rows, and validated after every epoch as the recipe does; wall seconds per epoch.
     */
    private static double plainEpochSeconds(BaseFactory bases, DatasetReader reader, TrainingPlan plan, int batch) {
        Base base = bases.load(plan.base(), plan.seed());
        String unfreeze = base.resolveLayer(plan.unfreezeFrom());
        ComputationGraph graph = BaseSurgery.frozenBelow(BaseSurgery.unfrozen(
                BaseSurgery.withNewHead(base, TransferRecipe.newHead(plan, 2, null), plan.frozen().learningRate(), plan.seed())), unfreeze, plan.fineTune().learningRate(), plan.seed());
        MultiDataSet data = ImageTensors.load(reader.classFolders(plan.dataset().train(), null), base.inputShape(),
                base.preprocessing(), null, 1L << 34, ImageLimits.DATASET);
        MultiDataSet validation = ImageTensors.load(reader.classFolders(plan.dataset().validation(), null),
                base.inputShape(), base.preprocessing(), null, 1L << 34, ImageLimits.DATASET);
        Evaluator evaluator = new Evaluator(Task.CLASSIFICATION, RegressionLoss.MSE, null);
        INDArray features = data.getFeatures(0);
        INDArray labels = data.getLabels(0);
        int n = (int) features.size(0);
        Random random = new Random(plan.seed());
        long start = System.nanoTime();
        for (int epoch = 0; epoch < plan.fineTune().epochs(); epoch++) {
            List<Long> order = new ArrayList<>(LongStream.range(0, n).boxed().toList());
            Collections.shuffle(order, random);
            for (int from = 0; from < n; from += batch) {
                long[] rows = order.subList(from, Math.min(n, from + batch)).stream().mapToLong(Long::longValue).toArray();
                graph.fit(new MultiDataSet(features.get(NDArrayIndex.indices(rows)), labels.get(NDArrayIndex.indices(rows))));
            }
            evaluator.score(EpochLoop.output(graph, validation.getFeatures(0)), validation.getLabels(0));
        }
        return (System.nanoTime() - start) / 1e9 / plan.fineTune().epochs();
    }
}
