package dev.graft.bench.serving;

import dev.graft.imaging.ImagePreprocessor;
import dev.graft.contract.manifest.Preprocessing;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Batches of preprocessed images through output() in a tight loop: what no server can beat. What the loop
 * reached, and the CPU it used per image (this process's, all threads).
 */
record InProcessLimit(double perSecond, double cpuMsPerImage) {
    /** After 2 s of warm-up, {@code seconds} of passes on the first {@code batchSize} of {@code images}. */
    static InProcessLimit measure(ComputationGraph network, List<byte[]> images, int batchSize, int seconds) {
        List<BufferedImage> decoded = images.subList(0, batchSize).stream().map(ImagePreprocessor::decode).toList();
        INDArray batch = ImagePreprocessor.toBatch(decoded, DemoClassifier.SHAPE, Preprocessing.UNIT);
        long warmUntil = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < warmUntil) {
            network.output(false, batch);
        }
        double cpu = InferenceProcess.cpuSeconds(ProcessHandle.current());
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        long passes = 0;
        while (System.nanoTime() < end) {
            network.output(false, batch);
            passes++;
        }
        long count = passes * batchSize;
        return new InProcessLimit(count / ((System.nanoTime() - start) / 1e9),
                1000 * (InferenceProcess.cpuSeconds(ProcessHandle.current()) - cpu) / count);
    }
}
