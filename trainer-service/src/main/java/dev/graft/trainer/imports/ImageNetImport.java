package dev.graft.trainer.imports;

import dev.graft.contract.events.ModelVersionEvent;
import dev.graft.contract.manifest.BaseLineage;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ModelStore;
import dev.graft.trainer.base.Architecture;
import dev.graft.trainer.base.ImageNetWeights;
import dev.graft.trainer.messaging.TrainingEventPublisher;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.file.Files;
import java.util.Map;

/**
 * Stores the ImageNet ResNet50 itself, 1000-class head and labels included, as a servable model
 * ({@code resnet50-imagenet}), and announces it like a trained version: the inference service then
 * answers photos with ImageNet labels, and later trainings may build on it as {@code model:resnet50-imagenet}.
 */
@ApplicationScoped
public class ImageNetImport {
    public static final String MODEL = "resnet50-imagenet";

    private final ImageNetWeights weights;
    private final ModelStore store;
    private final TrainingEventPublisher publisher;

    public ImageNetImport(ImageNetWeights weights, ModelStore store, TrainingEventPublisher publisher) {
        this.weights = weights;
        this.store = store;
        this.publisher = publisher;
    }

    /** A new version of {@link #MODEL}, stored and announced; absent weights throw saying how to get them. */
    public ModelManifest importResNet50() {
        String feature;
        var graph = weights.graph();
        try {
            feature = Architecture.RESNET50.resolveLayer(graph, Architecture.RESNET50.featureLayer());
        } finally {
            graph.close();
        }
        ModelManifest draft = ModelManifest.draft(MODEL, Task.CLASSIFICATION, weights.labels(), null,
                ImageNetWeights.SHAPE, Architecture.RESNET50.imagenetPreprocessing(), Map.of(),
                new BaseLineage(Architecture.RESNET50.id(), "imagenet", feature), "import-" + MODEL);
        // the converted network is already a DL4J model zip: stored as it is
        ModelManifest manifest = store.publish(draft, artifact -> Files.copy(weights.network(), artifact));
        publisher.version(ModelVersionEvent.of(manifest));
        return manifest;
    }
}
