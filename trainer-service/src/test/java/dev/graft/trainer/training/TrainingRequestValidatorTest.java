package dev.graft.trainer.training;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.manifest.Promotion;
import dev.graft.contract.manifest.Task;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainingRequestValidatorTest {

    private static TrainingRequest valid() {
        return new TrainingRequest("r", "cats", Task.CLASSIFICATION, new TrainingRequest.Dataset("t", "v", null, null, null),
                new TrainingRequest.Base("vgg16", "imagenet", 150, 150), null,
                new TrainingRequest.FrozenPhase(5, 1e-3, 20), new TrainingRequest.FineTunePhase(3, 1e-5, null, "block5_conv1"),
                null, null, null, null);
    }

    @Test
    void appliesDefaults() {
        TrainingPlan plan = TrainingRequestValidator.validate(valid());
        assertThat(plan.headUnits()).isEqualTo(256);
        assertThat(plan.dropout()).isEqualTo(0.5);
        assertThat(plan.seed()).isEqualTo(42);
        assertThat(plan.fineTune().batchSize()).as("fine-tune batch defaults to the frozen one").isEqualTo(20);
        assertThat(plan.unfreezeFrom()).isEqualTo("block5_conv1");
    }

    @Test
    void regressionDatasetsDefaultToFileAndTargetColumns() {
        TrainingRequest r = valid();
        TrainingPlan plan = TrainingRequestValidator.validate(new TrainingRequest(r.requestId(), r.model(), Task.REGRESSION,
                new TrainingRequest.Dataset("a.csv", "b.csv", null, null, "price"), r.base(), null, r.frozen(), null, null, null, null, 1L));
        assertThat(plan.dataset().fileColumn()).isEqualTo("file");
        assertThat(plan.dataset().targetColumn()).isEqualTo("price");
        assertThat(plan.fineTune().epochs()).isZero();
    }

    @Test
    void reportsEveryProblemAtOnce() {
        TrainingRequest bad = new TrainingRequest(" ", "Bad/Name", null, null,
                new TrainingRequest.Base("alexnet9", "random", 0, null), new TrainingRequest.Head(0, 1.0),
                new TrainingRequest.FrozenPhase(-1, 0.0, 0), new TrainingRequest.FineTunePhase(2, 1e-4, 8, null),
                new TrainingRequest.Augmentation("mystery", -1.0, null, null, null, null, null), List.of(1), null, null);
        assertThatThrownBy(() -> TrainingRequestValidator.validate(bad))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("requestId is required")
                .hasMessageContaining("invalid model name 'Bad/Name'")
                .hasMessageContaining("task is required")
                .hasMessageContaining("dataset.train is required")
                .hasMessageContaining("unknown architecture 'alexnet9'")
                .hasMessageContaining("base.inputHeight and base.inputWidth are required")
                .hasMessageContaining("head.units")
                .hasMessageContaining("head.dropout")
                .hasMessageContaining("frozen.epochs")
                .hasMessageContaining("frozen.learningRate")
                .hasMessageContaining("frozen.batchSize")
                .hasMessageContaining("fineTune.unfreezeFrom is required")
                .hasMessageContaining("augmentation.preset 'mystery' is unknown")
                .hasMessageContaining("classWeights must be");
    }

    @Test
    void aStoredModelBaseNeedsNoArchitectureOrSize() {
        TrainingRequest r = valid();
        TrainingPlan plan = TrainingRequestValidator.validate(new TrainingRequest(r.requestId(), r.model(), r.task(),
                r.dataset(), new TrainingRequest.Base(null, "model:cats@2", null, null), null, r.frozen(), r.fineTune(), null, null, null, 1L));
        assertThat(plan.base().weights()).isEqualTo("model:cats@2");
    }

    @Test
    void nothingToTrainIsRejected() {
        TrainingRequest r = valid();
        assertThatThrownBy(() -> TrainingRequestValidator.validate(new TrainingRequest(r.requestId(), r.model(), r.task(),
                r.dataset(), r.base(), null, new TrainingRequest.FrozenPhase(0, 1e-3, 8), null, null, null, null, 1L)))
                .hasMessageContaining("nothing to train");
    }

    @Test
    void validationCanBeASplitOfTrainButNotBoth() {
        TrainingRequest r = valid();
        TrainingPlan plan = TrainingRequestValidator.validate(with(r, new TrainingRequest.Dataset("t", null, 0.2, null, null)));
        assertThat(plan.dataset().validationSplit()).isEqualTo(0.2);
        assertThatThrownBy(() -> TrainingRequestValidator.validate(with(r, new TrainingRequest.Dataset("t", "v", 0.2, null, null))))
                .hasMessageContaining("exactly one of validation");
        assertThatThrownBy(() -> TrainingRequestValidator.validate(with(r, new TrainingRequest.Dataset("t", null, 0.9, null, null))))
                .hasMessageContaining("validationSplit must be > 0 and <= 0.5");
    }

    @Test
    void aPreprocessingIdMustBeKnownAndImagenetWeightsKeepTheirOwn() {
        TrainingRequest r = valid();
        assertThatThrownBy(() -> TrainingRequestValidator.validate(new TrainingRequest(r.requestId(), r.model(), r.task(),
                r.dataset(), new TrainingRequest.Base(null, "tfjs:models/mobilenet", 96, 96, "inception"), null, r.frozen(),
                null, null, null, null, 1L)))
                .hasMessageContaining("base.preprocessing: unknown preprocessing 'inception'; valid: unit, caffe, torch, tf, vgg");
        assertThatThrownBy(() -> TrainingRequestValidator.validate(new TrainingRequest(r.requestId(), r.model(), r.task(),
                r.dataset(), new TrainingRequest.Base("resnet50", "imagenet", 96, 96, "unit"), null, r.frozen(),
                null, null, null, null, 1L)))
                .hasMessageContaining("base.preprocessing: resnet50's imagenet weights were trained on 'caffe' inputs");
        TrainingPlan tf = TrainingRequestValidator.validate(new TrainingRequest(r.requestId(), r.model(), r.task(),
                r.dataset(), new TrainingRequest.Base(null, "tfjs:models/mobilenet", 96, 96, "tf"), null, r.frozen(),
                null, null, null, null, 1L));
        assertThat(tf.base().preprocessing()).isEqualTo("tf");
    }

    @Test
    void tooSmallInputsNameTheArchitecturesMinimum() {
        TrainingRequest r = valid();
        assertThatThrownBy(() -> TrainingRequestValidator.validate(new TrainingRequest(r.requestId(), r.model(), r.task(),
                r.dataset(), new TrainingRequest.Base("resnet50", "random", 64, 64), null, r.frozen(), r.fineTune(),
                null, null, null, 1L)))
                .hasMessageContaining("resnet50 needs inputs of at least 70x70 pixels");
    }

    @Test
    void augmentationPresetsCanBeOverriddenAndClassWeightsParsed() {
        TrainingRequest r = valid();
        TrainingPlan plan = TrainingRequestValidator.validate(new TrainingRequest(r.requestId(), r.model(), r.task(),
                r.dataset(), r.base(), null, r.frozen(), r.fineTune(),
                new TrainingRequest.Augmentation("keras-little-data", 10.0, null, null, null, null, false),
                Map.of("cats", 2), new TrainingRequest.EarlyStopping(3), 1L));
        assertThat(plan.augmentation().rotation()).isEqualTo(10.0);
        assertThat(plan.augmentation().widthShift()).isEqualTo(0.2);
        assertThat(plan.augmentation().horizontalFlip()).isFalse();
        assertThat(plan.classWeights()).containsEntry("cats", 2.0);
        assertThat(plan.balancedClasses()).isFalse();
        assertThat(plan.patience()).isEqualTo(3);
    }

    private static TrainingRequest with(TrainingRequest r, TrainingRequest.Dataset dataset) {
        return new TrainingRequest(r.requestId(), r.model(), r.task(), dataset, r.base(), r.head(), r.frozen(),
                r.fineTune(), r.augmentation(), r.classWeights(), r.earlyStopping(), r.seed());
    }

    @Test
    void aPromotionRuleMustNameAMetricOfTheTaskAndIsKeptForTheManifest() {
        TrainingRequest r = valid();
        TrainingRequest gated = new TrainingRequest(r.requestId(), r.model(), r.task(), r.dataset(), r.base(), null,
                r.frozen(), r.fineTune(), null, null, null, null, new Promotion("accuracy", 0.9));
        assertThat(TrainingRequestValidator.validate(gated).promotion()).isEqualTo(new Promotion("accuracy", 0.9));

        TrainingRequest wrongMetric = new TrainingRequest(r.requestId(), r.model(), r.task(), r.dataset(), r.base(), null,
                r.frozen(), r.fineTune(), null, null, null, null, new Promotion("mae", 3.0));
        assertThatThrownBy(() -> TrainingRequestValidator.validate(wrongMetric))
                .hasMessageContaining("promotion.metric must be one of [accuracy, loss]");
    }

    @Test
    void aScheduleIsConstantUnlessCosineIsAskedForAndAnUnknownOneIsNamed() {
        TrainingRequest r = valid();
        assertThat(TrainingRequestValidator.validate(r).frozen().schedule()).isEqualTo(LearningRateSchedule.CONSTANT);

        TrainingRequest cosine = new TrainingRequest(r.requestId(), r.model(), r.task(), r.dataset(), r.base(), null,
                new TrainingRequest.FrozenPhase(4, 0.01, 8, "cosine"),
                new TrainingRequest.FineTunePhase(2, 1e-4, 8, "block5_conv1", "cosine"), null, null, null, null);
        TrainingPlan plan = TrainingRequestValidator.validate(cosine);
        assertThat(plan.frozen().schedule()).isEqualTo(LearningRateSchedule.COSINE);
        assertThat(plan.fineTune().schedule()).isEqualTo(LearningRateSchedule.COSINE);

        TrainingRequest unknown = new TrainingRequest(r.requestId(), r.model(), r.task(), r.dataset(), r.base(), null,
                new TrainingRequest.FrozenPhase(4, 0.01, 8, "linear"),
                new TrainingRequest.FineTunePhase(2, 1e-4, 8, "block5_conv1", "step"), null, null, null, null);
        assertThatThrownBy(() -> TrainingRequestValidator.validate(unknown))
                .hasMessageContaining("frozen.schedule must be one of [constant, cosine], not 'linear'")
                .hasMessageContaining("fineTune.schedule must be one of [constant, cosine], not 'step'");
    }

    @Test
    void aRegressionLossIsMseUnlessMaeIsAskedForAndClassificationTakesNone() {
        TrainingRequest r = valid();
        assertThat(TrainingRequestValidator.validate(r).loss()).isEqualTo(RegressionLoss.MSE);
        TrainingRequest regression = new TrainingRequest(r.requestId(), r.model(), Task.REGRESSION, r.dataset(), r.base(),
                new TrainingRequest.Head(64, 0.0, "mae"), r.frozen(), r.fineTune(), null, null, null, null);
        assertThat(TrainingRequestValidator.validate(regression).loss()).isEqualTo(RegressionLoss.MAE);

        TrainingRequest unknown = new TrainingRequest(r.requestId(), r.model(), Task.REGRESSION, r.dataset(), r.base(),
                new TrainingRequest.Head(64, 0.0, "huber"), r.frozen(), r.fineTune(), null, null, null, null);
        assertThatThrownBy(() -> TrainingRequestValidator.validate(unknown))
                .hasMessageContaining("head.loss must be one of [mse, mae], not 'huber'");
        TrainingRequest classification = new TrainingRequest(r.requestId(), r.model(), Task.CLASSIFICATION, r.dataset(),
                r.base(), new TrainingRequest.Head(64, 0.0, "mae"), r.frozen(), r.fineTune(), null, null, null, null);
        assertThatThrownBy(() -> TrainingRequestValidator.validate(classification))
                .hasMessageContaining("head.loss applies to regression only");
    }
}
