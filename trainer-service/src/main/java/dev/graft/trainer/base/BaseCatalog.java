package dev.graft.trainer.base;

import dev.graft.contract.manifest.Preprocessing;
import jakarta.enterprise.context.ApplicationScoped;
import org.deeplearning4j.common.resources.DL4JResources;
import org.deeplearning4j.common.resources.ResourceType;
import org.deeplearning4j.zoo.PretrainedType;
import org.deeplearning4j.zoo.ZooModel;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** What a request may name as a base: each architecture, the inputs it accepts, its weights and layer names. */
@ApplicationScoped
public class BaseCatalog {

    /**
     * @param minInput     smallest input height and width, in pixels
     * @param maxInput     largest accepted by a request
     * @param featureLayer where the head is attached
     * @param weights      weights it can start from besides {@code model:NAME[@VERSION]}, keras: and tfjs: files
     * @param layers       names {@code fineTune.unfreezeFrom} accepts: the base's layers, in network order
     * @param otherNames   other names {@code fineTune.unfreezeFrom} accepts, to the listed name they stand for
     *                     (ResNet50: Keras 2.2's and the DL4J zoo's)
     */
    public record BaseInfo(String architecture, int minInput, int maxInput, String featureLayer, List<Weights> weights,
                           List<String> layers, Map<String, String> otherNames) {
    }

    /**
     * @param source        where they come from
     * @param present       whether they are on this trainer now (random weights always are)
     * @param preprocessing how inputs are scaled for them, unless a request says otherwise
     */
    public record Weights(String name, String source, boolean present, String preprocessing) {
    }

    private final Map<Architecture, BaseLayers.Named> layers = new ConcurrentHashMap<>();
    private final ImageNetWeights imageNet;

    public BaseCatalog(ImageNetWeights imageNet) {
        this.imageNet = imageNet;
    }

    public List<BaseInfo> all() {
        return Arrays.stream(Architecture.values()).map(this::of).toList();
    }

    /** Layers are listed once per architecture, on first use (that builds the network at its smallest input). */
    public BaseInfo of(Architecture architecture) {
        BaseLayers.Named names = layers.computeIfAbsent(architecture, BaseCatalog::layers);
        return new BaseInfo(architecture.id(), architecture.minInput(), Architecture.MAX_INPUT, architecture.featureLayer(),
                weights(architecture), names.listed(), names.otherNames());
    }

    private List<Weights> weights(Architecture architecture) {
        List<Weights> weights = new ArrayList<>();
        weights.add(new Weights("random", "initialised by the trainer from the request's seed", true, Preprocessing.UNIT.id()));
        if (architecture == Architecture.RESNET50) {
            weights.add(new Weights("imagenet", "npm " + ImageNetWeights.PACKAGE + " (Keras' ResNet50), converted by"
                    + " bin/graft weights into " + imageNet.dir(), imageNet.present(),
                    architecture.imagenetPreprocessing().id()));
        } else {
            architecture.zooModel(architecture.minInput(), architecture.minInput(), 1)
                    .filter(zoo -> zoo.pretrainedAvailable(PretrainedType.IMAGENET))
                    .ifPresent(zoo -> weights.add(new Weights("imagenet", "DL4J zoo: " + zoo.pretrainedUrl(PretrainedType.IMAGENET),
                            zooFile(zoo).isFile(), architecture.imagenetPreprocessing().id())));
        }
        return weights;
    }

    private static File zooFile(ZooModel<?> zoo) {
        String url = zoo.pretrainedUrl(PretrainedType.IMAGENET);
        return new File(DL4JResources.getDirectory(ResourceType.ZOO_MODEL, zoo.modelName()),
                url.substring(url.lastIndexOf('/') + 1));
    }

    private static BaseLayers.Named layers(Architecture architecture) {
        int size = architecture.minInput();
        var graph = architecture.randomGraph(size, size, 1);
        return BaseLayers.named(graph.getConfiguration(), architecture.resolveLayer(graph, architecture.featureLayer()),
                architecture);
    }
}
