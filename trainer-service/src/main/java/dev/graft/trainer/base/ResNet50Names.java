package dev.graft.trainer.base;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * ResNet50's layers go by three names, depending on where the weights came from: Keras 2.3+
 * ({@code conv5_block3_1_conv}, {@code conv5_block3_out}), Keras 2.2 ({@code res5c_branch2a},
 * {@code bn5c_branch2a}, and numbered {@code activation_48}, {@code add_15} for the rest) and the DL4J
 * zoo's Keras 1 names ({@code res5c_branch2a}, {@code res5c_branch}). A user may give any of them for
 * any ResNet50 graph; the names Keras 2.3+ gives are the ones listed.
 */
final class ResNet50Names {
    private static final int[] BLOCKS = {3, 4, 6, 3};
    /** Keras 2.3+ name to the zoo's; the zoo's convolution and batch-norm names are Keras 2.2's. */
    static final Map<String, String> ZOO = zooNames();
    /** Keras 2.2's names of the stem, where they differ from the zoo's. */
    private static final Map<String, String> KERAS22_STEM = Map.of("conv1_conv", "conv1", "conv1_bn", "bn_conv1");

    private ResNet50Names() {
    }

    /** Every name a user may give for a layer of {@code conf}, to its vertex. */
    static Map<String, String> aliases(ComputationGraphConfiguration conf) {
        Set<String> vertices = conf.getVertices().keySet();
        Map<String, String> numbered = keras22Numbered(conf);
        Map<String, String> aliases = new HashMap<>();
        ZOO.forEach((keras, zoo) -> {
            String k22 = KERAS22_STEM.getOrDefault(keras, zoo);
            String vertex = vertices.contains(keras) ? keras : vertices.contains(zoo) ? zoo
                    : vertices.contains(k22) ? k22 : numbered.get(keras);
            if (vertex != null) {
                aliases.put(keras, vertex);
                aliases.put(zoo, vertex);
                aliases.put(k22, vertex);
            }
        });
        return aliases;
    }

    /** The vertices of {@code conf} named as Keras 2.3+ names them (the ones it has a name for). */
    static Map<String, String> listed(ComputationGraphConfiguration conf) {
        Map<String, String> byVertex = new HashMap<>();
        Map<String, String> aliases = aliases(conf);
        ZOO.keySet().forEach(keras -> {
            String vertex = aliases.get(keras);
            if (vertex != null) {
                byVertex.put(vertex, keras);
            }
        });
        return byVertex;
    }

    /**
     * Keras 2.2 numbers its activations, additions and the stem's pooling by creation order, so they
     * are found by where they sit: after the batch norm (or addition) their block names.
     */
    private static Map<String, String> keras22Numbered(ComputationGraphConfiguration conf) {
        Map<String, String> found = new HashMap<>();
        if (!conf.getVertices().containsKey("bn_conv1")) {
            return found;
        }
        Map<String, String> consumer = new HashMap<>();
        conf.getVertexInputs().forEach((vertex, inputs) -> inputs.forEach(input -> consumer.merge(input, vertex,
                (a, b) -> a.compareTo(b) < 0 ? a : b)));
        String relu = consumer.get("bn_conv1");
        put(found, "conv1_relu", relu);
        String pad = consumer.get(relu);
        put(found, "pool1_pool", pad == null ? null : consumer.get(pad));
        for (int stage = 2; stage <= 5; stage++) {
            for (int block = 1; block <= BLOCKS[stage - 2]; block++) {
                String keras = "conv" + stage + "_block" + block + "_";
                String zoo = stage + String.valueOf((char) ('a' + block - 1));
                put(found, keras + "1_relu", consumer.get("bn" + zoo + "_branch2a"));
                put(found, keras + "2_relu", consumer.get("bn" + zoo + "_branch2b"));
                String add = consumer.get("bn" + zoo + "_branch2c");
                put(found, keras + "add", add);
                put(found, keras + "out", add == null ? null : consumer.get(add));
            }
        }
        return found;
    }

    private static void put(Map<String, String> found, String name, String vertex) {
        if (vertex != null) {
            found.put(name, vertex);
        }
    }

    /**
     * Keras 2's names onto the zoo's Keras 1 names: stage s, block k (a, b, c, ...) and branch
     * 2a/2b/2c (1, 2, 3; the shortcut branch1 is 0).
     */
    private static Map<String, String> zooNames() {
        Map<String, String> names = new LinkedHashMap<>();
        names.put("conv1_pad", "stem-zero");
        names.put("conv1_conv", "stem-cnn1");
        names.put("conv1_bn", "stem-batch1");
        names.put("conv1_relu", "stem-act1");
        names.put("pool1_pool", "stem-maxpool1");
        for (int stage = 2; stage <= 5; stage++) {
            for (int block = 1; block <= BLOCKS[stage - 2]; block++) {
                String keras = "conv" + stage + "_block" + block + "_";
                String zoo = stage + String.valueOf((char) ('a' + block - 1));
                if (block == 1) {
                    names.put(keras + "0_conv", "res" + zoo + "_branch1");
                    names.put(keras + "0_bn", "bn" + zoo + "_branch1");
                }
                for (int conv = 1; conv <= 3; conv++) {
                    String branch = "_branch2" + (char) ('a' + conv - 1);
                    names.put(keras + conv + "_conv", "res" + zoo + branch);
                    names.put(keras + conv + "_bn", "bn" + zoo + branch);
                    if (conv < 3) {
                        names.put(keras + conv + "_relu", "act" + zoo + branch);
                    }
                }
                names.put(keras + "add", "short" + zoo + "_branch");
                names.put(keras + "out", "res" + zoo + "_branch");
            }
        }
        return Map.copyOf(names);
    }
}
