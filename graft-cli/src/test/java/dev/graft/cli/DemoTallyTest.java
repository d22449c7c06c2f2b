package dev.graft.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DemoTallyTest {
    @Test
    void theClassPriceErrorPricesEachImageAtItsPredictedClassMean() {
        Demo.Tally tally = new Demo.Tally(true, true);
        // right class (mean 110): only the noise is left; wrong class: the whole gap to the coat's 300
        tally.add("shirt", "shirt", 104, 130);
        tally.add("shirt", "coat", 112, 150);
        Demo.Scores scores = tally.scores();

        assertThat(scores.accuracy()).isEqualTo(0.5);
        assertThat(scores.meanAbsoluteError()).isCloseTo((26 + 38) / 2.0, within(1e-9));
        assertThat(scores.classPriceError()).isCloseTo((6 + 188) / 2.0, within(1e-9));
    }

    @Test
    void withoutARegressorThereIsNoPriceError() {
        Demo.Tally tally = new Demo.Tally(true, false);
        tally.add("bag", "bag", 250, Double.NaN);
        assertThat(tally.scores().accuracy()).isEqualTo(1.0);
        assertThat(tally.scores().meanAbsoluteError()).isNaN();
        assertThat(tally.scores().classPriceError()).isNaN();
    }
}
