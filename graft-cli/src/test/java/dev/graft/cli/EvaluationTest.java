package dev.graft.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The comparison's arithmetic: the scratch network's epochs for the transfer network's time, and the table. */
class EvaluationTest {
    @Test
    void theScratchNetworkGetsAtLeastTheTransferNetworksTime() {
        assertThat(Evaluation.epochsForTime(12, 35, 100)).isEqualTo(35);
        assertThat(Evaluation.epochsForTime(12, 30, 90)).isEqualTo(36);
        assertThat(Evaluation.epochsForTime(12, 95, 30)).isNull();
        assertThat(Evaluation.epochsForTime(12, 1, 1000)).isEqualTo(Evaluation.MAX_SCRATCH_EPOCHS);
    }

    @Test
    void theGainIsAgainstTheBetterScratchNetwork() {
        Evaluation.Result transfer = new Evaluation.Result(0.70, 12, 60);
        assertThat(new Evaluation.Comparison(10, new Evaluation.Result(0.40, 12, 20), new Evaluation.Result(0.50, 36, 61),
                transfer).gain()).isCloseTo(20.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(new Evaluation.Comparison(10, new Evaluation.Result(0.55, 12, 20), new Evaluation.Result(0.50, 36, 61),
                transfer).gain()).isCloseTo(15.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(new Evaluation.Comparison(300, new Evaluation.Result(0.85, 12, 90), null, transfer).gain())
                .isCloseTo(-15.0, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void theTableHasARowPerImageCountWithEveryTime() {
        String table = Evaluation.table(List.of(
                new Evaluation.Comparison(10, new Evaluation.Result(0.4, 12, 20), new Evaluation.Result(0.5, 36, 61),
                        new Evaluation.Result(0.7, 12, 60)),
                new Evaluation.Comparison(300, new Evaluation.Result(0.85, 12, 90), null, new Evaluation.Result(0.8, 12, 70))),
                300, 12, new Evaluation.Transfer(Evaluation.IMAGENET, 72));
        assertThat(table.lines()).hasSize(4);
        assertThat(table).contains("3000 test images").contains("ResNet50 ImageNet, 72 px");
        assertThat(table.lines().toList().get(2)).contains("10", "40.0%", "20 s", "50.0%", "61 s (36 epochs)", "70.0%", "60 s",
                "+20.0 points");
        assertThat(table.lines().toList().get(3)).contains("300", "85.0%", "(took longer already)", "80.0%", "-5.0 points");
    }
}
