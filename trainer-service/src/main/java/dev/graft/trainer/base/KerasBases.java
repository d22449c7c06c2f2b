package dev.graft.trainer.base;

import com.fasterxml.jackson.databind.JsonNode;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.Preprocessing;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A Keras model as a base: a .h5 (model.save()) or a TF.js layers model, through
 * deeplearning4j-modelimport. Keras saves channels-last networks; Graft feeds channels-first tensors
 * (the shared preprocessing), so the base's layers are switched to NCHW (DL4J keeps conv weights in
 * the same layout for both). The head is attached after the named architecture's feature layer, or
 * else after the last layer whose output is still an image (Keras' include_top=False cut). Its
 * inputs are scaled as the request says, else as Keras' applications of that architecture were
 * trained (Caffe's way for ResNet50 and the VGGs), else to 0..1.
 */
final class KerasBases {
    private KerasBases() {
    }

    static Base load(ComputationGraph imported, String file, String architectureName, InputShape shape, String weights,
                     Preprocessing requested) {
        Architecture architecture = architectureName == null || architectureName.equals(Architecture.KERAS_ID) ? null
                : Architecture.parse(architectureName);
        ComputationGraph graph = channelsFirst(imported);
        String feature = architecture != null ? architecture.resolveLayer(graph, architecture.featureLayer())
                : lastImageLayer(graph, shape, file);
        Preprocessing preprocessing = requested != null ? requested
                : architecture != null ? architecture.kerasPreprocessing() : Preprocessing.UNIT;
        return new Base(graph, architecture, feature, shape, weights, preprocessing);
    }

    static ComputationGraph importH5(Path file) {
        try {
            String config;
            try (Hdf5Archive archive = new Hdf5Archive(file.toString())) {
                config = archive.readAttributeAsJson("model_config");
            }
            JsonNode model = Json.MAPPER.readTree(config);
            if ("Sequential".equals(model.path("class_name").asText())) {
                return KerasModelImport.importKerasSequentialModelAndWeights(file.toString(), false).toComputationGraph();
            }
            return KerasModelImport.importKerasModelAndWeights(file.toString(), false);
        } catch (IOException | InvalidKerasConfigurationException | UnsupportedKerasConfigurationException
                 | RuntimeException e) {
            throw new IllegalArgumentException("cannot import the Keras model " + file.getFileName()
                    + " (a Keras 2 .h5 written by model.save() is expected): " + e.getMessage(), e);
        }
    }

    /** The same network and weights with every image layer working on NCHW tensors. */
    static ComputationGraph channelsFirst(ComputationGraph graph) {
        ComputationGraphConfiguration conf = graph.getConfiguration().clone();
        for (var vertex : conf.getVertices().values()) {
            if (vertex instanceof LayerVertex layerVertex) {
                Layer layer = layerVertex.getLayerConf().getLayer();
                if (layer instanceof ConvolutionLayer conv) {
                    conv.setCnn2dDataFormat(CNN2DFormat.NCHW);
                } else if (layer instanceof SubsamplingLayer pool) {
                    pool.setCnn2dDataFormat(CNN2DFormat.NCHW);
                } else if (layer instanceof BatchNormalization norm) {
                    norm.setCnn2DFormat(CNN2DFormat.NCHW);
                } else if (layer instanceof ZeroPaddingLayer padding) {
                    padding.setDataFormat(CNN2DFormat.NCHW);
                } else if (layer instanceof GlobalPoolingLayer pooling && pooling.getPoolingDimensions() != null
                        && pooling.getPoolingDimensions().length == 2) {
                    pooling.setPoolingDimensions(new int[]{2, 3});   // Keras pools NHWC over 1, 2
                }
            }
        }
        ComputationGraph converted = new ComputationGraph(conf);
        converted.init(graph.params().dup(), false);
        return converted;
    }

    private static String lastImageLayer(ComputationGraph graph, InputShape shape, String file) {
        Map<String, InputType> types = graph.getConfiguration().getLayerActivationTypes(
                InputType.convolutional(shape.height(), shape.width(), shape.channels()));
        String last = null;
        for (int index : graph.topologicalSortOrder()) {
            String name = graph.getVertices()[index].getVertexName();
            if (graph.getVertices()[index].hasLayer() && types.get(name) instanceof InputType.InputTypeConvolutional) {
                last = name;
            }
        }
        if (last == null) {
            throw new IllegalArgumentException("the Keras model " + file + " has no convolutional layer to"
                    + " build on; layers: " + List.copyOf(Architecture.layerNamesOf(graph)));
        }
        return last;
    }
}
