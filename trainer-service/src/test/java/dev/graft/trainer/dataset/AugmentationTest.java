package dev.graft.trainer.dataset;

import dev.graft.contract.events.TrainingRequest;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AugmentationTest {

    /** {@code n} RGB images of a left-to-right ramp, values 0..1. */
    private static INDArray ramp(int n, int size) {
        INDArray images = Nd4j.create(n, 3, size, size);
        for (int x = 0; x < size; x++) {
            images.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(x))
                    .assign((double) x / (size - 1));
        }
        return images;
    }

    @Test
    void noTransformLeavesImagesAsTheyAre() {
        INDArray images = ramp(2, 8);
        INDArray same = new Augmentation(0, 0, 0, 0, 0, false).apply(images, new Random(1));
        assertThat(same.sub(images).amaxNumber().doubleValue()).isLessThan(1e-6);
    }

    @Test
    void aFlipMirrorsTheRampAndLeavesTheInputUntouched() {
        INDArray images = ramp(64, 8);
        INDArray before = images.dup();
        INDArray out = new Augmentation(0, 0, 0, 0, 0, true).apply(images, new Random(1));
        assertThat(images).isEqualTo(before);
        int flipped = 0;
        for (int i = 0; i < 64; i++) {
            double left = out.getDouble(i, 0, 3, 0);
            if (left == 1.0) {
                flipped++;
            } else {
                assertThat(left).isEqualTo(0.0);
            }
        }
        assertThat(flipped).as("about half are flipped").isBetween(16, 48);
    }

    @Test
    void shiftsMoveContentAndFillFromTheNearestEdge() {
        INDArray images = ramp(1, 16);
        // a random shift of up to a quarter of the width
        INDArray out = new Augmentation(0, 0.25, 0, 0, 0, false).apply(images, new Random(3));
        assertThat(out.sub(images).amaxNumber().doubleValue()).isGreaterThan(0.01);
        assertThat(out.minNumber().doubleValue()).isGreaterThanOrEqualTo(0.0);
        assertThat(out.maxNumber().doubleValue()).isLessThanOrEqualTo(1.0);
        // nearest fill: the ramp stays monotone along each row
        for (int x = 1; x < 16; x++) {
            assertThat(out.getDouble(0, 1, 5, x)).isGreaterThanOrEqualTo(out.getDouble(0, 1, 5, x - 1) - 1e-6);
        }
    }

    @Test
    void presetsAndLimitsComeFromTheRequest() {
        Augmentation little = Augmentation.from(new TrainingRequest.Augmentation("keras-little-data", null, null, null,
                null, null, null));
        assertThat(little).isEqualTo(new Augmentation(40, 0.2, 0.2, 0.2, 0.2, true));
        assertThat(Augmentation.from(null)).isNull();
        assertThatThrownBy(() -> Augmentation.from(new TrainingRequest.Augmentation(null, 400.0, null, null, null, 2.0, null)))
                .hasMessageContaining("augmentation.rotation must be 0..180")
                .hasMessageContaining("augmentation.zoom must be 0..0.9");
    }
}
