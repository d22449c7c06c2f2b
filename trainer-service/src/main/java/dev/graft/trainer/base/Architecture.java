package dev.graft.trainer.base;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.deeplearning4j.zoo.ZooModel;
import org.deeplearning4j.zoo.model.SqueezeNet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The zoo architectures a base can be built from, with what the recipe needs to know of each: the
 * smallest input it accepts, the last layer of its convolutional base, and how the Keras layer
 * names users know map onto the names DL4J gives the randomly initialised graph.
 */
public enum Architecture {
    /** The Keras cats-vs-dogs recipe's base: 13 conv layers, 14.7M parameters without its top. */
    VGG16("vgg16", 32, "block5_pool", vgg16KerasNames()),
    /** A compact ImageNet base (0.7M parameters), ~14x faster than VGG16 on a CPU at 48x48. */
    SQUEEZENET("squeezenet", 32, "fire9", Map.of()),
    /**
     * The small convnet of the Keras "very little data" tutorial (3x3 convolutions of 32, 32, 64
     * filters, each with ReLU and 2x2 max-pooling): no pretrained weights, trains from scratch fast
     * on a CPU. DL4J's random-weight zoo graphs learn poorly from scratch.
     */
    SMALL_CONVNET("small-convnet", 8, "block3_pool", Map.of());

    private final String id;
    private final int minInput;
    private final String featureLayer;
    /** Keras name to the DL4J vertex name of the randomly initialised zoo graph. */
    private final Map<String, String> kerasToDl4j;

    Architecture(String id, int minInput, String featureLayer, Map<String, String> kerasToDl4j) {
        this.id = id;
        this.minInput = minInput;
        this.featureLayer = featureLayer;
        this.kerasToDl4j = kerasToDl4j;
    }

    public String id() {
        return id;
    }

    public int minInput() {
        return minInput;
    }

    /** Keras name of the base's last layer; the head is attached after it. */
    public String featureLayer() {
        return featureLayer;
    }

    public static Architecture parse(String value) {
        for (Architecture architecture : values()) {
            if (architecture.id.equalsIgnoreCase(value)) {
                return architecture;
            }
        }
        throw new IllegalArgumentException("unknown architecture '" + value + "'; supported: " + ids());
    }

    public static List<String> ids() {
        return Arrays.stream(values()).map(Architecture::id).toList();
    }

    /** The zoo model, or empty for an architecture the zoo does not have. */
    Optional<ZooModel<?>> zooModel(int height, int width, long seed) {
        int[] shape = {3, height, width};
        return Optional.ofNullable(switch (this) {
            // numClasses only sizes the zoo's own top, which the recipe removes
            case VGG16 -> org.deeplearning4j.zoo.model.VGG16.builder().numClasses(2).seed(seed).inputShape(shape).build();
            case SQUEEZENET -> SqueezeNet.builder().numClasses(2).seed(seed).inputShape(shape).build();
            case SMALL_CONVNET -> null;
        });
    }

    /** The network with freshly initialised weights. */
    ComputationGraph randomGraph(int height, int width, long seed) {
        return zooModel(height, width, seed)
                .map(zoo -> {
                    try {
                        return (ComputationGraph) zoo.init();
                    } catch (RuntimeException e) {
                        throw new IllegalArgumentException(id + " cannot be built for " + height + "x" + width
                                + " inputs: " + e.getMessage(), e);
                    }
                })
                .orElseGet(() -> smallConvnet(height, width, seed));
    }

    private static ComputationGraph smallConvnet(int height, int width, long seed) {
        ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .weightInit(WeightInit.RELU)
                .activation(Activation.RELU)
                .updater(new Adam(1e-3))
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(height, width, 3));
        String previous = "input";
        int[] filters = {32, 32, 64};
        for (int block = 1; block <= filters.length; block++) {
            String conv = "block" + block + "_conv1";
            String pool = "block" + block + "_pool";
            graph.addLayer(conv, new ConvolutionLayer.Builder(3, 3).nOut(filters[block - 1])
                            .convolutionMode(ConvolutionMode.Same).build(), previous)
                    .addLayer(pool, new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), conv);
            previous = pool;
        }
        ComputationGraph network = new ComputationGraph(graph.setOutputs(previous).build());
        network.init();
        return network;
    }

    /**
     * The vertex name in {@code graph} for a layer named as users know it: the name itself where the
     * graph has it (pretrained graphs carry Keras names), else this architecture's mapping.
     */
    public String resolveLayer(ComputationGraph graph, String name) {
        if (name != null && graph.getVertex(name) != null) {
            return name;
        }
        String mapped = name == null ? null : kerasToDl4j.get(name.toLowerCase(Locale.ROOT));
        if (mapped != null && graph.getVertex(mapped) != null) {
            return mapped;
        }
        throw new IllegalArgumentException("unknown layer '" + name + "' for " + id + "; valid layers: "
                + String.join(", ", layerNames(graph)));
    }

    /** Names a user may give for the layers of {@code graph}, in network order. */
    public List<String> layerNames(ComputationGraph graph) {
        Map<String, String> dl4jToKeras = new LinkedHashMap<>();
        kerasToDl4j.forEach((keras, dl4j) -> dl4jToKeras.put(dl4j, keras));
        List<String> names = new ArrayList<>();
        for (int index : graph.topologicalSortOrder()) {
            var vertex = graph.getVertices()[index];
            if (vertex.hasLayer()) {
                names.add(dl4jToKeras.getOrDefault(vertex.getVertexName(), vertex.getVertexName()));
            }
        }
        return names;
    }

    /** DL4J's VGG16.init() names its layers "0".."20" in Keras order. */
    private static Map<String, String> vgg16KerasNames() {
        String[] keras = {
                "block1_conv1", "block1_conv2", "block1_pool",
                "block2_conv1", "block2_conv2", "block2_pool",
                "block3_conv1", "block3_conv2", "block3_conv3", "block3_pool",
                "block4_conv1", "block4_conv2", "block4_conv3", "block4_pool",
                "block5_conv1", "block5_conv2", "block5_conv3", "block5_pool",
                "fc1", "fc2", "predictions"};
        Map<String, String> names = new LinkedHashMap<>();
        for (int i = 0; i < keras.length; i++) {
            names.put(keras[i], Integer.toString(i));
        }
        return Map.copyOf(names);
    }
}
