package dev.graft.trainer.base;

import dev.graft.contract.manifest.Preprocessing;
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
import org.deeplearning4j.zoo.model.ResNet50;
import org.deeplearning4j.zoo.model.SqueezeNet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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
    VGG16("vgg16", 32, "block5_pool", vggKerasNames(new int[]{2, 2, 3, 3, 3}, "fc1", "fc2", "predictions"),
            Preprocessing.VGG, Preprocessing.CAFFE),
    /** VGG16 with a fourth conv in blocks 3-5 (20M parameters without its top). */
    VGG19("vgg19", 32, "block5_pool", vggKerasNames(new int[]{2, 2, 4, 4, 4}, "fc1", "predictions"),
            Preprocessing.VGG, Preprocessing.CAFFE),
    /**
     * The hotdog-or-not base: 50 layers with batch norm (23.6M parameters without its top). Its zoo
     * graph carries the Keras 1 names (res5a_branch2a), ImageNet weights from Keras 2.2 its names; the
     * Keras 2.3+ names (conv5_block1_1_conv) are listed and every scheme is accepted ({@link ResNet50Names}).
     * The zoo's own top needs 69 px to build; 70 keeps the margin Keras documents.
     */
    RESNET50("resnet50", 70, "conv5_block3_out", ResNet50Names.ZOO, Preprocessing.CAFFE, Preprocessing.CAFFE),
    /** A compact ImageNet base (0.7M parameters), ~14x faster than VGG16 on a CPU at 48x48. */
    SQUEEZENET("squeezenet", 32, "fire9", Map.of(), Preprocessing.CAFFE, Preprocessing.CAFFE),
    /**
     * The small convnet of the Keras "very little data" tutorial (3x3 convolutions of 32, 32, 64
     * filters, each with ReLU and 2x2 max-pooling): no pretrained weights, trains from scratch fast
     * on a CPU. DL4J's random-weight zoo graphs learn poorly from scratch.
     */
    SMALL_CONVNET("small-convnet", 8, "block3_pool", Map.of(), null, Preprocessing.UNIT);

    /** Lineage of a Keras model that names no architecture. */
    public static final String KERAS_ID = "keras";
    /** The largest input height or width a request may ask for. */
    public static final int MAX_INPUT = 1024;

    private final String id;
    private final int minInput;
    private final String featureLayer;
    /** Keras name to the DL4J vertex name of the randomly initialised zoo graph. */
    private final Map<String, String> kerasToDl4j;
    private final Map<String, String> dl4jToKeras = new LinkedHashMap<>();
    private final Preprocessing imagenetPreprocessing;
    private final Preprocessing kerasPreprocessing;

    /**
     * @param imagenetPreprocessing what its {@code imagenet} weights expect (the DL4J zoo's preprocessor for
     *                              the VGGs; Keras' Caffe mode for ResNet50's npm weights and SqueezeNet's)
     * @param kerasPreprocessing    what a Keras file of this architecture is fed unless the request says:
     *                              Keras' applications trained it in Caffe's mode
     */
    Architecture(String id, int minInput, String featureLayer, Map<String, String> kerasToDl4j,
                 Preprocessing imagenetPreprocessing, Preprocessing kerasPreprocessing) {
        this.id = id;
        this.minInput = minInput;
        this.featureLayer = featureLayer;
        this.kerasToDl4j = kerasToDl4j;
        this.imagenetPreprocessing = imagenetPreprocessing;
        this.kerasPreprocessing = kerasPreprocessing;
        kerasToDl4j.forEach((keras, dl4j) -> dl4jToKeras.put(dl4j, keras));
    }

    /** Each name a user may give for a layer of {@code conf} other than its vertex name, to that vertex. */
    Map<String, String> aliases(ComputationGraphConfiguration conf) {
        if (this == RESNET50) {
            return ResNet50Names.aliases(conf);
        }
        Map<String, String> aliases = new HashMap<>();
        kerasToDl4j.forEach((keras, dl4j) -> {
            if (conf.getVertices().containsKey(dl4j)) {
                aliases.put(keras, dl4j);
            }
        });
        return aliases;
    }

    /** The name each vertex of {@code conf} is listed by where it is not its own: its Keras name. */
    Map<String, String> listedNames(ComputationGraphConfiguration conf) {
        return this == RESNET50 ? ResNet50Names.listed(conf) : dl4jToKeras;
    }

    public String id() {
        return id;
    }

    /** What its ImageNet weights were trained on; null for an architecture without them. */
    public Preprocessing imagenetPreprocessing() {
        return imagenetPreprocessing;
    }

    Preprocessing kerasPreprocessing() {
        return kerasPreprocessing;
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
            case VGG19 -> org.deeplearning4j.zoo.model.VGG19.builder().numClasses(2).seed(seed).inputShape(shape).build();
            case RESNET50 -> ResNet50.builder().numClasses(2).seed(seed).inputShape(shape).build();
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
     * graph has it (pretrained graphs carry Keras names), else this architecture's other names for it.
     */
    public String resolveLayer(ComputationGraph graph, String name) {
        if (name != null && graph.getVertex(name) == null) {
            String vertex = aliases(graph.getConfiguration()).get(name.toLowerCase(Locale.ROOT));
            if (vertex != null) {
                return vertex;
            }
        }
        return resolveByName(graph, name, id + otherNamesHint(), layerNames(graph));
    }

    /** What an error listing this architecture's layers adds about the names it does not list. */
    String otherNamesHint() {
        return this == RESNET50 ? " (Keras 2.2 and DL4J zoo names such as res5c_branch2a and bn5c_branch2c work too)" : "";
    }

    /** {@code name} itself if {@code graph} has it, else an error naming {@code what} and listing the valid names. */
    public static String resolveByName(ComputationGraph graph, String name, String what) {
        return resolveByName(graph, name, what, layerNamesOf(graph));
    }

    private static String resolveByName(ComputationGraph graph, String name, String what, List<String> valid) {
        if (name != null && graph.getVertex(name) != null) {
            return name;
        }
        throw new IllegalArgumentException("unknown layer '" + name + "' for " + what + "; valid layers: "
                + String.join(", ", valid));
    }

    /** The layer names of {@code graph} as they are, in network order. */
    public static List<String> layerNamesOf(ComputationGraph graph) {
        return layerNames(graph, Map.of());
    }

    /** Names a user may give for the layers of {@code graph}, in network order. */
    public List<String> layerNames(ComputationGraph graph) {
        return layerNames(graph, listedNames(graph.getConfiguration()));
    }

    private static List<String> layerNames(ComputationGraph graph, Map<String, String> listed) {
        List<String> names = new ArrayList<>();
        for (int index : graph.topologicalSortOrder()) {
            var vertex = graph.getVertices()[index];
            if (vertex.hasLayer()) {
                names.add(listed.getOrDefault(vertex.getVertexName(), vertex.getVertexName()));
            }
        }
        return names;
    }

    /**
     * DL4J's VGG16.init() and VGG19.init() number their layers "0".."N" in Keras order: the conv blocks
     * (each ending in a pool), then the dense layers.
     */
    private static Map<String, String> vggKerasNames(int[] convsPerBlock, String... dense) {
        List<String> keras = new ArrayList<>();
        for (int block = 1; block <= convsPerBlock.length; block++) {
            for (int conv = 1; conv <= convsPerBlock[block - 1]; conv++) {
                keras.add("block" + block + "_conv" + conv);
            }
            keras.add("block" + block + "_pool");
        }
        keras.addAll(List.of(dense));
        Map<String, String> names = new LinkedHashMap<>();
        for (int i = 0; i < keras.size(); i++) {
            names.put(keras.get(i), Integer.toString(i));
        }
        return Map.copyOf(names);
    }
}
