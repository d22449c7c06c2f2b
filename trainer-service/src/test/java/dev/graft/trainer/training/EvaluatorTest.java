package dev.graft.trainer.training;

import dev.graft.contract.manifest.TargetNormalization;
import dev.graft.contract.manifest.Task;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class EvaluatorTest {

    @Test
    void classificationScoresCrossEntropyAccuracyAndTheConfusionMatrix() {
        var predictions = Nd4j.createFromArray(new float[][]{{0.9f, 0.1f}, {0.2f, 0.8f}, {0.6f, 0.4f}});
        var labels = Nd4j.createFromArray(new float[][]{{1, 0}, {0, 1}, {0, 1}});
        Evaluator.Scores scores = new Evaluator(Task.CLASSIFICATION, RegressionLoss.MSE, null).score(predictions, labels);
        assertThat(scores.metric()).isCloseTo(2.0 / 3, within(1e-9));
        assertThat(scores.loss()).isCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.4)) / 3, within(1e-5));
        assertThat(Evaluator.confusion(predictions, labels, 2)).isEqualTo(new int[][]{{1, 0}, {1, 1}});
    }

    @Test
    void regressionErrorsAreInRealUnits() {
        Evaluator evaluator = new Evaluator(Task.REGRESSION, RegressionLoss.MSE, new TargetNormalization(100, 20));
        // normalised predictions 0.5 and -1 against truths 0 and 0: real errors 10 and 20
        var predictions = Nd4j.createFromArray(new float[][]{{0.5f}, {-1f}});
        var labels = Nd4j.createFromArray(new float[][]{{0f}, {0f}});
        Evaluator.Scores scores = evaluator.score(predictions, labels);
        assertThat(scores.metric()).isCloseTo(15.0, within(1e-5));
        assertThat(scores.rmse()).isCloseTo(Math.sqrt((100 + 400) / 2.0), within(1e-4));
        double[][] real = evaluator.realValues(predictions, labels);
        assertThat(real[0]).containsExactly(new double[]{110, 80}, within(1e-4));
        assertThat(real[1]).containsExactly(100, 100);
    }

    @Test
    void theRegressionLossIsTheOneTheHeadMinimisesOnNormalisedTargets() {
        // normalised errors 0.5 and -1
        var predictions = Nd4j.createFromArray(new float[][]{{0.5f}, {-1f}});
        var labels = Nd4j.createFromArray(new float[][]{{0f}, {0f}});
        TargetNormalization normalization = new TargetNormalization(100, 20);
        assertThat(new Evaluator(Task.REGRESSION, RegressionLoss.MSE, normalization).score(predictions, labels).loss())
                .isCloseTo((0.25 + 1) / 2, within(1e-6));
        Evaluator.Scores mae = new Evaluator(Task.REGRESSION, RegressionLoss.MAE, normalization).score(predictions, labels);
        assertThat(mae.loss()).isCloseTo((0.5 + 1) / 2, within(1e-6));
        assertThat(mae.metric()).isCloseTo(15.0, within(1e-5));
        assertThat(mae.rmse()).isCloseTo(Math.sqrt((100 + 400) / 2.0), within(1e-4));
    }
}
