package dev.graft.trainer.base;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.InputShape;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.KerasLayer;
import org.deeplearning4j.nn.modelimport.keras.KerasModel;
import org.deeplearning4j.nn.modelimport.keras.KerasSequentialModel;
import org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.utils.KerasModelBuilder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Keras model published for TensorFlow.js (a "layers" model: {@code model.json} with the Keras
 * topology and a manifest of binary weight shards) as a DL4J graph. The topology goes to DL4J's Keras
 * import as Keras wrote it; each layer's weights are read from the shards by the manifest
 * (float32 as stored, uint8/uint16/float16 dequantized) and handed to that layer's importer, which
 * lays them out for DL4J as it does for an .h5.
 */
public final class TfjsModels {
    /** The file a TF.js layers model is saved as, beside its shards. */
    public static final String MODEL_FILE = "model.json";
    private static final Pattern UNSUPPORTED = Pattern.compile("Unsupported keras layer type (\\w+)");

    private TfjsModels() {
    }

    /**
     * The model in {@code folder} (channels-last, as Keras keeps it), built for {@code shape} inputs.
     * Anything DL4J cannot import, or weights that do not fit the topology, throws naming what.
     */
    public static ComputationGraph importGraph(Path folder, InputShape shape) {
        Path file = folder.resolve(MODEL_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no " + MODEL_FILE + " in " + folder.getFileName()
                    + " (a TF.js layers model is a folder with model.json and its weight shards)");
        }
        JsonNode model;
        try {
            model = Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file.getFileName() + ": " + e.getMessage(), e);
        }
        ObjectNode topology = kerasTopology(model);
        resizeInput(topology, shape);
        try {
            KerasModelBuilder builder = new KerasModel().modelBuilder()
                    .modelJson(Json.MAPPER.writeValueAsString(topology)).enforceTrainingConfig(false);
            boolean sequential = "Sequential".equals(topology.path("class_name").asText());
            KerasModel keras = sequential ? builder.buildSequential() : builder.buildModel();
            setWeights(keras.getLayers(), readWeights(folder, model.path("weightsManifest")));
            return keras instanceof KerasSequentialModel s ? s.getMultiLayerNetwork(true).toComputationGraph()
                    : keras.getComputationGraph(true);
        } catch (UnsupportedKerasConfigurationException e) {
            throw new IllegalArgumentException(unsupported(topology, e.getMessage()), e);
        } catch (IOException | InvalidKerasConfigurationException | RuntimeException e) {
            throw new IllegalArgumentException("cannot import the TF.js model " + folder.getFileName() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The Keras model JSON DL4J reads: TF.js' converter writes {@code {keras_version, backend,
     * model_config}}, TF.js itself the model config with those two beside it.
     */
    private static ObjectNode kerasTopology(JsonNode model) {
        JsonNode topology = model.path("modelTopology");
        if (!(topology instanceof ObjectNode)) {
            throw new IllegalArgumentException(MODEL_FILE + " has no modelTopology: not a TF.js layers model"
                    + " (graph models, from SavedModels, cannot be imported)");
        }
        ObjectNode keras = topology.has("model_config") ? ((ObjectNode) topology.get("model_config")).deepCopy()
                : (ObjectNode) topology.deepCopy();
        keras.remove("model_config");
        keras.put("keras_version", topology.path("keras_version").asText("2.2.4"));
        keras.put("backend", topology.path("backend").asText("tensorflow"));
        return keras;
    }

    /** Every declared input of a channels-last model takes the request's size (the channels stay). */
    private static void resizeInput(JsonNode node, InputShape shape) {
        if (node instanceof ObjectNode object && object.get("batch_input_shape") instanceof ArrayNode input
                && input.size() == 4) {
            input.set(1, shape.height());
            input.set(2, shape.width());
        }
        node.forEach(child -> resizeInput(child, shape));
    }

    private static String unsupported(JsonNode topology, String message) {
        Matcher type = UNSUPPORTED.matcher(String.valueOf(message));
        List<String> layers = new ArrayList<>();
        if (type.find()) {
            topology.findParents("class_name").forEach(layer -> {
                if (layer.path("class_name").asText().equals(type.group(1)) && layer.path("config").has("name")) {
                    layers.add(layer.path("config").path("name").asText());
                }
            });
        }
        return layers.isEmpty() ? "DL4J cannot import this TF.js model: " + message
                : "DL4J cannot import layer '" + layers.get(0) + "' of type " + type.group(1)
                + (layers.size() > 1 ? " (and " + (layers.size() - 1) + " more of that type)" : "");
    }

    /** The weights by layer, then by Keras parameter name ("kernel", "gamma", "moving_mean", ...). */
    static Map<String, Map<String, INDArray>> readWeights(Path folder, JsonNode manifest) throws IOException {
        Map<String, Map<String, INDArray>> byLayer = new HashMap<>();
        for (JsonNode group : manifest) {
            // a group's weights are stored back to back across its shards, in the listed order
            List<Path> files = new ArrayList<>();
            for (JsonNode path : group.path("paths")) {
                files.add(shard(folder, path.asText()));
            }
            try (InputStream in = new SequenceInputStream(Collections.enumeration(open(files)))) {
                for (JsonNode weight : group.path("weights")) {
                    String name = weight.path("name").asText();
                    String[] parts = name.split("/");
                    if (parts.length < 2) {
                        throw new IllegalArgumentException("weight '" + name + "' is not named LAYER/PARAMETER");
                    }
                    byLayer.computeIfAbsent(parts[parts.length - 2], k -> new HashMap<>())
                            .put(parts[parts.length - 1], read(in, weight));
                }
            }
        }
        return byLayer;
    }

    private static List<InputStream> open(List<Path> files) throws IOException {
        List<InputStream> streams = new ArrayList<>();
        try {
            for (Path file : files) {
                streams.add(Files.newInputStream(file));
            }
            return streams;
        } catch (IOException e) {
            for (InputStream stream : streams) {
                stream.close();
            }
            throw e;
        }
    }

    /** A shard named by the manifest, which may not point outside the model's folder. */
    private static Path shard(Path folder, String name) throws IOException {
        Path shard = folder.resolve(name).normalize();
        if (!shard.startsWith(folder) || !Files.isRegularFile(shard)
                || !shard.toRealPath().startsWith(folder.toRealPath())) {
            throw new IllegalArgumentException("weight shard '" + name + "' is not a file in the model's folder");
        }
        return shard;
    }

    private static INDArray read(InputStream in, JsonNode weight) throws IOException {
        String name = weight.path("name").asText();
        if (!weight.path("shape").isArray()) {
            throw new IllegalArgumentException("weight '" + name + "' has no shape");
        }
        long[] shape = new long[weight.path("shape").size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = weight.path("shape").get(i).asLong();
            if (shape[i] < 1) {
                throw new IllegalArgumentException("weight '" + name + "' has shape " + weight.path("shape"));
            }
            count = Math.multiplyExact(count, shape[i]);
        }
        JsonNode quantization = weight.path("quantization");
        String stored = quantization.isObject() ? quantization.path("dtype").asText() : weight.path("dtype").asText("float32");
        int bytesPer = switch (stored) {
            case "float32", "int32" -> 4;
            case "uint16", "float16" -> 2;
            case "uint8" -> 1;
            default -> throw new IllegalArgumentException("weight '" + weight.path("name").asText() + "' has dtype '"
                    + stored + "'; float32, int32, and uint8, uint16 or float16 quantization are read");
        };
        byte[] bytes = in.readNBytes(Math.toIntExact(count * bytesPer));
        if (bytes.length < count * bytesPer) {
            throw new IllegalArgumentException("the weight shards end inside weight '" + weight.path("name").asText() + "'");
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        float scale = (float) quantization.path("scale").asDouble(1);
        float min = (float) quantization.path("min").asDouble(0);
        float[] values = new float[(int) count];
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (stored) {
                case "float32" -> buffer.getFloat();
                case "int32" -> buffer.getInt();
                case "uint8" -> (buffer.get() & 0xff) * scale + min;
                case "uint16" -> (buffer.getShort() & 0xffff) * scale + min;
                default -> halfToFloat(buffer.getShort());
            };
        }
        return shape.length == 0 ? Nd4j.scalar(values[0]) : Nd4j.create(values, shape, DataType.FLOAT);
    }

    /** IEEE 754 half precision to single (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float value = mantissa / 1024f / 16384f;   // subnormal: m x 2^-24
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    private static void setWeights(Map<String, KerasLayer> layers, Map<String, Map<String, INDArray>> weights)
            throws InvalidKerasConfigurationException {
        for (String layer : weights.keySet()) {
            if (!layers.containsKey(layer)) {
                throw new IllegalArgumentException("the weight shards hold weights for '" + layer
                        + "', which is not a layer of the topology");
            }
        }
        for (var layer : layers.entrySet()) {
            Map<String, INDArray> own = weights.get(layer.getKey());
            if (own != null) {
                layer.getValue().setWeights(own);
            } else if (layer.getValue().getNumParams() > 0) {
                throw new IllegalArgumentException("the weight shards hold no weights for layer '" + layer.getKey() + "'");
            }
        }
    }
}
