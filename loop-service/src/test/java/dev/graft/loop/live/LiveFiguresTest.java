package dev.graft.loop.live;

import dev.graft.contract.events.LabelledExample;
import dev.graft.contract.manifest.Task;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LiveFiguresTest {
    private static LabelledExample classified(String model, int version, String predicted, String label) {
        return new LabelledExample("id", model, version, Task.CLASSIFICATION, predicted, null, label, null, null, null,
                Instant.EPOCH, Instant.EPOCH);
    }

    private static LabelledExample priced(int version, double predicted, double value) {
        return new LabelledExample("id", "price", version, Task.REGRESSION, null, predicted, null, value, null, null,
                Instant.EPOCH, Instant.EPOCH);
    }

    @Test
    void accuracyAndConfusionPerClassifierVersionAndMeanAbsoluteErrorPerRegressorVersion() {
        LiveFigures figures = LiveFigures.of(List.of(classified("shoes", 1, "boot", "boot"), classified("shoes", 1, "boot", "sandal"),
                classified("shoes", 1, "sandal", "sandal"), classified("shoes", 1, "sandal", "sandal"), classified("shoes", 2, "boot", "sandal"),
                priced(3, 10, 12), priced(3, 20, 15)));
        LiveFigures.Figures shoes1 = figures.versions().get(new LiveFigures.Version("shoes", 1));
        assertThat(shoes1.examples()).isEqualTo(4);
        assertThat(shoes1.accuracy()).isEqualTo(0.75);
        assertThat(shoes1.confusion()).isEqualTo(Map.of("boot", Map.of("boot", 1L), "sandal", Map.of("boot", 1L, "sandal", 2L)));
        assertThat(figures.versions().get(new LiveFigures.Version("shoes", 2)).accuracy()).isZero();
        LiveFigures.Figures price = figures.versions().get(new LiveFigures.Version("price", 3));
        assertThat(price.mae()).isCloseTo(3.5, within(1e-12));
        assertThat(price.accuracy()).isNull();
    }

    @Test
    void thePartsOfTwoTasksAddUpToTheFiguresOfAllTheirExamples() {
        LiveFigures one = LiveFigures.of(List.of(classified("shoes", 1, "boot", "boot"), priced(3, 10, 12)));
        LiveFigures other = LiveFigures.of(List.of(classified("shoes", 1, "boot", "sandal"), priced(3, 20, 15)));
        LiveFigures both = one.plus(other);
        LiveFigures.Figures shoes = both.versions().get(new LiveFigures.Version("shoes", 1));
        assertThat(shoes.examples()).isEqualTo(2);
        assertThat(shoes.accuracy()).isEqualTo(0.5);
        assertThat(shoes.confusion()).isEqualTo(Map.of("boot", Map.of("boot", 1L), "sandal", Map.of("boot", 1L)));
        assertThat(both.versions().get(new LiveFigures.Version("price", 3)).mae()).isCloseTo(3.5, within(1e-12));
    }

    @Test
    void anExampleThatDoesNotFitItsTaskIsLeftOut() {
        LabelledExample noLabel = new LabelledExample("id", "shoes", 1, Task.CLASSIFICATION, "boot", null, null, null, null, null,
                Instant.EPOCH, Instant.EPOCH);
        assertThat(LiveFigures.of(List.of(noLabel, classified("shoes", 1, "boot", "boot"))).versions()
                .get(new LiveFigures.Version("shoes", 1)).examples()).isEqualTo(1);
    }
}
