package dev.graft.trainer.training;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A training request record's value as anyone who can write to the topic may send it: either a plan
 * whose names are safe to use as file names, keys and log text, or an IllegalArgumentException with the
 * reason (a FAILED event and a dead letter). Anything else would leave the record to be redelivered.
 */
class TrainingRequestFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void aRecordIsASafePlanOrRefusedWithAReason(byte[] bytes) {
        TrainingPlan plan;
        try {
            plan = TrainingRequestValidator.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return;
        }
        assertThat(plan.requestId()).isNotBlank().hasSizeLessThanOrEqualTo(TrainingRequestValidator.MAX_REQUEST_ID);
        assertThat(plan.requestId().chars().noneMatch(Character::isISOControl)).isTrue();
        assertThat(plan.model()).matches("[a-z0-9][a-z0-9._-]{0,63}");
        assertThat(plan.task()).isNotNull();
        int fineTuneEpochs = plan.fineTune() == null ? 0 : plan.fineTune().epochs();
        assertThat(plan.frozen().epochs()).isNotNegative();
        assertThat(plan.frozen().epochs() + fineTuneEpochs).as("epochs to train").isPositive();
    }
}
