package dev.graft.trainer.base;

import jakarta.enterprise.context.ApplicationScoped;
import org.deeplearning4j.zoo.PretrainedType;

import java.util.ArrayList;
import java.util.List;

/** What a request may name as a base: each architecture, the inputs it accepts and its layer names. */
@ApplicationScoped
public class BaseCatalog {

    /**
     * @param minInput     smallest input height and width, in pixels
     * @param maxInput     largest accepted by a request
     * @param featureLayer where the head is attached
     * @param weights      weights it can start from besides {@code model:NAME[@VERSION]}
     * @param layers       names {@code fineTune.unfreezeFrom} accepts, in network order (the zoo's top included)
     */
    public record BaseInfo(String architecture, int minInput, int maxInput, String featureLayer, List<String> weights,
                           List<String> layers) {
    }

    private volatile List<BaseInfo> catalog;

    /** Built once, on first use: listing layers means building each network at its smallest input. */
    public List<BaseInfo> all() {
        List<BaseInfo> known = catalog;
        if (known == null) {
            synchronized (this) {
                if (catalog == null) {
                    catalog = build();
                }
                known = catalog;
            }
        }
        return known;
    }

    private static List<BaseInfo> build() {
        List<BaseInfo> infos = new ArrayList<>();
        for (Architecture architecture : Architecture.values()) {
            int size = architecture.minInput();
            var graph = architecture.randomGraph(size, size, 1);
            boolean imagenet = architecture.zooModel(size, size, 1)
                    .map(zoo -> zoo.pretrainedAvailable(PretrainedType.IMAGENET)).orElse(false);
            infos.add(new BaseInfo(architecture.id(), size, Architecture.MAX_INPUT, architecture.featureLayer(),
                    imagenet ? List.of("random", "imagenet") : List.of("random"), architecture.layerNames(graph)));
        }
        return List.copyOf(infos);
    }
}
