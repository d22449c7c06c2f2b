package dev.graft.trainer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.contract.json.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A TF.js layers model the tests write themselves, as tfjs-converter lays one out: model.json with
 * the Keras topology and a weights manifest, the weights back to back in shards of {@code shardBytes}
 * (so weights straddle shards). The network is ResNet50's stem and first bottleneck block with
 * tf.keras 2.2.4's names (conv1, bn_conv1, res2a_branch2a, ..., add, activation_3, avg_pool, fc1000)
 * and random weights; res2a_branch2b's kernel is stored uint8-quantized and bn_conv1's gamma as float16, so
 * {@link #weights()} holds the values a reader must get back after dequantizing.
 */
public final class TfjsFiles {
    public static final int CLASSES = 5;
    /** The stem's filters, the bottleneck's and its output's (4x the bottleneck's, as in ResNet50). */
    static final int STEM = 4;
    static final int NECK = 2;
    static final int OUT = 8;
    /** float16 bits of 1, 0.5, 1.5 and -0.25. */
    private static final short[] HALVES = {0x3c00, 0x3800, 0x3e00, (short) 0xb400};

    private final ArrayNode layers = Json.MAPPER.createArrayNode();
    private final Map<String, float[]> weights = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private final Random random;

    private TfjsFiles(long seed) {
        random = new Random(seed);
    }

    /** The weights by their TF.js name ("conv1/kernel"), as a reader must read them, in Keras' layouts. */
    public Map<String, float[]> weights() {
        return weights;
    }

    public long[] shape(String name) {
        return shapes.get(name);
    }

    /** Writes the mini ResNet into {@code folder} and returns what was written. */
    public static TfjsFiles miniResNet(Path folder, long seed, int shardBytes) throws IOException {
        TfjsFiles files = new TfjsFiles(seed);
        files.build();
        files.write(folder, shardBytes);
        return files;
    }

    private void build() {
        layer("InputLayer", "input_1", null, Map.of("batch_input_shape", Arrays.asList(null, 224, 224, 3),
                "dtype", "float32", "sparse", false));
        layer("ZeroPadding2D", "conv1_pad", "input_1", Map.of("padding", List.of(List.of(3, 3), List.of(3, 3))));
        conv("conv1", "conv1_pad", 3, STEM, 7, 2, "valid");
        batchNorm("bn_conv1", "conv1", STEM, true);
        layer("Activation", "activation", "bn_conv1", Map.of("activation", "relu"));
        layer("ZeroPadding2D", "pool1_pad", "activation", Map.of("padding", List.of(List.of(1, 1), List.of(1, 1))));
        layer("MaxPooling2D", "max_pooling2d", "pool1_pad", Map.of("pool_size", List.of(3, 3), "strides", List.of(2, 2),
                "padding", "valid"));
        conv("res2a_branch2a", "max_pooling2d", STEM, NECK, 1, 1, "valid");
        batchNorm("bn2a_branch2a", "res2a_branch2a", NECK, false);
        layer("Activation", "activation_1", "bn2a_branch2a", Map.of("activation", "relu"));
        conv("res2a_branch2b", "activation_1", NECK, NECK, 3, 1, "same");
        batchNorm("bn2a_branch2b", "res2a_branch2b", NECK, false);
        layer("Activation", "activation_2", "bn2a_branch2b", Map.of("activation", "relu"));
        conv("res2a_branch2c", "activation_2", NECK, OUT, 1, 1, "valid");
        conv("res2a_branch1", "max_pooling2d", STEM, OUT, 1, 1, "valid");
        batchNorm("bn2a_branch2c", "res2a_branch2c", OUT, false);
        batchNorm("bn2a_branch1", "res2a_branch1", OUT, false);
        ObjectNode add = layer("Add", "add", null, Map.of());
        ArrayNode inbound = add.putArray("inbound_nodes").addArray();
        inbound.addArray().add("bn2a_branch2c").add(0).add(0).addObject();
        inbound.addArray().add("bn2a_branch1").add(0).add(0).addObject();
        layer("Activation", "activation_3", "add", Map.of("activation", "relu"));
        layer("GlobalAveragePooling2D", "avg_pool", "activation_3", Map.of());
        Map<String, Object> dense = new LinkedHashMap<>(initializers());
        dense.putAll(Map.of("units", CLASSES, "activation", "softmax", "use_bias", true));
        layer("Dense", "fc1000", "avg_pool", dense);
        weight("fc1000/kernel", new long[]{OUT, CLASSES}, 1f);
        weight("fc1000/bias", new long[]{CLASSES}, 0.1f);
        // stored as uint8 with this scale and minimum: the reader's values are these steps (a convolution's,
        // not the softmax layer's, whose outputs would not change if every weight moved by the same amount)
        float[] kernel = weights.get(QUANTIZED);
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] = -1f + Math.round((kernel[i] + 1f) / QUANT_SCALE) * QUANT_SCALE;
            kernel[i] = Math.max(-1f, Math.min(-1f + 255 * QUANT_SCALE, kernel[i]));
        }
    }

    private static final float QUANT_SCALE = 2f / 255;
    private static final String QUANTIZED = "res2a_branch2b/kernel";

    /** What Keras writes for a Conv2D's or Dense's initializers, regularizers and constraints. */
    private static Map<String, Object> initializers() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("kernel_initializer", Map.of("class_name", "VarianceScaling", "config",
                Map.of("scale", 2.0, "mode", "fan_in", "distribution", "truncated_normal")));
        config.put("bias_initializer", initializer("Zeros"));
        for (String none : List.of("kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                "bias_constraint")) {
            config.put(none, null);
        }
        return config;
    }

    private static Map<String, Object> initializer(String name) {
        return Map.of("class_name", name, "config", Map.of());
    }

    private ObjectNode layer(String type, String name, String input, Map<String, Object> config) {
        ObjectNode layer = layers.addObject();
        layer.put("class_name", type);
        layer.put("name", name);
        ObjectNode c = Json.MAPPER.valueToTree(config);
        c.put("name", name);
        c.put("trainable", true);
        if (!type.equals("InputLayer")) {
            c.put("dtype", "float32");
        }
        if (type.endsWith("2D")) {
            c.put("data_format", "channels_last");
        }
        layer.set("config", c);
        ArrayNode inbound = layer.putArray("inbound_nodes");
        if (input != null) {
            inbound.addArray().addArray().add(input).add(0).add(0).addObject();
        }
        return layer;
    }

    private void conv(String name, String input, int in, int filters, int kernel, int stride, String padding) {
        Map<String, Object> config = new LinkedHashMap<>(initializers());
        config.put("filters", filters);
        config.put("kernel_size", List.of(kernel, kernel));
        config.put("strides", List.of(stride, stride));
        config.put("padding", padding);
        config.put("dilation_rate", List.of(1, 1));
        config.put("activation", "linear");
        config.put("use_bias", true);
        layer("Conv2D", name, input, config);
        weight(name + "/kernel", new long[]{kernel, kernel, in, filters}, (float) Math.sqrt(2.0 / (kernel * kernel * in)));
        weight(name + "/bias", new long[]{filters}, 0.1f);
    }

    private void batchNorm(String name, String input, int channels, boolean halfGamma) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.putAll(Map.of("axis", 3, "momentum", 0.99, "epsilon", 0.001, "center", true, "scale", true));
        config.putAll(Map.of("beta_initializer", initializer("Zeros"), "gamma_initializer", initializer("Ones"),
                "moving_mean_initializer", initializer("Zeros"), "moving_variance_initializer", initializer("Ones")));
        for (String none : List.of("beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint")) {
            config.put(none, null);
        }
        layer("BatchNormalization", name, input, config);
        weight(name + "/gamma", new long[]{channels}, 0.3f);
        float[] gamma = weights.get(name + "/gamma");
        for (int i = 0; i < channels; i++) {
            gamma[i] = halfGamma ? halfValue(HALVES[i % HALVES.length]) : 1 + gamma[i];
        }
        weight(name + "/beta", new long[]{channels}, 0.1f);
        weight(name + "/moving_mean", new long[]{channels}, 0.2f);
        weight(name + "/moving_variance", new long[]{channels}, 0.3f);
        float[] variance = weights.get(name + "/moving_variance");
        for (int i = 0; i < channels; i++) {
            variance[i] = 0.5f + Math.abs(variance[i]);
        }
    }

    private static float halfValue(short half) {
        return switch (half) {
            case 0x3c00 -> 1f;
            case 0x3800 -> 0.5f;
            case 0x3e00 -> 1.5f;
            default -> -0.25f;
        };
    }

    private void weight(String name, long[] shape, float scale) {
        int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian() * scale;
        }
        weights.put(name, values);
        shapes.put(name, shape);
    }

    private void write(Path folder, int shardBytes) throws IOException {
        Files.createDirectories(folder);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ObjectNode model = Json.MAPPER.createObjectNode();
        model.put("format", "layers-model");
        ObjectNode topology = model.putObject("modelTopology");
        topology.put("keras_version", "2.2.4-tf");
        topology.put("backend", "tensorflow");
        ObjectNode config = topology.putObject("model_config");
        config.put("class_name", "Model");
        ObjectNode inner = config.putObject("config");
        inner.put("name", "resnet50");
        inner.set("layers", layers);
        inner.putArray("input_layers").addArray().add("input_1").add(0).add(0);
        inner.putArray("output_layers").addArray().add("fc1000").add(0).add(0);
        ArrayNode manifest = model.putArray("weightsManifest");
        ObjectNode group = manifest.addObject();
        ArrayNode entries = group.putArray("weights");
        for (var weight : weights.entrySet()) {
            ObjectNode entry = entries.addObject();
            entry.put("name", weight.getKey());
            ArrayNode shape = entry.putArray("shape");
            Arrays.stream(shapes.get(weight.getKey())).forEach(shape::add);
            entry.put("dtype", "float32");
            float[] values = weight.getValue();
            if (weight.getKey().equals(QUANTIZED)) {
                ObjectNode q = entry.putObject("quantization");
                q.put("dtype", "uint8");
                q.put("scale", QUANT_SCALE);
                q.put("min", -1f);
                for (float v : values) {
                    bytes.write(Math.round((v + 1f) / QUANT_SCALE));
                }
            } else if (weight.getKey().equals("bn_conv1/gamma")) {
                entry.putObject("quantization").put("dtype", "float16");
                ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < values.length; i++) {
                    b.putShort(HALVES[i % HALVES.length]);
                }
                bytes.writeBytes(b.array());
            } else {
                ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : values) {
                    b.putFloat(v);
                }
                bytes.writeBytes(b.array());
            }
        }
        byte[] all = bytes.toByteArray();
        ArrayNode paths = group.putArray("paths");
        int shards = (all.length + shardBytes - 1) / shardBytes;
        for (int i = 0; i < shards; i++) {
            String name = "group1-shard" + (i + 1) + "of" + shards + ".bin";
            paths.add(name);
            Files.write(folder.resolve(name), Arrays.copyOfRange(all, i * shardBytes, Math.min(all.length, (i + 1) * shardBytes)));
        }
        Json.MAPPER.writeValue(folder.resolve("model.json").toFile(), model);
    }
}
