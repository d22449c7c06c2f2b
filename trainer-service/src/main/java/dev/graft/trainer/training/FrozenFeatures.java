package dev.graft.trainer.training;

import dev.graft.trainer.base.BaseSurgery;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;

import java.util.Set;

/**
 * The frozen phase without re-running the frozen base every epoch: the base runs once over the data,
 * its output is kept in memory, and only the head trains on it. The head is the same two layers as
 * in the full network and starts from, and returns to, the full network's head weights.
 */
final class FrozenFeatures {
    private static final String INPUT = "features";
    private static final int BATCH = 64;

    private FrozenFeatures() {
    }

    /** Bytes the features of {@code images} images need at {@code featureShape} (c, h, w). */
    static long bytes(long images, long[] featureShape) {
        return images * featureShape[0] * featureShape[1] * featureShape[2] * Float.BYTES;
    }

    /** The network up to and including {@code featureVertex}, as its own graph (the head removed). */
    static ComputationGraph baseOnly(ComputationGraph network, String featureVertex, Set<String> keep) {
        TransferLearning.GraphBuilder builder = new TransferLearning.GraphBuilder(network);
        for (String vertex : network.getConfiguration().getVertices().keySet()) {
            if (!keep.contains(vertex)) {
                builder.removeVertexKeepConnections(vertex);
            }
        }
        return builder.setOutputs(featureVertex).build();
    }

    /** The base's output for every image, in inference mode, in bounded batches. */
    static INDArray featurize(ComputationGraph base, INDArray images) {
        int n = (int) images.size(0);
        INDArray features = null;
        for (int from = 0; from < n; from += BATCH) {
            int to = Math.min(n, from + BATCH);
            INDArray out = base.output(false, images.get(NDArrayIndex.interval(from, to)))[0];
            if (features == null) {
                long[] shape = out.shape().clone();
                shape[0] = n;
                features = Nd4j.create(DataType.FLOAT, shape);
            }
            features.get(NDArrayIndex.interval(from, to)).assign(out);
        }
        return features;
    }

    /** A graph of just the head, taking features of {@code featureType}, starting from the network's head weights. */
    static ComputationGraph head(ComputationGraph network, InputType.InputTypeConvolutional featureType,
                                 double learningRate, long seed) {
        ComputationGraphConfiguration conf = network.getConfiguration();
        ComputationGraphConfiguration.GraphBuilder builder = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(new Adam(learningRate))
                .graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(featureType);
        var dense = (org.deeplearning4j.nn.conf.graph.LayerVertex) conf.getVertices().get(BaseSurgery.HEAD_DENSE);
        var output = (org.deeplearning4j.nn.conf.graph.LayerVertex) conf.getVertices().get(BaseSurgery.HEAD_OUTPUT);
        builder.addLayer(BaseSurgery.HEAD_DENSE, dense.getLayerConf().getLayer().clone(), dense.getPreProcessor().clone(), INPUT)
                .addLayer(BaseSurgery.HEAD_OUTPUT, output.getLayerConf().getLayer().clone(), BaseSurgery.HEAD_DENSE)
                .setOutputs(BaseSurgery.HEAD_OUTPUT);
        ComputationGraph head = new ComputationGraph(builder.build());
        head.init();
        copyHead(network, head);
        return head;
    }

    /** Copies the head's weights from one graph to the other (both have the head layers by name). */
    static void copyHead(ComputationGraph from, ComputationGraph to) {
        for (String layer : new String[]{BaseSurgery.HEAD_DENSE, BaseSurgery.HEAD_OUTPUT}) {
            to.getLayer(layer).setParams(from.getLayer(layer).params().dup());
        }
    }
}
