package dev.graft.trainer.training;

import dev.graft.trainer.base.BaseLayers;
import dev.graft.trainer.base.BaseSurgery;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The fine-tune phase without re-running the layers it keeps frozen: when everything trained takes
 * its input from one frozen vertex (a ResNet block's or a VGG block's output), that vertex's output
 * is computed once for every image, and only the part above it trains, as its own graph, on those
 * activations: fine-tuning ResNet50's last block so skips most of each step's forward pass, and of
 * the train metric's and validation's. Batch norms stay in inference mode either way.
 */
public final class FineTuneFeatures {
    private FineTuneFeatures() {
    }

    /** The boundary vertex's output for the training and validation images, and the seconds it took. */
    record Cached(String vertex, INDArray train, INDArray validation, double seconds) {
    }

    /** The one frozen vertex every trained vertex that takes frozen input takes it from; empty if there are several. */
    public static Optional<String> boundary(ComputationGraph network, String unfreezeVertex) {
        ComputationGraphConfiguration conf = network.getConfiguration();
        Set<String> frozen = new HashSet<>(BaseSurgery.below(network, unfreezeVertex));
        frozen.addAll(conf.getNetworkInputs());
        Set<String> boundary = new HashSet<>();
        conf.getVertexInputs().forEach((vertex, inputs) -> {
            if (!frozen.contains(vertex)) {
                inputs.stream().filter(frozen::contains).forEach(boundary::add);
            }
        });
        return boundary.size() == 1 && !conf.getNetworkInputs().containsAll(boundary)
                ? Optional.of(boundary.iterator().next()) : Optional.empty();
    }

    /** The boundary's output (c, h, w) for the network's image input of {@code imageType}. */
    public static InputType boundaryType(ComputationGraph network, String boundary, InputType imageType) {
        return network.getConfiguration().getLayerActivationTypes(imageType).get(boundary);
    }

    /** The boundary's output for every image, in inference mode, in bounded batches. */
    static INDArray featurize(ComputationGraph network, String boundary, INDArray images) {
        ComputationGraph bottom = FrozenFeatures.baseOnly(network, boundary,
                BaseLayers.ancestorsAndSelf(network.getConfiguration(), boundary));
        return FrozenFeatures.featurize(bottom, images);
    }

    /** The trained part of {@code network} as its own graph, taking the boundary's output, with the network's weights. */
    public static ComputationGraph top(ComputationGraph network, String unfreezeVertex, String boundary) {
        // edited by hand: DL4J's TransferLearning builder cannot copy the weights of the batch norms kept in
        // inference mode (frozen depthwise convolutions)
        ComputationGraphConfiguration conf = network.getConfiguration().clone();
        for (String vertex : BaseSurgery.below(network, unfreezeVertex)) {
            conf.getVertices().remove(vertex);
            conf.getVertexInputs().remove(vertex);
        }
        conf.setNetworkInputs(new ArrayList<>(List.of(boundary)));
        conf.setTopologicalOrder(null);
        conf.setTopologicalOrderStr(null);
        ComputationGraph top = new ComputationGraph(conf);
        top.init();
        copyLayers(network, top);
        return top;
    }

    /**
     * Copies the weights of every layer of the trained part from one graph to the other (the part on its
     * own, or the whole network: both have its layers by name), in place.
     */
    static void copyLayers(ComputationGraph from, ComputationGraph to) {
        ComputationGraph top = from.getLayers().length <= to.getLayers().length ? from : to;
        for (org.deeplearning4j.nn.api.Layer layer : top.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (layer.numParams() > 0) {
                // assigned, not set: DL4J's setParams fails on the batch norms kept in inference mode
                to.getLayer(name).params().assign(from.getLayer(name).params());
            }
        }
    }
}
