package dev.graft.trainer.base;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.FrozenVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The graph surgery of transfer learning, over DL4J's {@link TransferLearning.GraphBuilder}: a base
 * frozen under a new head, the base frozen only below a layer for fine-tuning, and every frozen
 * wrapper removed again for storing.
 */
public final class BaseSurgery {
    public static final String HEAD_DENSE = "graft_dense";
    public static final String HEAD_OUTPUT = "graft_output";

    private BaseSurgery() {
    }

    /** The shape of the base's features: what its head takes. */
    public static InputType.InputTypeConvolutional featureType(Base base) {
        InputType image = InputType.convolutional(base.inputShape().height(), base.inputShape().width(),
                base.inputShape().channels());
        InputType features = base.graph().getConfiguration().getLayerActivationTypes(image).get(base.featureVertex());
        if (!(features instanceof InputType.InputTypeConvolutional map)) {
            throw new IllegalArgumentException("the base must end in a convolutional layer, " + base.featureVertex()
                    + " gives " + features);
        }
        return map;
    }

    /** The base, frozen, with everything after its feature layer replaced by {@code head}. */
    public static ComputationGraph withNewHead(Base base, NewHead head, double learningRate, long seed) {
        ComputationGraphConfiguration conf = base.graph().getConfiguration();
        InputType.InputTypeConvolutional map = featureType(base);
        TransferLearning.GraphBuilder builder = new TransferLearning.GraphBuilder(base.graph())
                .fineTuneConfiguration(fineTune(learningRate, seed))
                .setFeatureExtractor(base.featureVertex());
        Set<String> keep = BaseLayers.ancestorsAndSelf(conf, base.featureVertex());
        for (String vertex : conf.getVertices().keySet()) {
            if (!keep.contains(vertex)) {
                builder.removeVertexAndConnections(vertex);
            }
        }
        OutputLayer.Builder output = new OutputLayer.Builder()
                .lossFunction(head.loss())
                .nIn(head.units()).nOut(head.outputs())
                .activation(head.activation())
                .weightInit(WeightInit.XAVIER);
        if (head.dropout() > 0) {
            output.dropOut(1 - head.dropout()); // DL4J takes the probability of keeping an activation
        }
        return builder
                .addLayer(HEAD_DENSE, new DenseLayer.Builder().nIn(map.getHeight() * map.getWidth() * map.getChannels())
                                .nOut(head.units()).activation(Activation.RELU).weightInit(WeightInit.RELU).build(),
                        new CnnToFeedForwardPreProcessor(map.getHeight(), map.getWidth(), map.getChannels()),
                        base.featureVertex())
                .addLayer(HEAD_OUTPUT, output.build(), HEAD_DENSE)
                .setOutputs(HEAD_OUTPUT)
                .build();
    }

    /**
     * What fine-tuning from {@code unfreezeVertex} keeps frozen: every vertex it depends on (inputs aside),
     * in network order. The rest trains: in a ResNet block that is its shortcut convolution too, which
     * Keras lists after the block's first convolution but DL4J's order may put before it.
     */
    public static List<String> below(ComputationGraph graph, String unfreezeVertex) {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        Set<String> ancestors = BaseLayers.ancestorsAndSelf(conf, unfreezeVertex);
        List<String> below = new ArrayList<>();
        for (int index : graph.topologicalSortOrder()) {
            String name = graph.getVertices()[index].getVertexName();
            if (ancestors.contains(name) && !name.equals(unfreezeVertex) && !conf.getNetworkInputs().contains(name)) {
                below.add(name);
            }
        }
        return below;
    }

