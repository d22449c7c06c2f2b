package dev.graft.imaging;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.Preprocessing;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.awt.image.BufferedImage;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes from a client or a dataset, decoded as both services decode them: either an image within the
 * limits that becomes a tensor, or an {@link InvalidImageException} (a 4xx, a failed event). Any other
 * exception or error, a hang or an allocation past the heap is a finding.
 */
class ImageDecodingFuzzTest {
    private static final ImageLimits LIMITS = new ImageLimits(512, 65_536L, ImageLimits.parseFormats(ImageLimits.DEFAULT_FORMATS));

    @FuzzTest(maxDuration = "60s")
    void bytesAreAnImageWithinTheLimitsOrRefusedAsInvalid(byte[] bytes) {
        BufferedImage image;
        try {
            image = ImagePreprocessor.decode(bytes, LIMITS);
        } catch (InvalidImageException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return;
        }
        assertThat(image.getWidth()).isBetween(1, LIMITS.maxSide());
        assertThat(image.getHeight()).isBetween(1, LIMITS.maxSide());
        assertThat((long) image.getWidth() * image.getHeight()).isLessThanOrEqualTo(LIMITS.maxPixels());
        INDArray batch = ImagePreprocessor.toBatch(image, InputShape.rgb(8, 8), Preprocessing.CAFFE);
        assertThat(batch.shape()).containsExactly(1, 3, 8, 8);
        assertThat(batch.isInfinite().any() || batch.isNaN().any()).isFalse();
        batch.close();
    }
}
