package dev.graft.bench.serving;

import dev.graft.contract.manifest.BaseLineage;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.Task;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The model served: the demo classifier's architecture (small-convnet at 48x48 RGB, a 128-unit head, 10
 * classes) with random weights, since speed does not depend on them; and the PNGs posted to it.
 */
final class DemoClassifier {
    static final InputShape SHAPE = InputShape.rgb(48, 48);

    private DemoClassifier() {
    }

    /** small-convnet blocks of 32, 32, 64 filters, a 128-unit head, 10 classes. */
    static ComputationGraph network() {
        var graph = new NeuralNetConfiguration.Builder().seed(1).weightInit(WeightInit.RELU).activation(Activation.RELU)
                .graphBuilder().addInputs("input").setInputTypes(InputType.convolutional(SHAPE.height(), SHAPE.width(), 3));
        String previous = "input";
        int[] filters = {32, 32, 64};
        for (int block = 1; block <= filters.length; block++) {
            graph.addLayer("conv" + block, new ConvolutionLayer.Builder(3, 3).nOut(filters[block - 1])
                            .convolutionMode(ConvolutionMode.Same).build(), previous)
                    .addLayer("pool" + block, new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                            .build(), "conv" + block);
            previous = "pool" + block;
        }
        graph.addLayer("dense", new DenseLayer.Builder().nOut(128).build(), previous)
                .addLayer("predictions", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("predictions");
        ComputationGraph network = new ComputationGraph(graph.build());
        network.init();
        return network;
    }

    static ModelManifest manifest(String model) {
        return ModelManifest.draft(model, Task.CLASSIFICATION,
                List.of("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"),
                null, SHAPE, Preprocessing.UNIT, Map.of("accuracy", 0.1), new BaseLineage("small-convnet", "random", "pool3"), "bench");
    }

    /** A PNG of random pixels at the model's input size. */
    static byte[] png(Random random) throws IOException {
        BufferedImage image = new BufferedImage(SHAPE.width(), SHAPE.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SHAPE.height(); y++) {
            for (int x = 0; x < SHAPE.width(); x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        }
    }
}
