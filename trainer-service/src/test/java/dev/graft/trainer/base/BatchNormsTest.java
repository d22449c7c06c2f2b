package dev.graft.trainer.base;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.assertj.core.api.Assertions.assertThat;

class BatchNormsTest {

    @Test
    void calibrationGivesARandomResNetUnitScaleActivationsWhereStoredDefaultsBlowUp() {
        ComputationGraph resnet = Architecture.RESNET50.randomGraph(70, 70, 1);
        assertThat(BatchNorms.names(resnet)).hasSize(53).startsWith("stem-batch1");
        Nd4j.getRandom().setSeed(1);
        INDArray images = Nd4j.rand(8, 3, 70, 70);

        double before = Math.abs(features(resnet, images).maxNumber().doubleValue());
        BatchNorms.calibrate(resnet, images);
        INDArray after = features(resnet, images);

        assertThat(Double.isFinite(before) && before < 1e6).as("uncalibrated max activation %s", before).isFalse();
        assertThat(after.isInfinite().any() || after.isNaN().any()).isFalse();
        // the last block's input to its relu is normalised, so the output stays near unit scale
        assertThat(after.maxNumber().doubleValue()).isBetween(0.1, 100.0);
    }

    private static INDArray features(ComputationGraph graph, INDArray images) {
        return BatchNorms.forwardTo(graph, images, "res5c_branch").get("res5c_branch");
    }

    @Test
    void theAffineFormComputesWhatBatchNormComputesInInferenceMode() {
        ComputationGraph resnet = Architecture.RESNET50.randomGraph(70, 70, 1);
        Nd4j.getRandom().setSeed(2);
        INDArray images = Nd4j.rand(4, 3, 70, 70);
        BatchNorms.calibrate(resnet, images);
        var norm = resnet.getLayer("bn2a_branch2a");
        norm.paramTable().get("gamma").assign(Nd4j.rand(norm.paramTable().get("gamma").shape()));
        norm.paramTable().get("beta").assign(Nd4j.rand(norm.paramTable().get("beta").shape()));
        var affineConf = new NeuralNetConfiguration.Builder().layer(new DepthwiseConvolution2D.Builder(1, 1)
                .nIn(64).depthMultiplier(1).activation(Activation.IDENTITY).build()).build();
        var affine = affineConf.getLayer().instantiate(affineConf, null, 0,
                Nd4j.create(affineConf.getLayer().initializer().numParams(affineConf)), true, DataType.FLOAT);
        BatchNorms.asAffine(norm, affine);

        INDArray input = BatchNorms.forwardTo(resnet, images, "res2a_branch2a").get("res2a_branch2a");
        INDArray expected = BatchNorms.forwardTo(resnet, images, "bn2a_branch2a").get("bn2a_branch2a");
        INDArray actual = affine.activate(input, false, LayerWorkspaceMgr.noWorkspaces());
        assertThat(actual.sub(expected).amaxNumber().doubleValue()).isLessThan(1e-3);
    }
}
