package dev.graft.trainer.base;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The batch-norm layers of a base. A frozen base runs them in inference mode (the Keras rule), so
 * they normalise with their stored statistics; a randomly initialised base stores mean 0 and
 * variance 1, which lets activations grow through fifty layers until the loss is NaN. Calibrating
 * gives such a base the statistics of real inputs, as pretrained weights would.
 */
public final class BatchNorms {
    private static final double EPSILON = 1e-5;

    private BatchNorms() {
    }

    /** Names of the batch-norm vertices of {@code graph}, in network order. */
    public static List<String> names(ComputationGraph graph) {
        List<String> names = new ArrayList<>();
        for (int index : graph.topologicalSortOrder()) {
            GraphVertex vertex = graph.getVertices()[index];
            var conf = graph.getConfiguration().getVertices().get(vertex.getVertexName());
            if (conf instanceof LayerVertex layer && layer.getLayerConf().getLayer() instanceof BatchNormalization) {
                names.add(vertex.getVertexName());
            }
        }
        return names;
    }

    /**
     * Sets each batch-norm layer's mean and variance, in network order, to the per-channel statistics of
     * its input on {@code sample} (earlier layers already calibrated), and gamma 1, beta 0: every
     * layer then passes on unit-scale activations.
     */
    public static void calibrate(ComputationGraph graph, INDArray sample) {
        for (String name : names(graph)) {
            String input = graph.getConfiguration().getVertexInputs().get(name).get(0);
            INDArray activations = forwardTo(graph, sample, name).get(input);
            if (activations == null) {
                throw new IllegalStateException("no activations of " + input + " to calibrate " + name);
            }
            int[] reduce = activations.rank() == 4 ? new int[]{0, 2, 3} : new int[]{0};
            INDArray mean = activations.mean(reduce);
            INDArray variance = activations.var(false, reduce);
            var layer = graph.getLayer(name);
            set(layer, BatchNormalizationParamInitializer.GLOBAL_MEAN, mean);
            set(layer, BatchNormalizationParamInitializer.GLOBAL_VAR, variance);
            set(layer, BatchNormalizationParamInitializer.GLOBAL_LOG_STD,
                    Transforms.log(Transforms.sqrt(variance.add(EPSILON)), 10, false));
            set(layer, BatchNormalizationParamInitializer.GAMMA, mean.like().assign(1));
            set(layer, BatchNormalizationParamInitializer.BETA, mean.like().assign(0));
        }
    }

    /**
     * Writes into {@code affine} (a 1x1 depthwise convolution with bias) what batch-norm {@code norm}
     * computes in inference mode: x * gamma / std + (beta - mean * gamma / std), std = sqrt(var + eps).
     */
    public static void asAffine(Layer norm, Layer affine) {
        BatchNormalization conf = (BatchNormalization) norm.conf().getLayer();
        var params = norm.paramTable();
        INDArray mean = params.get(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(-1);
        INDArray log10Std = params.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
        INDArray variance = log10Std != null // variance = (10^log10Std)^2
                ? Transforms.pow(Nd4j.valueArrayOf(new long[]{mean.length()}, 10.0, mean.dataType()), log10Std.reshape(-1).mul(2), false)
                : params.get(BatchNormalizationParamInitializer.GLOBAL_VAR).reshape(-1);
        INDArray gamma = conf.isLockGammaBeta() ? mean.like().assign(conf.getGamma())
                : params.get(BatchNormalizationParamInitializer.GAMMA).reshape(-1);
        INDArray beta = conf.isLockGammaBeta() ? mean.like().assign(conf.getBeta())
                : params.get(BatchNormalizationParamInitializer.BETA).reshape(-1);
        INDArray scale = gamma.div(Transforms.sqrt(variance.add(conf.getEps()), true));
        set(affine, "W", scale);
        set(affine, "b", beta.sub(mean.mul(scale)));
    }

    /** The epsilon of the batch norms {@link #fromAffine} writes. */
    private static final double AFFINE_EPS = 1e-3;

    /** A batch norm of {@code channels} channels, named {@code name}, for {@link #fromAffine} to fill. */
    public static BatchNormalization forAffine(String name, long channels) {
        return new BatchNormalization.Builder().nIn(channels).nOut(channels).eps(AFFINE_EPS).useLogStd(false)
                .name(name).build();
    }

    /**
     * Writes into batch-norm {@code norm} the per-channel map {@code affine} (what {@link #asAffine} wrote)
     * computes, so a fine-tuned network is stored with plain batch norms again: gamma and beta are its
     * scale and shift, the mean 0 and the variance 1 - eps, so that std = sqrt(var + eps) = 1.
     */
    public static void fromAffine(Layer affine, Layer norm) {
        norm.getParam(BatchNormalizationParamInitializer.GAMMA).assign(affine.paramTable().get("W").reshape(1, -1));
        norm.getParam(BatchNormalizationParamInitializer.BETA).assign(affine.paramTable().get("b").reshape(1, -1));
        norm.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).assign(0);
        norm.getParam(BatchNormalizationParamInitializer.GLOBAL_VAR).assign(1 - AFFINE_EPS);
    }

    /** Inference-mode activations of the layers up to (at least) {@code layer}, by layer name. */
    static Map<String, INDArray> forwardTo(ComputationGraph graph, INDArray input, String layer) {
        // DL4J M2.1's feedForward(input, i, train) walks the topological order up to the position given by
        // the vertex index of getLayers()[i]: pick the layer whose vertex index first reaches our position
        int[] order = graph.topologicalSortOrder();
        int target = graph.getVertex(layer).getVertexIndex();
        int position = 0;
        while (order[position] != target) {
            position++;
        }
        Layer[] layers = graph.getLayers();
        int till = -1;
        for (int i = 0; i < layers.length; i++) {
            int index = layers[i].getIndex();
            if (index >= position && (till < 0 || index < layers[till].getIndex())) {
                till = i;
            }
        }
        return graph.feedForward(new INDArray[]{input}, till, false);
    }

    /** Assigns in place (params are views of the network's one parameter vector); absent keys are skipped. */
    private static void set(Layer layer, String key, INDArray value) {
        INDArray param = layer.paramTable().get(key);
        if (param != null) {
            param.assign(value.reshape(param.shape()));
        }
    }
}
