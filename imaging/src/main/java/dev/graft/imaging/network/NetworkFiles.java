package dev.graft.imaging.network;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Restores the networks Graft stores (models, checkpoints, converted weights). DL4J's restore
 * deserializes a {@code preprocessor.bin} with Java serialization if the zip holds one; Graft never
 * writes one, so a zip with any entry beyond what {@link ModelSerializer#writeModel} writes without a
 * normalizer is refused before DL4J opens it; the JVM-wide filter each service installs at start
 * ({@code dev.graft.store.security.SerialFilter}) stands behind that.
 */
public final class NetworkFiles {
    /** What ModelSerializer writes for a graph without a normalizer. */
    static final Set<String> ENTRIES = Set.of(ModelSerializer.CONFIGURATION_JSON, ModelSerializer.COEFFICIENTS_BIN,
            ModelSerializer.NO_PARAMS_MARKER, ModelSerializer.UPDATER_BIN);

    private NetworkFiles() {
    }

    /** The graph in a DL4J zip, refused (an IOException naming the entry) when the zip holds anything else. */
    public static ComputationGraph restore(Path zip, boolean withUpdater) throws IOException {
        requireOnlyNetworkEntries(zip);
        return ModelSerializer.restoreComputationGraph(zip.toFile(), withUpdater);
    }

    static void requireOnlyNetworkEntries(Path zip) throws IOException {
        try (ZipFile file = new ZipFile(zip.toFile())) {
            List<String> foreign = Collections.list(file.entries()).stream().map(ZipEntry::getName)
                    .filter(name -> !ENTRIES.contains(name)).sorted().toList();
            if (!foreign.isEmpty()) {
                throw new IOException(zip.getFileName() + " holds " + foreign + ", which Graft never writes (a network "
                        + "zip holds only " + ENTRIES.stream().sorted().toList() + "); refused before reading: DL4J would "
                        + "deserialize preprocessor.bin as a Java object");
            }
        }
    }
}
