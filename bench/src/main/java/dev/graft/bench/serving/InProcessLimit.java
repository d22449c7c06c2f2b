package dev.graft.bench.serving;

import dev.graft.imaging.ImagePreprocessor;
import dev.graft.imaging.engine.Engine;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Batches of preprocessed images through output() in a tight loop: what no server can beat. What the loop
 * reached, and the CPU it used per image (the measuring process's, all threads). Measured in this process, or,
 * when the benchmark pins the service to a core, in a process of its own on that core, started as the service
 * is (same command prefix, JVM heap and environment, so the same engine threads and OpenMP settings; the
 * benchmark's classpath and DL4J's own restore, where the service has its jar and verified loader).
 */
record InProcessLimit(double perSecond, double cpuMsPerImage, String engine) {
    private static final Pattern RESULT = Pattern.compile("limit ([0-9.]+) img/s, ([0-9.]+) ms CPU per image; (.*)");

    /** After at least 2 s and 3 passes of warm-up, {@code seconds} of passes on a batch of {@code batchSize}. */
    static InProcessLimit measure(ComputationGraph network, ServedModel model, int batchSize, int seconds) {
        Random random = new Random(7);
        List<byte[]> images = new ArrayList<>();
        for (int i = 0; i < batchSize; i++) {
            images.add(model.png(random));
        }
        INDArray batch = ImagePreprocessor.toBatch(images.stream().map(ImagePreprocessor::decode).toList(), model.shape(),
                model.preprocessing());
        long warmUntil = System.nanoTime() + 2_000_000_000L;
        for (int pass = 0; pass < 3 || System.nanoTime() < warmUntil; pass++) {
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
                1000 * (InferenceProcess.cpuSeconds(ProcessHandle.current()) - cpu) / count, Engine.init().toString());
    }

    /** The same measurement in a JVM of its own on the service's core, on the stored artifact. */
    static InProcessLimit onCore(Cores cores, Path artifact, ServedModel model, int batchSize, int seconds) throws Exception {
        List<String> command = new ArrayList<>(cores.onServiceCore());
        command.addAll(List.of("java", InferenceProcess.HEAP, "-cp", System.getProperty("java.class.path"),
                InProcessLimit.class.getName(), artifact.toString(), model.name(), String.valueOf(batchSize), String.valueOf(seconds)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            StringBuilder output = new StringBuilder();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                lines.lines().forEach(line -> output.append(line).append('\n'));
            }
            Matcher m = RESULT.matcher(output);
            if (!process.waitFor(1, TimeUnit.MINUTES) || process.exitValue() != 0 || !m.find()) {
                throw new IllegalStateException("the in-process limit on core " + cores.service() + " failed:\n" + output);
            }
            return new InProcessLimit(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), m.group(3));
        } finally {
            process.destroyForcibly();
        }
    }

    /** The child's half of {@link #onCore}: ARTIFACT MODEL BATCH SECONDS. */
    public static void main(String[] args) throws Exception {
        Engine.init();   // as the service's ModelLoader, before its first network
        ComputationGraph network = ModelSerializer.restoreComputationGraph(args[0], false);
        InProcessLimit limit = measure(network, ServedModel.named(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
        System.out.printf(Locale.ROOT, "limit %.3f img/s, %.4f ms CPU per image; %s%n", limit.perSecond(), limit.cpuMsPerImage(),
                limit.engine());
        System.exit(0);
    }
}
