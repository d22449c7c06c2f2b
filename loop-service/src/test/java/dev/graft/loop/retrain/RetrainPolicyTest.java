package dev.graft.loop.retrain;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.manifest.Promotion;
import dev.graft.contract.manifest.Task;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetrainPolicyTest {
    /** Every field set, so that a retraining that dropped one would show. */
    private static final TrainingRequest TEMPLATE = new TrainingRequest("first", "shoes", Task.CLASSIFICATION,
            new TrainingRequest.Dataset("shoes/train", "shoes/validation", 0.2, "file", "target"),
            new TrainingRequest.Base("vgg16", "imagenet", 48, 48, "caffe"), new TrainingRequest.Head(128, 0.3, "mse"),
            new TrainingRequest.FrozenPhase(2, 0.001, 16, "cosine"),
            new TrainingRequest.FineTunePhase(1, 1e-4, 16, "block5_conv1", "constant"),
            new TrainingRequest.Augmentation("flip", 5.0, 0.1, 0.1, 2.0, 0.1, true), "balanced",
            new TrainingRequest.EarlyStopping(2), 9L, new Promotion("accuracy", 0.8));

    @Test
    void aRetrainingIsTheTemplateWithItsIdTheFeedbackCsvAndWhenAskedTheServingVersionAsBase() {
        TrainingRequest fromRequest = new RetrainPolicy("shoes", TEMPLATE, 10, null, null, 20, false)
                .request("shoes-feedback-3", "captured/shoes/feedback-3.csv", 4);
        assertThat(fromRequest).isEqualTo(new TrainingRequest("shoes-feedback-3", "shoes", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("shoes/train", "shoes/validation", 0.2, "file", "target", "captured/shoes/feedback-3.csv"),
                TEMPLATE.base(), TEMPLATE.head(), TEMPLATE.frozen(), TEMPLATE.fineTune(), TEMPLATE.augmentation(), "balanced",
                TEMPLATE.earlyStopping(), 9L, TEMPLATE.promotion()));

        TrainingRequest fromServing = new RetrainPolicy("shoes", TEMPLATE, 10, null, null, 20, true)
                .request("shoes-feedback-3", "captured/shoes/feedback-3.csv", 4);
        assertThat(fromServing.base()).isEqualTo(new TrainingRequest.Base("vgg16", "model:shoes@4", 48, 48, "caffe"));
    }

    @Test
    void aPolicyThatCannotWorkIsRefusedWithItsRule() {
        assertThatThrownBy(() -> new RetrainPolicy("shoes", TEMPLATE, null, null, null, 20, false))
                .hasMessageContaining("needs after-examples, below-accuracy or above-mae");
        assertThatThrownBy(() -> new RetrainPolicy("boots", TEMPLATE, 10, null, null, 20, false))
                .hasMessageContaining("trains shoes");
        assertThatThrownBy(() -> new RetrainPolicy("shoes", TEMPLATE, null, null, 0.5, 20, false))
                .hasMessageContaining("above-mae for a regressor's");
        assertThatThrownBy(() -> new RetrainPolicy("shoes", TEMPLATE, 0, null, null, 20, false))
                .hasMessageContaining("at least 1");
        TrainingRequest noTask = new TrainingRequest(null, null, null, TEMPLATE.dataset(), TEMPLATE.base(), null, null, null,
                null, null, null, null);
        assertThatThrownBy(() -> new RetrainPolicy("shoes", noTask, 10, null, null, 20, false))
                .hasMessageContaining("names no task");
    }
}
