package dev.graft.bench.trainer;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.imaging.ImageLimits;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ModelStore;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.base.ImageNetWeights;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.training.TransferRecipe;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The trainer's recipe as the benchmarks run it: on their own images, random weights unless told otherwise. */
public final class Recipes {
    /** No ImageNet weights: the benchmarks that use them (resnet50) say where. */
    public static final ImageNetWeights NO_WEIGHTS = new ImageNetWeights(Path.of("target/no-weights"));

    private Recipes() {
    }

    public static BaseFactory bases(ModelStore store, DatasetReader reader, ImageNetWeights weights) {
        return new BaseFactory(store, reader, weights, Optional.empty(), Optional.empty(), Duration.ofMinutes(1));
    }

    /** The recipe with a 16 GiB dataset limit and the given feature cache ({@code 0}: end to end). */
    public static TransferRecipe recipe(BaseFactory bases, DatasetReader reader, long maxFeatureCacheBytes) {
        return new TransferRecipe(bases, reader, 1L << 34, maxFeatureCacheBytes, ImageLimits.DEFAULT_FORMATS);
    }

    /** A classification request on {@code train} and {@code validation}, random weights, a 64-unit head. */
    public static TrainingRequest request(String architecture, int size, int batch, int frozenEpochs, int fineTuneEpochs) {
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
}
