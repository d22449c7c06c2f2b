package dev.graft.bench.trainer;

import dev.graft.store.ModelStore;
import dev.graft.testing.TestImages;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.RemoteDatasets;
import dev.graft.trainer.storage.TrainerState;
import dev.graft.trainer.training.Checkpoint;
import dev.graft.trainer.training.Checkpoints;
import dev.graft.trainer.training.EpochResult;
import dev.graft.trainer.training.TrainingPlan;
import dev.graft.trainer.training.TrainingReport;
import dev.graft.trainer.training.TrainingRequestValidator;
import dev.graft.trainer.training.TransferRecipe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

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
 * Arguments ({@code bin/graft bench trainer}): architecture (default vgg16), input size (48), images per class
 * (128), batch size (32).
 */
public final class TrainerBenchmark {
    /** Frozen epochs of the demo's classifier and regressor, and of the evaluation's regressor (bin/graft demo, eval). */
    private static final int[] FROZEN_EPOCHS = {1, 6, 8};
    private static final int FINE_TUNE_EPOCHS = 2;

    private final String architecture;
    private final int size;
    private final int perClass;
    private final int batch;

    public TrainerBenchmark(String architecture, int size, int perClass, int batch) {
        this.architecture = architecture;
        this.size = size;
        this.perClass = perClass;
        this.batch = batch;
    }

    public void run() throws IOException {
        Path root = Files.createTempDirectory("graft-bench");
        TestImages.classFolders(root.resolve("data/train"), perClass, 1);
        TestImages.classFolders(root.resolve("data/validation"), Math.max(8, perClass / 8), 2);
        ModelStore store = new ModelStore(root.resolve("models"));
        DatasetReader reader = new DatasetReader(root.resolve("data").toString(), RemoteDatasets.none());
        BaseFactory bases = Recipes.bases(store, reader, Recipes.NO_WEIGHTS);
        System.out.printf(Locale.ROOT, "%s at %dx%d, %d training images, batch %d, %d cores%n", architecture, size, size,
                2 * perClass, batch, Runtime.getRuntime().availableProcessors());

        int frozenEpochs = Arrays.stream(FROZEN_EPOCHS).max().orElseThrow();
        TrainingPlan frozen = TrainingRequestValidator.validate(Recipes.request(architecture, size, batch, frozenEpochs, 0));
        TrainingReport cached = Recipes.recipe(bases, reader, 1L << 34).run(frozen, e -> { }, Checkpoint.none()).report();
        TrainingReport endToEnd = Recipes.recipe(bases, reader, 0).run(frozen, e -> { }, Checkpoint.none()).report();
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

        TrainingPlan fineTune = TrainingRequestValidator.validate(Recipes.request(architecture, size, batch, 0, FINE_TUNE_EPOCHS));
        Checkpoints checkpoints = new Checkpoints(TrainerState.folder(store.folder().orElseThrow().resolve(".bench-state")), Duration.ofMinutes(1));
        double[] trainer = new double[2];
        double[] plain = new double[2];
        trainer[0] = trainerEpochSeconds(Recipes.recipe(bases, reader, 1L << 34), fineTune, checkpoints, "bench-1");
        plain[0] = PlainFitLoop.epochSeconds(bases, reader, fineTune, batch);
        plain[1] = PlainFitLoop.epochSeconds(bases, reader, fineTune, batch);
        trainer[1] = trainerEpochSeconds(Recipes.recipe(bases, reader, 1L << 34), fineTune, checkpoints, "bench-2");
        double trainerMean = (trainer[0] + trainer[1]) / 2;
        double plainMean = (plain[0] + plain[1]) / 2;
        System.out.printf(Locale.ROOT, "fine-tune epoch wall time (training, validation; the trainer's train metric and"
                        + " checkpoints too), runs alternated: trainer %.1f s (%.1f, %.1f), plain DL4J fit loop %.1f s"
                        + " (%.1f, %.1f): ratio %.2f%n", trainerMean, trainer[0], trainer[1], plainMean, plain[0], plain[1],
                plainMean / trainerMean);
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
}
