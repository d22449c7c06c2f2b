package dev.graft.bench.serving;

import dev.graft.bench.trainer.Recipes;
import dev.graft.contract.manifest.BaseLineage;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ModelStore;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.base.BaseSurgery;
import dev.graft.trainer.base.ImageNetWeights;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.RemoteDatasets;
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
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A model the serving benchmarks serve, and the PNGs of random pixels posted to it (speed does not depend on the
 * weights nor on the pixels): the demo classifier's architecture (small-convnet at 48x48 RGB, a 128-unit head,
 * random weights), or ResNet50 with its ImageNet weights and a 256-unit head at 224x224, Caffe preprocessing.
 * Both have 10 classes.
 */
record ServedModel(String name, InputShape shape, Preprocessing preprocessing, BaseLineage lineage) {
    static final ServedModel DEMO = new ServedModel("small-convnet", InputShape.rgb(48, 48), Preprocessing.UNIT,
            new BaseLineage("small-convnet", "random", "pool3"));
    static final ServedModel RESNET50 = new ServedModel("resnet50", InputShape.rgb(224, 224), Preprocessing.CAFFE,
            new BaseLineage("resnet50", "imagenet", "conv5_block3_out"));
    private static final List<String> LABELS = List.of("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
            "Sneaker", "Bag", "Boot");

    static ServedModel named(String name) {
        return List.of(DEMO, RESNET50).stream().filter(m -> m.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no served model " + name + ": small-convnet or resnet50"));
    }

    /** The network, built as the demo's or as the trainer's recipe builds it on ImageNet ResNet50 (in {@code work}). */
    ComputationGraph network(ImageNetWeights weights, Path work) {
        return this == RESNET50 ? resnet50(weights, work) : smallConvnet();
    }

    /** What the benchmark prints of it. */
    String describe(ComputationGraph network) {
        return String.format("%s %dx%d + %d-unit head, 10 classes (%d parameters)", name, shape.width(), shape.height(),
                this == RESNET50 ? 256 : 128, network.numParams());
    }

    ModelManifest manifest(String model) {
        return ModelManifest.draft(model, Task.CLASSIFICATION, LABELS, null, shape, preprocessing, Map.of("accuracy", 0.1),
                lineage, "bench");
    }

    /** A PNG of random pixels at the model's input size. */
    byte[] png(Random random) {
        BufferedImage image = new BufferedImage(shape.width(), shape.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < shape.height(); y++) {
            for (int x = 0; x < shape.width(); x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** small-convnet blocks of 32, 32, 64 filters, a 128-unit head, 10 classes. */
    private ComputationGraph smallConvnet() {
        var graph = new NeuralNetConfiguration.Builder().seed(1).weightInit(WeightInit.RELU).activation(Activation.RELU)
                .graphBuilder().addInputs("input").setInputTypes(InputType.convolutional(shape.height(), shape.width(), 3));
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

    /** ImageNet ResNet50 with the recipe's new head (random), as the trainer stores it after fine-tuning: nothing frozen. */
    private ComputationGraph resnet50(ImageNetWeights weights, Path work) {
        if (!weights.present()) {
            throw new IllegalStateException("no ImageNet weights in " + weights.dir() + ": run bin/graft weights");
        }
        BaseFactory bases = Recipes.bases(new ModelStore(work.resolve("bases")), new DatasetReader(work.toString(),
                RemoteDatasets.none()), weights);
        return BaseSurgery.unfrozen(Recipes.fineTuned(bases, name, shape.height(), 256, Recipes.RESNET50_TOP_BLOCK).graph());
    }
}
