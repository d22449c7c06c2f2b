package dev.graft.trainer.training;

import dev.graft.imaging.network.NetworkFiles;
import org.apache.commons.io.file.PathUtils;
import org.apache.commons.codec.digest.DigestUtils;
import dev.graft.contract.json.Json;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.jboss.logging.Logger;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where one training can be resumed from after the trainer stopped: the network at the end of phase
 * 1, and after an epoch of either phase the network being trained with its optimizer state and the
 * phase's best weights so far. Each is written in a temporary folder and renamed into place, so a
 * kill at any moment leaves the previous one whole. A checkpoint belongs to one request text: a
 * different request under the same requestId starts from scratch.
 * <p>
 * An epoch is kept only when {@code interval} has passed since the last one was written, so short
 * epochs (the head alone on cached features) do not spend their time writing; the end of phase 1
 * is always kept. Writing is best effort: a checkpoint that cannot be written (disk full) is logged
 * and the training goes on, only a restart would then begin further back. One that cannot be read
 * is ignored.
 */
public final class Checkpoint {
    private static final Logger LOG = Logger.getLogger(Checkpoint.class);
    private static final String END_OF_FROZEN = "end-of-" + TrainingPlan.FROZEN;
    private static final String NETWORK = "network.zip";
    private static final String BEST = "best.bin";
    private static final String STATE = "state.json";
    private static final String REQUEST = "request.sha256";

    /** A kept network, the running phase's best weights so far (null at the end of phase 1) and the progress it had. */
    public record Saved(ComputationGraph network, INDArray phaseBestParams, Progress progress) {
    }

    private final Path dir;
    private final String requestHash;
    private final Duration interval;
    private final Runnable afterChange;
    private long lastWritten = System.nanoTime();

    /**
     * {@code dir} null: nothing is kept (a training run outside the service, as in tests of the
     * recipe). {@code afterChange} runs after each write or discard: it copies a local checkpoint to
     * shared storage.
     */
    Checkpoint(Path dir, String requestText, Duration interval, Runnable afterChange) {
        this.dir = dir;
        this.requestHash = DigestUtils.sha256Hex(requestText);
        this.interval = interval;
        this.afterChange = afterChange;
    }

    public static Checkpoint none() {
        return new Checkpoint(null, "", Duration.ZERO, () -> { });
    }

    /** The network at the end of phase 1, if kept for this request. */
    Optional<Saved> endOfFrozen() {
        return valid() ? read(dir.resolve(END_OF_FROZEN), false) : Optional.empty();
    }

    /** The newest epoch of {@code phase} kept for this request. */
    Optional<Saved> lastEpoch(String phase) {
        if (!valid()) {
            return Optional.empty();
        }
        List<Path> epochs = epochs(phase);
        for (int i = epochs.size() - 1; i >= 0; i--) {
            Optional<Saved> saved = read(epochs.get(i), true);
            if (saved.isPresent()) {
                return saved;
            }
        }
        return Optional.empty();
    }

    /** Says where a resumed training starts, or empty when it starts from the beginning. */
    public Optional<String> describe() {
        if (!valid()) {
            return Optional.empty();
        }
        List<Path> fineTune = epochs(TrainingPlan.FINE_TUNE);
        if (!fineTune.isEmpty()) {
            return Optional.of("the checkpoint after fine-tune epoch " + epochNumber(fineTune.get(fineTune.size() - 1)));
        }
        if (Files.isDirectory(dir.resolve(END_OF_FROZEN))) {
            return Optional.of("the checkpoint at the end of phase 1");
        }
        List<Path> frozen = epochs(TrainingPlan.FROZEN);
        return frozen.isEmpty() ? Optional.empty()
                : Optional.of("the checkpoint after frozen epoch " + epochNumber(frozen.get(frozen.size() - 1)));
    }

    /** Phase 1's result; its epochs are no longer needed. */
    void saveEndOfFrozen(ComputationGraph network, Progress progress) {
        if (write(END_OF_FROZEN, network, false, null, progress)) {
            epochs(TrainingPlan.FROZEN).forEach(Checkpoint::delete);
            share();
        }
    }

