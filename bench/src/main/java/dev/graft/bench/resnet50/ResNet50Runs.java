package dev.graft.bench.resnet50;

import dev.graft.bench.trainer.Recipes;
import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ModelStore;
import dev.graft.testing.TestImages;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.base.ImageNetWeights;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.RemoteDatasets;
import dev.graft.trainer.training.Checkpoint;
import dev.graft.trainer.training.RecipeListener;
import dev.graft.trainer.training.TrainingPlan;
import dev.graft.trainer.training.TrainingReport;
import dev.graft.trainer.training.TrainingRequestValidator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A dataset of its own and the trainer's recipe over it: ResNet50 ImageNet, a 256-unit head, batch 32. */
final class ResNet50Runs {
    private static final int BATCH = ResNet50Benchmark.BATCH;

    private final DatasetReader reader;
    private final BaseFactory bases;

    ResNet50Runs(ImageNetWeights weights, int perClass, int validationPerClass) throws IOException {
        Path root = Files.createTempDirectory("graft-resnet-bench");
        TestImages.classFolders(root.resolve("data/train"), perClass, 1);
        TestImages.classFolders(root.resolve("data/validation"), validationPerClass, 2);
        reader = new DatasetReader(root.resolve("data").toString(), RemoteDatasets.none());
        bases = Recipes.bases(new ModelStore(root.resolve("models")), reader, weights);
    }

    TrainingReport run(int size, int frozenEpochs, int fineTuneEpochs, long cacheBytes, RecipeListener listener) {
        TrainingPlan plan = TrainingRequestValidator.validate(new TrainingRequest("bench", "bench", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("train", "validation", null, null, null),
                new TrainingRequest.Base("resnet50", "imagenet", size, size), new TrainingRequest.Head(256, 0.5),
                new TrainingRequest.FrozenPhase(frozenEpochs, 1e-3, BATCH),
                fineTuneEpochs == 0 ? null : new TrainingRequest.FineTunePhase(fineTuneEpochs, 1e-4, BATCH, Recipes.RESNET50_TOP_BLOCK),
                null, null, null, 1L));
        return Recipes.recipe(bases, reader, cacheBytes).run(plan, listener, Checkpoint.none()).report();
    }
}
