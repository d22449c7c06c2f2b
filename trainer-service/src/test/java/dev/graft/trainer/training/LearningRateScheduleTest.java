package dev.graft.trainer.training;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LearningRateScheduleTest {
    @Test
    void constantKeepsTheRate() {
        assertThat(LearningRateSchedule.CONSTANT.rate(1e-3, 13, 13)).isEqualTo(1e-3);
    }

    @Test
    void cosineStartsAtTheRateHalvesMidwayAndEndsNearZeroWithoutReachingIt() {
        LearningRateSchedule cosine = LearningRateSchedule.COSINE;
        assertThat(cosine.rate(1e-3, 1, 13)).isEqualTo(1e-3);
        assertThat(cosine.rate(1e-3, 3, 4)).isCloseTo(0.5e-3, within(1e-12));
        double last = cosine.rate(1e-3, 13, 13);
        assertThat(last).isPositive().isLessThan(0.02e-3);
        for (int epoch = 2; epoch <= 13; epoch++) {
            assertThat(cosine.rate(1e-3, epoch, 13)).isLessThan(cosine.rate(1e-3, epoch - 1, 13));
        }
    }

    @Test
    void namesAreTheWireNames() {
        assertThat(LearningRateSchedule.NAMES).containsExactly("constant", "cosine");
        assertThat(LearningRateSchedule.parse(null)).contains(LearningRateSchedule.CONSTANT);
        assertThat(LearningRateSchedule.parse("cosine")).contains(LearningRateSchedule.COSINE);
        assertThat(LearningRateSchedule.parse("Cosine")).isEmpty();
    }
}
