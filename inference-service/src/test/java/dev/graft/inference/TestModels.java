package dev.graft.inference;

import dev.graft.shared.manifest.BaseLineage;
import dev.graft.shared.manifest.InputShape;
import dev.graft.shared.manifest.ModelManifest;
import dev.graft.shared.manifest.TargetNormalization;
import dev.graft.shared.manifest.Task;
import dev.graft.shared.store.ModelStore;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** Tiny networks and images the inference tests make themselves, stored as the trainer would. */
public final class TestModels {
    public static final InputShape SHAPE = InputShape.rgb(8, 8);

    private TestModels() {
    }

    public static ComputationGraph network(int outputs, long seed) {
        boolean classifier = outputs > 1;
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(seed).graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(SHAPE.height(), SHAPE.width(), 3))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "input")
                .addLayer("out", new OutputLayer.Builder(classifier ? LossFunctions.LossFunction.MCXENT
                        : LossFunctions.LossFunction.MSE).nOut(outputs)
                        .activation(classifier ? Activation.SOFTMAX : Activation.IDENTITY).build(), "conv")
                .setOutputs("out").build());
        graph.init();
        return graph;
    }

    public static ModelManifest publishClassifier(ModelStore store, String model, long seed) {
        ComputationGraph graph = network(3, seed);
        return store.publish(ModelManifest.draft(model, Task.CLASSIFICATION, List.of("red", "green", "blue"), null,
                        SHAPE, Map.of("accuracy", 0.9), new BaseLineage("small-convnet", "random", "conv"), "test"),
                file -> ModelSerializer.writeModel(graph, file.toFile(), false));
    }

    public static ModelManifest publishRegressor(ModelStore store, String model, TargetNormalization normalization,
                                                 ComputationGraph graph) {
        return store.publish(ModelManifest.draft(model, Task.REGRESSION, List.of(), normalization, SHAPE,
                        Map.of("mae", 3.0), new BaseLineage("small-convnet", "random", "conv"), "test"),
                file -> ModelSerializer.writeModel(graph, file.toFile(), false));
    }

    public static byte[] png(int rgb, int size) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                image.setRGB(x, y, rgb);
            }
        }
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
