package dev.graft.bench.storage;

import dev.graft.bench.trainer.Recipes;
import dev.graft.s3local.LocalS3;
import dev.graft.contract.events.TrainingRequest;
import dev.graft.contract.manifest.InputShape;
import dev.graft.contract.manifest.Preprocessing;
import dev.graft.contract.manifest.ModelManifest;
import dev.graft.contract.manifest.Task;
import dev.graft.store.ArtifactCache;
import dev.graft.store.ModelStore;
import dev.graft.store.S3Settings;
import dev.graft.store.StorageUri;
import dev.graft.testing.TestImages;
import dev.graft.trainer.base.BaseFactory;
import dev.graft.trainer.dataset.DatasetReader;
import dev.graft.trainer.dataset.RemoteDatasets;
import dev.graft.trainer.training.Checkpoint;
import dev.graft.trainer.training.TrainedModel;
import dev.graft.trainer.training.TrainingRequestValidator;
import org.apache.commons.io.file.PathUtils;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bin/graft bench storage}: how long a user waits to publish a trained model and to load it
 * for serving, on the folder store and on object storage (the local S3 API server, s3proxy over this
 * machine's disk, reached over HTTP on loopback), for the demo classifier's network and a VGG16 one.
 * Publish is what the trainer does after training: serialize, checksum, reserve, upload, commit the
 * manifest. A cold load is what an inference replica does for a new version: download into its cache
 * (S3 only), verify the sha256, deserialize the network; a warm load finds the artifact cached. Three
 * runs each, the median printed, and the ratio S3 / folder from the same run. Then the cache size
 * with a bound smaller than all versions.
 */
public final class StorageBenchmark {
    private static final int RUNS = 3;

    private record Network(String label, String architecture, int size, ComputationGraph graph) {
    }

    public void run() throws Exception {
        Path root = Files.createTempDirectory("graft-bench-storage");
        TestImages.classFolders(root.resolve("data/train"), 8, 1);
        TestImages.classFolders(root.resolve("data/validation"), 4, 2);
        ModelStore scratch = new ModelStore(root.resolve("scratch"));
        DatasetReader reader = new DatasetReader(root.resolve("data").toString(), RemoteDatasets.none());
        BaseFactory bases = Recipes.bases(scratch, reader, Recipes.NO_WEIGHTS);
        List<Network> networks = List.of(
                train(bases, reader, "demo classifier (small-convnet@48, 128-unit head)", "small-convnet", 48),
                train(bases, reader, "VGG16@48 (random weights), 128-unit head", "vgg16", 48));

        try (LocalS3 s3 = LocalS3.start(root.resolve("s3"), "graft-bench")) {
            S3Settings settings = S3Settings.local(s3.endpoint(), LocalS3.ACCESS_KEY, LocalS3.SECRET_KEY);
            System.out.printf(Locale.ROOT, "%d cores; S3: %s (s3proxy 4.0.0, file-system backend, loopback HTTP);"
                    + " median of %d runs%n", Runtime.getRuntime().availableProcessors(), s3.endpoint(), RUNS);
            long largest = 0;
            for (Network network : networks) {
                double[] folder = measure(network, () -> ModelStore.open(root.resolve("folder").toString(), settings,
                        root.resolve("unused-cache"), 1L << 34), root.resolve("folder-cache"), settings, false);
                double[] bucket = measure(network, () -> ModelStore.open("s3://graft-bench/models/", settings,
                        root.resolve("writer-cache"), 1L << 34), root.resolve("reader-cache"), settings, true);
                long bytes = (long) folder[3];
                largest = Math.max(largest, bytes);
                System.out.printf(Locale.ROOT, "%s: %,d parameters, artifact %.1f MB%n", network.label(),
                        network.graph().numParams(), bytes / 1e6);
                System.out.printf(Locale.ROOT, "  publish    folder %6.2f s   S3 %6.2f s   S3/folder %.2f%n",
                        folder[0], bucket[0], bucket[0] / folder[0]);
                System.out.printf(Locale.ROOT, "  cold load  folder %6.2f s   S3 %6.2f s   S3/folder %.2f   (S3: download,"
                        + " sha256, deserialize)%n", folder[1], bucket[1], bucket[1] / folder[1]);
                System.out.printf(Locale.ROOT, "  warm load  folder %6.2f s   S3 %6.2f s   S3/folder %.2f   (S3: cached"
                        + " copy, sha256, deserialize)%n", folder[2], bucket[2], bucket[2] / folder[2]);
            }
            // a cache bound below what the store holds: least recently used copies go
            long bound = largest + largest / 2;
            ArtifactCache cache = new ArtifactCache(root.resolve("bounded-cache"), bound);
            ModelStore reader2 = new ModelStore(StorageUri.parse("s3://graft-bench/models/").open(settings), cache);
            int versions = 0;
            long total = 0;
            for (String model : reader2.models()) {
                for (int version : reader2.versions(model)) {
                    ModelManifest manifest = reader2.manifest(model, version);
                    reader2.verify(manifest);
                    versions++;
                    total += manifest.sizeBytes();
                }
            }
            System.out.printf(Locale.ROOT, "inference cache bounded at %.1f MB after loading all %d versions (%.1f MB):"
                    + " %.1f MB held%n", bound / 1e6, versions, total / 1e6, cache.sizeBytes() / 1e6);
        } finally {
            PathUtils.deleteDirectory(root);
        }
    }

    private static Network train(BaseFactory bases, DatasetReader reader, String label, String architecture, int size) {
        TrainingRequest request = Recipes.request(architecture, size, 8, 1, 0);
        request = new TrainingRequest(request.requestId(), "bench-" + architecture, request.task(), request.dataset(),
                request.base(), new TrainingRequest.Head(128, 0.0), request.frozen(), null, null, null, null, 1L);
        TrainedModel trained = Recipes.recipe(bases, reader, 1L << 34)
                .run(TrainingRequestValidator.validate(request), e -> { }, Checkpoint.none());
        return new Network(label, architecture, size, trained.graph());
    }

    private interface StoreFactory {
        ModelStore open();
    }

    /** Median publish, cold load and warm load seconds, and the artifact's bytes. */
    private static double[] measure(Network network, StoreFactory writer, Path readerCache, S3Settings settings,
                                    boolean s3) throws Exception {
        double[] publish = new double[RUNS];
        double[] cold = new double[RUNS];
        double[] warm = new double[RUNS];
        long bytes = 0;
        ModelStore store = writer.open();
        for (int run = 0; run < RUNS; run++) {
            long start = System.nanoTime();
            ModelManifest manifest = store.publish(ModelManifest.draft("bench-" + network.architecture(),
                            Task.CLASSIFICATION, List.of("a", "b"), null,
                            InputShape.rgb(network.size(), network.size()), Preprocessing.UNIT, Map.of(),
                            null, "bench"),
                    artifact -> ModelSerializer.writeModel(network.graph(), artifact.toFile(), false));
            publish[run] = seconds(start);
            bytes = manifest.sizeBytes();
            // a replica that has never seen this version: a fresh cache
            ModelStore reader = s3 ? new ModelStore(StorageUri.parse("s3://graft-bench/models/").open(settings),
                    new ArtifactCache(readerCache.resolve("run-" + run), 1L << 34)) : store;
            start = System.nanoTime();
            ModelSerializer.restoreComputationGraph(reader.verify(manifest).toFile(), false);
            cold[run] = seconds(start);
            start = System.nanoTime();
            ModelSerializer.restoreComputationGraph(reader.verify(manifest).toFile(), false);
            warm[run] = seconds(start);
        }
        return new double[] {median(publish), median(cold), median(warm), bytes};
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
