package dev.graft.trainer.base;

import jakarta.enterprise.context.ApplicationScoped;
import org.deeplearning4j.zoo.PretrainedType;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** What a request may name as a base: each architecture, the inputs it accepts and its layer names. */
@ApplicationScoped
public class BaseCatalog {

    /**
     * @param minInput     smallest input height and width, in pixels
     * @param maxInput     largest accepted by a request
     * @param featureLayer where the head is attached
     * @param weights      weights it can start from besides {@code model:NAME[@VERSION]}
     * @param layers       names {@code fineTune.unfreezeFrom} accepts: the base's layers, in network order
     */
    public record BaseInfo(String architecture, int minInput, int maxInput, String featureLayer, List<String> weights,
                           List<String> layers) {
    }

    private final Map<Architecture, BaseInfo> catalog = new ConcurrentHashMap<>();

    public List<BaseInfo> all() {
        return Arrays.stream(Architecture.values()).map(this::of).toList();
    }

    /** Built once per architecture, on first use: listing layers means building the network at its smallest input. */
    public BaseInfo of(Architecture architecture) {
        return catalog.computeIfAbsent(architecture, BaseCatalog::build);
    }

    private static BaseInfo build(Architecture architecture) {
        int size = architecture.minInput();
        var graph = architecture.randomGraph(size, size, 1);
        boolean imagenet = architecture.zooModel(size, size, 1)
                .map(zoo -> zoo.pretrainedAvailable(PretrainedType.IMAGENET)).orElse(false);
        String feature = architecture.resolveLayer(graph, architecture.featureLayer());
        return new BaseInfo(architecture.id(), size, Architecture.MAX_INPUT, architecture.featureLayer(),
                imagenet ? List.of("random", "imagenet") : List.of("random"),
                BaseLayers.names(graph.getConfiguration(), feature, architecture));
    }
}
