package dev.graft.trainer.dataset;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LabeledImagesTest {

    private static LabeledImages images(int... perClass) {
        List<Path> files = new ArrayList<>();
        List<Integer> classes = new ArrayList<>();
        for (int label = 0; label < perClass.length; label++) {
            for (int i = 0; i < perClass[label]; i++) {
                files.add(Path.of("c" + label + "-" + i + ".png"));
                classes.add(label);
            }
        }
        return new LabeledImages(files, List.of("a", "b"), classes.stream().mapToInt(Integer::intValue).toArray(), null);
    }

    @Test
    void aSplitHoldsOutTheSameShareOfEveryClassAndIsRepeatableWithTheSeed() {
        List<LabeledImages> split = images(40, 10).split(0.2, 7);
        assertThat(split.get(1).classCounts()).containsExactly(8, 2);
        assertThat(split.get(0).classCounts()).containsExactly(32, 8);
        assertThat(split.get(0).files()).doesNotContainAnyElementsOf(split.get(1).files());
        assertThat(images(40, 10).split(0.2, 7).get(1).files()).isEqualTo(split.get(1).files());
        assertThat(images(40, 10).split(0.2, 8).get(1).files()).isNotEqualTo(split.get(1).files());
    }

    @Test
    void regressionSplitsOverAllRowsKeepingTargetsWithTheirFiles() {
        List<Path> files = IntStream.range(0, 10).mapToObj(i -> Path.of(i + ".png")).toList();
        double[] targets = IntStream.range(0, 10).mapToDouble(i -> i * 10).toArray();
        List<LabeledImages> split = new LabeledImages(files, List.of(), null, targets).split(0.3, 1);
        assertThat(split.get(1).size()).isEqualTo(3);
        LabeledImages held = split.get(1);
        for (int i = 0; i < held.size(); i++) {
            assertThat(held.target()[i]).isEqualTo(Double.parseDouble(held.files().get(i).toString().replace(".png", "")) * 10);
        }
    }

    @Test
    void aSplitThatEmptiesAClassIsRefused() {
        assertThatThrownBy(() -> images(10, 1).split(0.2, 1)).hasMessageContaining("leaves no image on one side");
    }
}