    /** An epoch of {@code phase}, if {@code interval} has passed since the last checkpoint was written. */
    void saveEpoch(String phase, int epoch, ComputationGraph network, INDArray phaseBestParams, Progress progress) {
        if (System.nanoTime() - lastWritten >= interval.toNanos()) {
            saveEpochNow(phase, epoch, network, phaseBestParams, progress);
        }
    }

    /** An epoch of {@code phase}, whatever the interval: the last one before the trainer stops. */
    void saveEpochNow(String phase, int epoch, ComputationGraph network, INDArray phaseBestParams, Progress progress) {
        if (dir == null) {
            return;
        }
        if (write(phase + "-" + epoch, network, true, phaseBestParams, progress)) {
            for (Path older : epochs(phase)) {
                if (epochNumber(older) < epoch) {
                    delete(older);
                }
            }
            share();
        }
    }

    void discard() {
        if (dir != null) {
            delete(dir);
            share();
        }
    }

    /** Best effort, as writing is: a checkpoint that did not reach shared storage only makes a takeover begin further back. */
    private void share() {
        try {
            afterChange.run();
        } catch (RuntimeException e) {
            LOG.warnf("could not copy the checkpoint in %s to shared state (%s): training goes on", dir, e.getMessage());
        }
    }

    private boolean write(String name, ComputationGraph network, boolean withUpdater, INDArray best, Progress progress) {
        if (dir == null) {
            return false;
        }
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            Path hashFile = dir.resolve(REQUEST);
            if (!Files.isRegularFile(hashFile) || !Files.readString(hashFile).equals(requestHash)) {
                // another request text under this requestId left these: they must not be mixed with this one's
                clearExcept(hashFile);
                Files.writeString(hashFile, requestHash);
            }
            tmp = Files.createTempDirectory(dir, ".tmp-" + name);
            ModelSerializer.writeModel(network, tmp.resolve(NETWORK).toFile(), withUpdater);
            if (best != null) {
                Nd4j.saveBinary(best, tmp.resolve(BEST).toFile());
            }
            Files.writeString(tmp.resolve(STATE), Json.write(progress));
            delete(dir.resolve(name));
            Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            lastWritten = System.nanoTime();
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warnf("could not write the checkpoint %s in %s (%s): training goes on, but a restart would begin further back",
                    name, dir, e.getMessage());
            if (tmp != null) {
                delete(tmp);
            }
            return false;
        }
    }

    private Optional<Saved> read(Path folder, boolean withUpdater) {
        if (!Files.isDirectory(folder)) {
            return Optional.empty();
        }
        try {
            ComputationGraph network = NetworkFiles.restore(folder.resolve(NETWORK), withUpdater);
            Path best = folder.resolve(BEST);
            INDArray phaseBest = Files.isRegularFile(best) ? Nd4j.readBinary(best.toFile()) : null;
            Progress progress = Json.read(Files.readString(folder.resolve(STATE)), Progress.class);
            return Optional.of(new Saved(network, phaseBest, progress));
        } catch (IOException | RuntimeException e) {
            LOG.warnf("cannot read the checkpoint in %s, so it is not resumed from: %s", folder, e.toString());
            return Optional.empty();
        }
    }

    private boolean valid() {
        try {
            return dir != null && Files.isRegularFile(dir.resolve(REQUEST))
                    && Files.readString(dir.resolve(REQUEST)).equals(requestHash);
        } catch (IOException e) {
            return false;
        }
    }

    /** Complete checkpoints of {@code phase}'s epochs, oldest first (temporary folders are not listed). */
    private List<Path> epochs(String phase) {
        try (Stream<Path> folders = Files.list(dir)) {
            return folders.filter(f -> f.getFileName().toString().matches(Pattern.quote(phase) + "-\\d+")
                            && Files.isDirectory(f))
                    .sorted(Comparator.comparingInt(Checkpoint::epochNumber)).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static int epochNumber(Path folder) {
        String name = folder.getFileName().toString();
        return Integer.parseInt(name.substring(name.lastIndexOf('-') + 1));
    }

    private void clearExcept(Path keep) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            entries.filter(p -> !p.equals(keep)).forEach(Checkpoint::delete);
        }
    }

    private static void delete(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try {
            PathUtils.delete(path);   // a file or a whole folder
        } catch (IOException e) {
            LOG.warnf("could not delete %s: %s", path, e.getMessage());
        }
    }
}
