package dev.graft.bench.trainer;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.imaging.ImageLimits;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ModelStore;
import dev.graft.trainer.base.Base;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.base.BaseSurgery;
import dev.graft.trainer.base.ImageNetWeights;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.training.TrainingPlan;
import dev.graft.trainer.training.TrainingRequestValidator;
import dev.graft.trainer.training.TransferRecipe;
import org.deeplearning4j.nn.graph.ComputationGraph;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The trainer's recipe as the benchmarks run it: on their own images, random weights unless told otherwise. */
public final class Recipes {
    /** ResNet50's last block, which the demo fine-tunes. */
    public static final String RESNET50_TOP_BLOCK = "conv5_block3_1_conv";
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

    /**
     * The network the fine-tune phase trains from {@code unfreezeFrom} with a new head of {@code units} (dropout 0.5,
     * 10 classes, Adam, batch 32): the base (ImageNet weights for resnet50, random for the others) with the layers below
     * frozen, built by the trainer's own code; and the graph's name of that layer.
     */
    public static FineTuned fineTuned(BaseFactory bases, String architecture, int size, int units, String unfreezeFrom) {
        TrainingPlan plan = TrainingRequestValidator.validate(new TrainingRequest("bench", "bench", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("train", "validation", null, null, null),
                new TrainingRequest.Base(architecture, architecture.equals("resnet50") ? "imagenet" : "random", size, size),
                new TrainingRequest.Head(units, 0.5), new TrainingRequest.FrozenPhase(1, 1e-3, 32),
                new TrainingRequest.FineTunePhase(1, 1e-4, 32, unfreezeFrom), null, null, null, 1L));
        Base base = bases.load(plan.base(), plan.seed());
        String vertex = base.resolveLayer(plan.unfreezeFrom());
        return new FineTuned(BaseSurgery.frozenBelow(BaseSurgery.unfrozen(BaseSurgery.withNewHead(base,
                        TransferRecipe.newHead(plan, 10, null), plan.frozen().learningRate(), plan.seed())), vertex,
                plan.fineTune().learningRate(), plan.seed()), vertex);
    }

    /** A network as the fine-tune phase trains it from {@code unfreezeVertex} (the graph's name of that layer). */
    public record FineTuned(ComputationGraph graph, String unfreezeVertex) {
    }

    /** The whole base is fine-tuned: the heaviest case, where loop overhead would show least. */
    public static String firstLayer(String architecture) {
        return switch (architecture) {
            case "resnet50" -> "conv1_conv";
            case "squeezenet" -> "conv1";
            default -> "block1_conv1";
        };
    }
}
