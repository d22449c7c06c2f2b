package dev.graft.trainer;

import org.bytedeco.hdf5.Attribute;
import org.bytedeco.hdf5.DataSet;
import org.bytedeco.hdf5.DataSpace;
import org.bytedeco.hdf5.Group;
import org.bytedeco.hdf5.H5File;
import org.bytedeco.hdf5.PredType;
import org.bytedeco.hdf5.StrType;
import org.bytedeco.javacpp.FloatPointer;

import java.nio.file.Path;
import java.util.Random;

import static org.bytedeco.hdf5.global.hdf5.H5F_ACC_TRUNC;
import static org.bytedeco.hdf5.global.hdf5.H5S_SCALAR;
import static org.bytedeco.hdf5.global.hdf5.H5T_VARIABLE;

/**
 * A Keras 2 .h5 the tests write themselves, as {@code model.save()} lays it out: the model's JSON in
 * the root's {@code model_config} attribute, each layer's weights under {@code model_weights/NAME/NAME}.
 * The model is a tiny channels-last VGG: two conv blocks and a softmax top, with random weights.
 */
public final class KerasFiles {
    private static final String CONV = """
            {"name": "%s", "class_name": "Conv2D", "config": {"name": "%s", "trainable": true, "filters": %d,
             "kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "data_format": "channels_last",
             "dilation_rate": [1, 1], "activation": "relu", "use_bias": true,
             "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}},
             "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null,
             "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null},
             "inbound_nodes": [[["%s", 0, 0, {}]]]}""";
    private static final String POOL = """
            {"name": "%s", "class_name": "MaxPooling2D", "config": {"name": "%s", "trainable": true, "pool_size": [2, 2],
             "padding": "valid", "strides": [2, 2], "data_format": "channels_last"}, "inbound_nodes": [[["%s", 0, 0, {}]]]}""";

    private KerasFiles() {
    }

    /** Writes the model for {@code size}x{@code size} RGB inputs to {@code file}. */
    public static void tinyVgg(Path file, int size, long seed) {
        String config = """
                {"class_name": "Model", "config": {"name": "tiny_vgg", "layers": [
                 {"name": "input_1", "class_name": "InputLayer", "config": {"batch_input_shape": [null, %d, %d, 3],
                  "dtype": "float32", "sparse": false, "name": "input_1"}, "inbound_nodes": []},
                 %s, %s, %s, %s,
                 {"name": "flatten", "class_name": "Flatten", "config": {"name": "flatten", "trainable": true,
                  "data_format": "channels_last"}, "inbound_nodes": [[["block2_pool", 0, 0, {}]]]},
                 {"name": "predictions", "class_name": "Dense", "config": {"name": "predictions", "trainable": true,
                  "units": 2, "activation": "softmax", "use_bias": true,
                  "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}},
                  "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null,
                  "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null},
                  "inbound_nodes": [[["flatten", 0, 0, {}]]]}],
                 "input_layers": [["input_1", 0, 0]], "output_layers": [["predictions", 0, 0]]}}
                """.formatted(size, size,
                CONV.formatted("block1_conv1", "block1_conv1", 4, "input_1"),
                POOL.formatted("block1_pool", "block1_pool", "block1_conv1"),
                CONV.formatted("block2_conv1", "block2_conv1", 8, "block1_pool"),
                POOL.formatted("block2_pool", "block2_pool", "block2_conv1"));
        Random random = new Random(seed);
        int flat = (size / 4) * (size / 4) * 8;
        try (H5File h5 = new H5File(file.toString(), H5F_ACC_TRUNC())) {
            StrType text = new StrType(PredType.C_S1(), H5T_VARIABLE());
            DataSpace scalar = new DataSpace(H5S_SCALAR);
            attribute(h5, "model_config", config, text, scalar);
            attribute(h5, "keras_version", "2.2.4", text, scalar);
            attribute(h5, "backend", "tensorflow", text, scalar);
            Group weights = h5.createGroup("model_weights");
            for (String layer : new String[]{"input_1", "block1_pool", "block2_pool", "flatten"}) {
                Group g = weights.createGroup(layer);
                attribute(g, "weight_names", "", text, scalar);
                g._close();
            }
            layer(weights, "block1_conv1", new long[]{3, 3, 3, 4}, 4, random, text, scalar);
            layer(weights, "block2_conv1", new long[]{3, 3, 4, 8}, 8, random, text, scalar);
            layer(weights, "predictions", new long[]{flat, 2}, 2, random, text, scalar);
            weights._close();
        }
    }

    private static void layer(Group weights, String name, long[] kernelShape, int outputs, Random random, StrType text,
                              DataSpace scalar) {
        Group g = weights.createGroup(name);
        attribute(g, "weight_names", name + "/kernel:0" + name + "/bias:0", text, scalar);
        Group inner = g.createGroup(name);
        long fanIn = 1;
        for (int i = 0; i < kernelShape.length - 1; i++) {
            fanIn *= kernelShape[i];
        }
        dataset(inner, "kernel:0", kernelShape, random, Math.sqrt(2.0 / fanIn));
        dataset(inner, "bias:0", new long[]{outputs}, random, 0.01);
        inner._close();
        g._close();
    }

    private static void dataset(Group group, String name, long[] shape, Random random, double scale) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] values = new float[(int) n];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * scale);
        }
        DataSpace space = new DataSpace(shape.length, shape);
        DataSet data = group.createDataSet(name, PredType.NATIVE_FLOAT(), space);
        data.write(new FloatPointer(values), PredType.NATIVE_FLOAT());
        data._close();
        space._close();
    }

    private static void attribute(org.bytedeco.hdf5.H5Object target, String name, String value, StrType type,
                                  DataSpace space) {
        Attribute attribute = target.createAttribute(name, type, space);
        attribute.write(type, value);
        attribute._close();
    }
}
