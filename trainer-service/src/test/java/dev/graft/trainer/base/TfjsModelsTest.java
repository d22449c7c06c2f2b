package dev.graft.trainer.base;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.InputShape;
import dev.graft.trainer.TfjsFiles;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.graft.trainer.TfjsFiles.CLASSES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TfjsModelsTest {
    private static final int SIZE = 32;

    /**
     * The same ResNet, built directly in DL4J (NCHW) from the weights the files hold: Keras' HWIO kernels
     * as DL4J's OIHW, batch norm with Keras' epsilon. What the import computes must be what this computes.
     */
    private static ComputationGraph reference(TfjsFiles files) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder().dataType(DataType.FLOAT)
                .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(SIZE, SIZE, 3));
        g.addLayer("conv1_pad", new ZeroPaddingLayer(3, 3, 3, 3), "in");
        conv(g, "conv1", "conv1_pad", 7, 2, ConvolutionMode.Truncate, 4);
        g.addLayer("bn_conv1", norm(), "conv1");
        g.addLayer("activation", new ActivationLayer(Activation.RELU), "bn_conv1");
        g.addLayer("pool1_pad", new ZeroPaddingLayer(1, 1, 1, 1), "activation");
        g.addLayer("max_pooling2d", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2).build(),
                "pool1_pad");
        conv(g, "res2a_branch2a", "max_pooling2d", 1, 1, ConvolutionMode.Truncate, 2);
        g.addLayer("bn2a_branch2a", norm(), "res2a_branch2a");
        g.addLayer("activation_1", new ActivationLayer(Activation.RELU), "bn2a_branch2a");
        conv(g, "res2a_branch2b", "activation_1", 3, 1, ConvolutionMode.Same, 2);
        g.addLayer("bn2a_branch2b", norm(), "res2a_branch2b");
        g.addLayer("activation_2", new ActivationLayer(Activation.RELU), "bn2a_branch2b");
        conv(g, "res2a_branch2c", "activation_2", 1, 1, ConvolutionMode.Truncate, 8);
        conv(g, "res2a_branch1", "max_pooling2d", 1, 1, ConvolutionMode.Truncate, 8);
        g.addLayer("bn2a_branch2c", norm(), "res2a_branch2c");
        g.addLayer("bn2a_branch1", norm(), "res2a_branch1");
        g.addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn2a_branch2c", "bn2a_branch1");
        g.addLayer("activation_3", new ActivationLayer(Activation.RELU), "add");
        g.addLayer("avg_pool", new GlobalPoolingLayer(PoolingType.AVG), "activation_3");
        g.addLayer("fc1000", new DenseLayer.Builder().nOut(CLASSES).activation(Activation.SOFTMAX).build(), "avg_pool");
        ComputationGraph graph = new ComputationGraph(g.setOutputs("fc1000").build());
        graph.init();
        files.weights().forEach((name, values) -> {
            String layer = name.substring(0, name.indexOf('/'));
            String param = name.substring(name.indexOf('/') + 1);
            INDArray value = Nd4j.create(values, files.shape(name), 'c');
            switch (param) {
                case "kernel" -> graph.getLayer(layer).setParam("W", value.rank() == 4 ? value.permute(3, 2, 0, 1).dup('c') : value);
                case "bias" -> graph.getLayer(layer).setParam("b", value.reshape(1, values.length));
                case "gamma" -> graph.getLayer(layer).setParam("gamma", value.reshape(1, values.length));
                case "beta" -> graph.getLayer(layer).setParam("beta", value.reshape(1, values.length));
                case "moving_mean" -> graph.getLayer(layer).setParam("mean", value.reshape(1, values.length));
                case "moving_variance" -> graph.getLayer(layer).setParam("var", value.reshape(1, values.length));
                default -> throw new IllegalStateException(name);
            }
        });
        return graph;
    }

    private static void conv(ComputationGraphConfiguration.GraphBuilder g, String name, String input, int kernel, int stride,
                             ConvolutionMode mode, int filters) {
        g.addLayer(name, new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).convolutionMode(mode)
                .nOut(filters).activation(Activation.IDENTITY).build(), input);
    }

    private static BatchNormalization norm() {
        return new BatchNormalization.Builder().eps(1e-3).useLogStd(false).build();
    }

    @Test
    void aResNetPublishedForTfjsImportsAndComputesWhatTheSameNetworkComputesInDl4j(@TempDir Path dir) throws IOException {
        // 97-byte shards: every few weights straddle two files
        TfjsFiles files = TfjsFiles.miniResNet(dir.resolve("mini"), 7, 97);
        assertThat(Files.list(dir.resolve("mini")).count()).isGreaterThan(10);

        ComputationGraph imported = KerasBases.channelsFirst(TfjsModels.importGraph(dir.resolve("mini"), InputShape.rgb(SIZE, SIZE)));
        INDArray input = Nd4j.rand(DataType.FLOAT, 3, 3, SIZE, SIZE).muli(2).subi(1);
        INDArray expected = reference(files).outputSingle(input);
        INDArray actual = imported.outputSingle(input);

        assertThat(actual.shape()).containsExactly(3, CLASSES);
        for (int i = 0; i < 3; i++) {
            for (int c = 0; c < CLASSES; c++) {
                assertThat(actual.getDouble(i, c)).as("image %d class %d", i, c).isCloseTo(expected.getDouble(i, c),
                        org.assertj.core.api.Assertions.within(1e-5));
            }
        }
        // the three naming schemes of ResNet50 all find the Keras 2.2 layers
        Architecture resnet = Architecture.RESNET50;
        assertThat(resnet.resolveLayer(imported, "conv2_block1_1_conv")).isEqualTo("res2a_branch2a");
        assertThat(resnet.resolveLayer(imported, "res2a_branch2a")).isEqualTo("res2a_branch2a");
        assertThat(resnet.resolveLayer(imported, "conv2_block1_out")).isEqualTo("activation_3");
        assertThat(resnet.resolveLayer(imported, "conv2_block1_add")).isEqualTo("add");
        assertThat(resnet.resolveLayer(imported, "conv2_block1_2_relu")).isEqualTo("activation_2");
        assertThat(resnet.resolveLayer(imported, "conv1_relu")).isEqualTo("activation");
        assertThat(resnet.resolveLayer(imported, "pool1_pool")).isEqualTo("max_pooling2d");
        assertThat(resnet.resolveLayer(imported, "conv1_conv")).isEqualTo("conv1");
        assertThat(resnet.resolveLayer(imported, "res2a_branch")).isEqualTo("activation_3");   // the zoo's name
        assertThat(resnet.layerNames(imported)).contains("conv1_conv", "conv2_block1_1_conv", "conv2_block1_out");
        assertThatThrownBy(() -> resnet.resolveLayer(imported, "conv5_block3_1_conv"))
                .hasMessageContaining("Keras 2.2 and DL4J zoo names")
                .hasMessageContaining("valid layers: conv1_pad, conv1_conv, conv1_bn, conv1_relu");
    }

    @Test
    void aLayerDl4jCannotImportIsNamedAndShardsOutsideTheFolderOrMissingWeightsAreRefused(@TempDir Path dir)
            throws IOException {
        Path folder = dir.resolve("odd");
        TfjsFiles.miniResNet(folder, 1, 4096);
        ObjectNode model = (ObjectNode) Json.MAPPER.readTree(folder.resolve("model.json").toFile());
        ObjectNode activation = (ObjectNode) model.at("/modelTopology/model_config/config/layers/4");
        assertThat(activation.path("name").asText()).isEqualTo("activation");
        activation.put("class_name", "Ragged2D");
        Json.MAPPER.writeValue(folder.resolve("model.json").toFile(), model);
        assertThatThrownBy(() -> TfjsModels.importGraph(folder, InputShape.rgb(SIZE, SIZE)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("DL4J cannot import layer 'activation' of type Ragged2D");

        Path escaping = dir.resolve("escaping");
        TfjsFiles.miniResNet(escaping, 1, 1 << 20);
        Files.writeString(dir.resolve("secret.bin"), "not a weight");
        rewrite(escaping, model2 -> ((ObjectNode) model2.at("/weightsManifest/0")).putArray("paths").add("../secret.bin"));
        assertThatThrownBy(() -> TfjsModels.importGraph(escaping, InputShape.rgb(SIZE, SIZE)))
                .hasMessageContaining("weight shard '../secret.bin' is not a file in the model's folder");

        Path partial = dir.resolve("partial");
        TfjsFiles.miniResNet(partial, 1, 1 << 20);
        rewrite(partial, model3 -> ((ArrayNode) model3.at("/weightsManifest/0/weights"))
                .removeIf(weight -> weight.path("name").asText().startsWith("res2a_branch1/")));
        assertThatThrownBy(() -> TfjsModels.importGraph(partial, InputShape.rgb(SIZE, SIZE)))
                .hasMessageContaining("the weight shards hold no weights for layer 'res2a_branch1'");

        assertThatThrownBy(() -> TfjsModels.importGraph(dir.resolve("nothing"), InputShape.rgb(SIZE, SIZE)))
                .hasMessageContaining("no model.json in nothing");
    }

    @Test
    void halfPrecisionWeightsReadAsTheirValues() {
        assertThat(TfjsModels.halfToFloat((short) 0x3c00)).isEqualTo(1f);
        assertThat(TfjsModels.halfToFloat((short) 0xc000)).isEqualTo(-2f);
        assertThat(TfjsModels.halfToFloat((short) 0x0001)).isEqualTo((float) Math.pow(2, -24));
        assertThat(TfjsModels.halfToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(TfjsModels.halfToFloat((short) 0x3555)).isCloseTo(0.33325195f, org.assertj.core.api.Assertions.within(1e-7f));
    }

    private static void rewrite(Path folder, java.util.function.Consumer<ObjectNode> change) throws IOException {
        ObjectNode model = (ObjectNode) Json.MAPPER.readTree(folder.resolve("model.json").toFile());
        change.accept(model);
        Json.MAPPER.writeValue(folder.resolve("model.json").toFile(), model);
    }
}
