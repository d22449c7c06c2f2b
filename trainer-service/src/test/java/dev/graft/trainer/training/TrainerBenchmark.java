package dev.graft.trainer.training;

import dev.graft.shared.events.TrainingRequest;
import dev.graft.shared.manifest.Task;
import dev.graft.shared.store.ModelStore;
import dev.graft.trainer.TestImages;
import dev.graft.trainer.base.Base;
import dev.graft.trainer.base.BaseFactory;
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
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Speed ratios from one run, on images it makes itself (documented in docs/benchmarks.md; run with
 * {@code bin/graft bench}):
 * <ol>
 *   <li>frozen phase: an epoch on cached features vs an epoch end to end with the base frozen
 *       (epochs after the first; target >= 10x);</li>
 *   <li>fine-tuning: the trainer's images/s vs a plain DL4J fit loop on the same network, data and
 *       batch size (target >= 0.9).</li>
 * </ol>
 * Arguments: architecture (default vgg16), input size (48), images per class (128), batch size (32).
 */
public final class TrainerBenchmark {

    public static void main(String[] args) throws Exception {
        String architecture = args.length > 0 ? args[0] : "vgg16";
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 48;
        int perClass = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        Path root = Files.createTempDirectory("graft-bench");
        TestImages.classFolders(root.resolve("data/train"), perClass, 1);
        TestImages.classFolders(root.resolve("data/validation"), Math.max(8, perClass / 8), 2);
        ModelStore store = new ModelStore(root.resolve("models"));
        DatasetReader reader = new DatasetReader(root.resolve("data").toString());
        BaseFactory bases = new BaseFactory(store, reader, Optional.empty(), Optional.empty(), Duration.ofMinutes(1));
        System.out.printf(Locale.ROOT, "%s at %dx%d, %d training images, batch %d, %d cores%n", architecture, size, size,
                2 * perClass, batch, Runtime.getRuntime().availableProcessors());

        TrainingPlan frozen = TrainingRequestValidator.validate(request(architecture, size, batch, 3, 0));
        double cached = laterEpochSeconds(new TransferRecipe(bases, reader, 1L << 34, 1L << 34).run(frozen, e -> { }, Checkpoint.none()));
        double endToEnd = laterEpochSeconds(new TransferRecipe(bases, reader, 1L << 34, 0).run(frozen, e -> { }, Checkpoint.none()));
        System.out.printf(Locale.ROOT, "frozen epoch (2nd and 3rd): cached features %.3f s, end to end %.3f s: %.1fx faster%n",
                cached, endToEnd, endToEnd / cached);

        TrainingPlan fineTune = TrainingRequestValidator.validate(request(architecture, size, batch, 0, 2));
        List<EpochResult> epochs = new ArrayList<>();
        new TransferRecipe(bases, reader, 1L << 34, 1L << 34).run(fineTune, epochs::add, Checkpoint.none());
        double trainer = epochs.get(epochs.size() - 1).imagesPerSecond();
        double plain = plainFitLoop(bases, reader, fineTune, batch);
        System.out.printf(Locale.ROOT, "fine-tune images/s: trainer %.1f, plain DL4J fit loop %.1f: ratio %.2f%n",
                trainer, plain, trainer / plain);
    }

    private static TrainingRequest request(String architecture, int size, int batch, int frozenEpochs, int fineTuneEpochs) {
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

    private static double laterEpochSeconds(TrainedModel model) {
        List<EpochResult> history = model.report().history();
        return history.subList(1, history.size()).stream().mapToDouble(EpochResult::seconds).average().orElseThrow();
    }

    /** The same network the fine-tune phase trains, fit batch by batch in a bare loop; images/s of its second epoch. */
    private static double plainFitLoop(BaseFactory bases, DatasetReader reader, TrainingPlan plan, int batch) {
        Base base = bases.load(plan.base(), plan.seed());
        String unfreeze = base.resolveLayer(plan.unfreezeFrom());
        ComputationGraph graph = TransferRecipe.frozenBelow(TransferRecipe.unfrozen(
                TransferRecipe.withNewHead(base, plan, 2, null)), unfreeze, plan.fineTune().learningRate(), plan.seed());
        var files = reader.classFolders(plan.dataset().train(), null);
        MultiDataSet data = ImageTensors.load(files, base.inputShape(), null, 1L << 34);
        INDArray features = data.getFeatures(0);
        INDArray labels = data.getLabels(0);
        int n = (int) features.size(0);
        double seconds = 0;
        for (int epoch = 0; epoch < 2; epoch++) {
            long start = System.nanoTime();
            for (int from = 0; from < n; from += batch) {
                int to = Math.min(n, from + batch);
                graph.fit(new MultiDataSet(features.get(NDArrayIndex.interval(from, to)),
                        labels.get(NDArrayIndex.interval(from, to))));
            }
            seconds = (System.nanoTime() - start) / 1e9;
        }
        return n / seconds;
    }
}