    /**
     * Freezes every vertex {@code unfreezeVertex} depends on ({@link #below}); the rest trains.
     * Batch-norm layers above it stay in inference mode, as the Keras guide asks: each becomes the
     * per-channel affine map it computes in inference mode (a frozen 1x1 depthwise convolution), which
     * passes exact gradients to the layers below it. DL4J's own batch-norm backward pass assumes batch
     * statistics and fails after an inference-mode forward pass.
     */
    public static ComputationGraph frozenBelow(ComputationGraph graph, String unfreezeVertex, double learningRate,
                                               long seed) {
        List<String> below = below(graph, unfreezeVertex);
        TransferLearning.GraphBuilder builder = new TransferLearning.GraphBuilder(graph)
                .fineTuneConfiguration(fineTune(learningRate, seed));
        if (!below.isEmpty()) {
            builder.setFeatureExtractor(below.toArray(String[]::new));
        }
        ComputationGraph network = builder.build();
        List<String> trainableNorms = BatchNorms.names(network).stream()
                .filter(name -> !(network.getLayer(name) instanceof org.deeplearning4j.nn.layers.FrozenLayer))
                .toList();
        if (trainableNorms.isEmpty()) {
            return network;
        }
        ComputationGraphConfiguration conf = network.getConfiguration().clone();
        for (String name : trainableNorms) {
            LayerVertex vertex = (LayerVertex) conf.getVertices().get(name);
            BatchNormalization norm = (BatchNormalization) vertex.getLayerConf().getLayer();
            // the conf's parameter names are the batch norm's until cleared: DL4J's setParams would look them up
            vertex.getLayerConf().clearVariables();
            vertex.getLayerConf().setLayer(new FrozenLayerWithBackprop(new DepthwiseConvolution2D.Builder(1, 1)
                    .nIn(norm.getNOut()).depthMultiplier(1).activation(Activation.IDENTITY).hasBias(true)
                    .convolutionMode(ConvolutionMode.Truncate)
                    .weightInit(WeightInit.ONES).updater(new NoOp()).name(name).build()));
        }
        return withWeights(network, conf, trainableNorms, BatchNorms::asAffine);
    }

    /**
     * The same network and weights with every frozen wrapper removed, so the next phase, and a later
     * training using this model as its base, decide afresh what to freeze. A batch norm fine-tuning kept
     * in inference mode (an affine map, see {@link #frozenBelow}) becomes a batch norm again computing
     * that map, so the stored model is the architecture it was, and a later training freezes it as one.
     */
    public static ComputationGraph unfrozen(ComputationGraph graph) {
        ComputationGraphConfiguration conf = graph.getConfiguration().clone();
        conf.getVertices().replaceAll((name, vertex) -> vertex instanceof FrozenVertex frozen ? frozen.getUnderlying() : vertex);
        Set<String> affine = new HashSet<>();
        conf.getVertices().forEach((name, vertex) -> {
            if (vertex instanceof LayerVertex layerVertex) {
                var layer = layerVertex.getLayerConf().getLayer();
                if (layer instanceof FrozenLayer frozen) {
                    layerVertex.getLayerConf().setLayer(frozen.getLayer());
                } else if (layer instanceof FrozenLayerWithBackprop frozen
                        && frozen.getUnderlying() instanceof DepthwiseConvolution2D map) {
                    layerVertex.getLayerConf().clearVariables();
                    layerVertex.getLayerConf().setLayer(BatchNorms.forAffine(name, map.getNIn()));
                    affine.add(name);
                } else if (layer instanceof FrozenLayerWithBackprop frozen) {
                    layerVertex.getLayerConf().setLayer(frozen.getUnderlying());
                }
            }
        });
        if (affine.isEmpty()) {
            ComputationGraph copy = new ComputationGraph(conf);
            copy.init(graph.params().dup(), false);
            return copy;
        }
        return withWeights(graph, conf, affine, BatchNorms::fromAffine);
    }

    /**
     * A graph of {@code conf}, which is {@code from}'s with the layers {@code swapped} replaced, holding
     * {@code from}'s weights: {@code convert} writes those of each swapped layer, the others are copied.
     */
    private static ComputationGraph withWeights(ComputationGraph from, ComputationGraphConfiguration conf,
                                                Collection<String> swapped, BiConsumer<Layer, Layer> convert) {
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        for (Layer layer : from.getLayers()) {
            String name = layer.conf().getLayer().getLayerName();
            if (swapped.contains(name)) {
                convert.accept(layer, graph.getLayer(name));
            } else if (layer.numParams() > 0) {
                graph.getLayer(name).params().assign(layer.params());
            }
        }
        return graph;
    }

    private static FineTuneConfiguration fineTune(double learningRate, long seed) {
        return new FineTuneConfiguration.Builder().updater(new Adam(learningRate)).seed(seed).build();
    }
}
