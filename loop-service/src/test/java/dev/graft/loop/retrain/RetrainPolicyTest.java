package dev.graft.loop.retrain;

import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.manifest.Task;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetrainPolicyTest {
    private static final TrainingRequest TEMPLATE = new TrainingRequest("first", "shoes", Task.CLASSIFICATION,
            new TrainingRequest.Dataset("shoes/train", "shoes/validation", null, null, null),
            new TrainingRequest.Base("vgg16", "imagenet", 48, 48), new TrainingRequest.Head(128, 0.3),
            new TrainingRequest.FrozenPhase(2, 0.001, 16), null, null, "balanced", null, 9L);

    @Test
    void aRetrainingIsTheTemplateWithItsIdTheFeedbackCsvAndWhenAskedTheServingVersionAsBase() {
        TrainingRequest fromRequest = new RetrainPolicy("shoes", TEMPLATE, 10, null, null, 20, false)
                .request("shoes-feedback-3", "captured/shoes/feedback-3.csv", 4);
        assertThat(fromRequest).isEqualTo(new TrainingRequest("shoes-feedback-3", "shoes", Task.CLASSIFICATION,
                new TrainingRequest.Dataset("shoes/train", "shoes/validation", null, null, null, "captured/shoes/feedback-3.csv"),
                TEMPLATE.base(), TEMPLATE.head(), TEMPLATE.frozen(), null, null, "balanced", null, 9L));

        TrainingRequest fromServing = new RetrainPolicy("shoes", TEMPLATE, 10, null, null, 20, true)
                .request("shoes-feedback-3", "captured/shoes/feedback-3.csv", 4);
        assertThat(fromServing.base()).isEqualTo(new TrainingRequest.Base("vgg16", "model:shoes@4", 48, 48));
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
    }
}
