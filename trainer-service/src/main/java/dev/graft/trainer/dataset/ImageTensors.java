package dev.graft.trainer.dataset;

import dev.graft.imaging.ImageLimits;
import dev.graft.imaging.ImagePreprocessor;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.TargetNormalization;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/** Decodes a dataset into one in-memory tensor, through the same preprocessing the inference service uses. */
public final class ImageTensors {
    private static final int CHUNK = 256;

    private ImageTensors() {
    }

    /**
     * Features [n, 3, h, w], scaled as the base's {@code preprocessing} says, and labels: one-hot [n, classes] for classification, or the normalized
     * target [n, 1] when {@code normalization} is given. An image outside {@code limits}, broken or
     * truncated, fails the load with a message naming its file.
     */
    public static MultiDataSet load(LabeledImages images, InputShape shape, Preprocessing preprocessing,
                                    TargetNormalization normalization, long maxBytes, ImageLimits limits) {
        int n = images.size();
        long bytes = (long) n * InputShape.RGB * shape.height() * shape.width() * Float.BYTES;
        if (bytes > maxBytes) {
            throw new IllegalArgumentException(n + " images at " + shape.height() + "x" + shape.width() + " need "
                    + (bytes >> 20) + " MiB in memory, over graft.trainer.max-dataset-bytes (" + (maxBytes >> 20)
                    + " MiB): use fewer or smaller images");
        }
        INDArray features = Nd4j.create(DataType.FLOAT, n, InputShape.RGB, shape.height(), shape.width());
        for (int start = 0; start < n; start += CHUNK) {
            int end = Math.min(n, start + CHUNK);
            List<BufferedImage> chunk = new ArrayList<>(end - start);
            for (int i = start; i < end; i++) {
                chunk.add(ImagePreprocessor.read(images.files().get(i), limits));
            }
            features.get(NDArrayIndex.interval(start, end)).assign(ImagePreprocessor.toBatch(chunk, shape, preprocessing));
        }
        INDArray labels;
        if (normalization != null) {
            labels = Nd4j.create(DataType.FLOAT, n, 1);
            for (int i = 0; i < n; i++) {
                labels.putScalar(i, 0, normalization.normalize(images.target()[i]));
            }
        } else {
            labels = Nd4j.zeros(DataType.FLOAT, n, images.labels().size());
            for (int i = 0; i < n; i++) {
                labels.putScalar(i, images.classIndex()[i], 1f);
            }
        }
        return new MultiDataSet(features, labels);
    }
}
