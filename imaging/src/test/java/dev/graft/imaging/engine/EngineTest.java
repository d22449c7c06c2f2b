package dev.graft.imaging.engine;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine both services build networks on: convolution, pooling and batch norm go through DL4J's oneDNN
 * layer helpers (pooling then on libnd4j's loops, CpuOpExecutionerTest), and they compute what DL4J's
 * built-in layers compute, forward and backward.
 */
class EngineTest {

    @Test
    void convolutionPoolingAndBatchNormRunThroughOneDnn() {
        Engine.Description engine = Engine.init();

        ComputationGraph network = network();
        assertThat(engine.backend()).isEqualToIgnoringCase("CPU");
        assertThat(engine.oneDnnLayers()).as(engine.toString()).isTrue();
        assertThat(engine.ownPooling()).as(engine.toString()).isTrue();
        assertThat(Nd4j.getExecutioner().getClass().getName()).isEqualTo(Engine.CPU_EXECUTIONER);
        assertThat(network.getLayer("conv1").getHelper()).isInstanceOf(MKLDNNConvHelper.class);
        assertThat(network.getLayer("pool1").getHelper()).isInstanceOf(MKLDNNSubsamplingHelper.class);
        assertThat(network.getLayer("norm1").getHelper()).isInstanceOf(MKLDNNBatchNormHelper.class);
    }

    @Test
    void oneDnnLayersComputeWhatTheBuiltInOnesCompute() {
        Engine.init();
        ComputationGraph oneDnn = network();
        ComputationGraph builtIn = Engine.withBuiltInLayers(EngineTest::network);
        assertThat(builtIn.getLayer("conv1").getHelper()).isNull();
        builtIn.setParams(oneDnn.params().dup());

        INDArray images = Nd4j.rand(DataType.FLOAT, 8, 3, 24, 24);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, 8, 4);
        for (int i = 0; i < 8; i++) {
            labels.putScalar(i, i % 4, 1);
        }
        assertClose(oneDnn.outputSingle(false, images), builtIn.outputSingle(false, images));
        assertClose(oneDnn.outputSingle(true, images), builtIn.outputSingle(true, images));

        oneDnn.setInputs(images);
        oneDnn.setLabels(labels);
        builtIn.setInputs(images);
        builtIn.setLabels(labels);
        oneDnn.computeGradientAndScore();
        builtIn.computeGradientAndScore();
        assertThat(oneDnn.score()).isCloseTo(builtIn.score(), org.assertj.core.data.Percentage.withPercentage(0.01));
        assertClose(oneDnn.gradient().gradient(), builtIn.gradient().gradient());
    }

    /** Convolutions in both modes and with a stride, max and average pooling, batch norm, a dense head. */
    private static ComputationGraph network() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(7).weightInit(WeightInit.RELU).activation(Activation.RELU).updater(new Adam(1e-3))
                .graphBuilder().addInputs("input").setInputTypes(InputType.convolutional(24, 24, 3))
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(8).convolutionMode(ConvolutionMode.Same).build(), "input")
                .addLayer("norm1", new BatchNormalization.Builder().build(), "conv1")
                .addLayer("pool1", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), "norm1")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(16)
                        .convolutionMode(ConvolutionMode.Truncate).build(), "pool1")
                .addLayer("pool2", new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(1, 1).build(), "conv2")
                .addLayer("dense", new DenseLayer.Builder().nOut(12).build(), "pool2")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4)
                        .activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("out").build();
        ComputationGraph network = new ComputationGraph(conf);
        network.init();
        return network;
    }


    private static void assertClose(INDArray actual, INDArray expected) {
        double scale = Math.max(expected.amaxNumber().doubleValue(), 1e-6);
        double largestDifference = actual.sub(expected).amaxNumber().doubleValue();
        assertThat(largestDifference / scale).as("largest difference relative to the largest value").isLessThan(1e-4);
    }
}
