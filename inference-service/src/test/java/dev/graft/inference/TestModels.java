package dev.graft.inference;

import dev.graft.inference.config.ServingSettings;
import dev.graft.inference.batching.Batching;
import dev.graft.inference.metrics.InferenceMetrics;
import dev.graft.inference.versions.ModelLoader;
import dev.graft.inference.versions.ModelManager;
import dev.graft.contract.manifest.BaseLineage;
import dev.graft.contract.manifest.Preprocessing;
import java.nio.file.Path;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Promotion;
import dev.graft.contract.manifest.TargetNormalization;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ModelStore;
import io.micrometer.core.instrument.MeterRegistry;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
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
        return publishClassifier(store, model, seed, 0.9, null);
    }

    /** A classifier whose manifest claims {@code accuracy} and carries the request's promotion rule. */
    public static ModelManifest publishClassifier(ModelStore store, String model, long seed, double accuracy,
                                                  Promotion promotion) {
        ComputationGraph graph = network(3, seed);
        return store.publish(ModelManifest.draft(model, Task.CLASSIFICATION, List.of("red", "green", "blue"), null,
                        SHAPE, Preprocessing.UNIT, Map.of("accuracy", accuracy), new BaseLineage("small-convnet", "random", "conv"), "test")
                        .withPromotion(promotion),
                file -> ModelSerializer.writeModel(graph, file.toFile(), false));
    }

    /**
     * A classifier whose artifact {@code damage} changes after the network is written and before the store
     * hashes it: the sha256 matches, so what is tested is the restore itself.
     */
    public static ModelManifest publishDamagedClassifier(ModelStore store, String model, java.util.function.Consumer<Path> damage) {
        ComputationGraph graph = network(3, 1);
        return store.publish(ModelManifest.draft(model, Task.CLASSIFICATION, List.of("red", "green", "blue"), null,
                        SHAPE, Preprocessing.UNIT, Map.of("accuracy", 0.9), new BaseLineage("small-convnet", "random", "conv"), "test"),
                file -> {
                    ModelSerializer.writeModel(graph, file.toFile(), false);
                    damage.accept(file);
                });
    }

    /** A manager wired as the application wires it, on {@code store}, reporting to {@code registry}. */
    public static ModelManager manager(ModelStore store, ServingSettings settings, MeterRegistry registry) {
        InferenceMetrics metrics = new InferenceMetrics(registry);
        return new ModelManager(store, new ModelLoader(store, settings, new Batching(settings, metrics), metrics),
                settings, metrics, io.opentelemetry.api.OpenTelemetry.noop().getTracer("test"));
    }

    public static ModelManifest publishRegressor(ModelStore store, String model, TargetNormalization normalization,
                                                 ComputationGraph graph) {
        return publishRegressor(store, model, normalization, graph, Preprocessing.UNIT);
    }

    public static ModelManifest publishRegressor(ModelStore store, String model, TargetNormalization normalization,
                                                 ComputationGraph graph, Preprocessing preprocessing) {
        return store.publish(ModelManifest.draft(model, Task.REGRESSION, List.of(), normalization, SHAPE,
                        preprocessing, Map.of("mae", 3.0), new BaseLineage("small-convnet", "random", "conv"), "test"),
                file -> ModelSerializer.writeModel(graph, file.toFile(), false));
    }

    /**
     * A regressor that answers the mean of its input's first channel, so a test reads back what the
     * service fed it: average pooling, then a linear unit with weights 1, 0, 0.
     */
    public static ComputationGraph firstChannelMean() {
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(SHAPE.height(), SHAPE.width(), 3))
                .addLayer("pool", new GlobalPoolingLayer(PoolingType.AVG), "input")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(1)
                        .activation(Activation.IDENTITY).build(), "pool")
                .setOutputs("out").build());
        graph.init();
        graph.getLayer("out").setParam("W", org.nd4j.linalg.factory.Nd4j.create(new float[]{1, 0, 0}, new long[]{3, 1}));
        graph.getLayer("out").setParam("b", org.nd4j.linalg.factory.Nd4j.zeros(1, 1));
        return graph;
    }

    public static byte[] png(int rgb, int size) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                image.setRGB(x, y, rgb);
            }
        }
        return encode(image, "png");
    }

    /**
     * A PNG that is only a signature and a header announcing {@code width} x {@code height} pixels: a
     * decoder that trusted it would allocate the whole image before finding there are no pixels.
     */
    public static byte[] pngHeaderOnly(int width, int height) {
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(17);
        ihdr.put("IHDR".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(ihdr.array());
        return java.nio.ByteBuffer.allocate(8 + 4 + 17 + 4)
                .put(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'})
                .putInt(13).put(ihdr.array()).putInt((int) crc.getValue()).array();
    }

    public static byte[] encode(BufferedImage image, String format) {
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalArgumentException("no ImageIO writer for " + format);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The artifact's file in a folder store, for tests that damage it. */
    public static Path artifactFile(ModelStore store, ModelManifest manifest) {
        return store.folder().orElseThrow().resolve(manifest.model()).resolve(Integer.toString(manifest.version()))
                .resolve(manifest.artifact());
    }
}
