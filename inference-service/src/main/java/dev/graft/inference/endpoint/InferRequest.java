package dev.graft.inference.endpoint;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.inference.predict.BadRequestException;

import java.util.ArrayList;
import java.util.List;

/**
 * An Open Inference Protocol request, read and checked before any model is involved: its one input is
 * either {@code image} (BYTES, base64 images) or {@code input} (FP32 pixels with a shape [n, c, h, w]
 * whose every side is at least 1 and whose product, computed without overflow, is the number of values).
 * Anything else is a {@link BadRequestException} naming the rule.
 */
record InferRequest(String id, List<byte[]> images, long[] shape, float[] values, List<String> outputs) {
    /** More values than the largest body can carry as JSON numbers: a shape asking for more is refused before counting. */
    private static final long MAX_VALUES = 64L * 1024 * 1024;

    boolean isImages() {
        return images != null;
    }

    static InferRequest parse(JsonNode request) {
        if (request == null || !request.path("inputs").isArray() || request.path("inputs").size() != 1) {
            throw new BadRequestException("an inference request needs exactly one input: \"" + OpenInferenceResource.BYTES_INPUT
                    + "\" (BYTES, base64 images) or \"" + OpenInferenceResource.FP32_INPUT + "\" (FP32, [n, 3, height, width])");
        }
        JsonNode input = request.path("inputs").get(0);
        String datatype = input.path("datatype").asText();
        List<JsonNode> data = new ArrayList<>();
        flatten(input.path("data"), data);
        List<String> outputs = new ArrayList<>();
        request.path("outputs").forEach(o -> outputs.add(o.path("name").asText()));
        String id = request.hasNonNull("id") ? request.get("id").asText() : null;
        if (datatype.equals("BYTES")) {
            List<byte[]> images = new ArrayList<>();
            for (int i = 0; i < data.size(); i++) {
                if (!data.get(i).isTextual()) {
                    throw new BadRequestException("BYTES data must be base64 strings, one per image");
                }
                images.add(PredictResource.base64(data.get(i).asText(), i + 1));
            }
            return new InferRequest(id, images, null, null, outputs);
        }
        if (datatype.equals("FP32")) {
            long[] shape = shape(input.path("shape"), data.size());
            float[] values = new float[data.size()];
            for (int i = 0; i < values.length; i++) {
                if (!data.get(i).isNumber()) {
                    throw new BadRequestException("FP32 data must be numbers");
                }
                values[i] = data.get(i).floatValue();
            }
            return new InferRequest(id, null, shape, values, outputs);
        }
        throw new BadRequestException("input datatype must be BYTES (base64 images) or FP32 (preprocessed pixels), not '"
                + datatype + "'");
    }

    private static long[] shape(JsonNode shapeNode, int values) {
        if (!shapeNode.isArray() || shapeNode.size() != 4) {
            throw new BadRequestException("FP32 input needs shape [n, 3, height, width]");
        }
        long[] shape = new long[4];
        long count = 1;
        for (int i = 0; i < 4; i++) {
            JsonNode side = shapeNode.get(i);
            if (!side.canConvertToLong() || !side.isIntegralNumber() || side.asLong() < 1) {
                throw new BadRequestException("FP32 input's shape " + shapeNode + " must be four whole numbers of at least 1");
            }
            shape[i] = side.asLong();
            if (shape[i] > MAX_VALUES || count * shape[i] > MAX_VALUES) {
                throw new BadRequestException("FP32 input's shape " + shapeNode + " asks for more than " + MAX_VALUES + " values");
            }
            count *= shape[i];
        }
        if (count != values) {
            throw new BadRequestException("FP32 input has " + values + " values but its shape " + shapeNode + " needs " + count);
        }
        return shape;
    }

    /** Tensor data may be flat (row-major) or nested: both are read row-major. */
    private static void flatten(JsonNode node, List<JsonNode> into) {
        if (node.isArray()) {
            node.forEach(child -> flatten(child, into));
        } else if (!node.isMissingNode() && !node.isNull()) {
            into.add(node);
        }
    }
}
