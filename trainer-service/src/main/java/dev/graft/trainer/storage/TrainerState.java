package dev.graft.trainer.storage;

import dev.graft.trainer.config.TrainerConfig;
import dev.graft.store.Blobs;
import dev.graft.store.FolderBlobs;
import dev.graft.store.S3Settings;
import dev.graft.store.StorageUri;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The state the trainers of a pool share ({@code graft.trainer.state-root}): outcomes, claims and
 * checkpoints, on a shared folder or in an S3 bucket, and this trainer's local folder for what must
 * be a file to be read (a checkpoint's network).
 */
@ApplicationScoped
public class TrainerState {
    private final Blobs blobs;
    private final Path localDir;

    @Inject
    public TrainerState(TrainerConfig config, S3Settings s3) {
        this(StorageUri.parse(config.trainer().stateRoot()).open(s3), config.trainer().cacheDir().resolve("state"));
    }

    public TrainerState(Blobs blobs, Path localDir) {
        this.blobs = blobs;
        this.localDir = localDir.toAbsolutePath().normalize();
    }

    /** A folder state, read and written in place (tests, a single machine). */
    public static TrainerState folder(Path root) {
        return new TrainerState(new FolderBlobs(root), root.resolve(".local"));
    }

    public Blobs blobs() {
        return blobs;
    }

    /** Where state is, for messages. */
    public String location() {
        return blobs.location();
    }

    /** The folder of a folder state; empty in object storage. */
    public Optional<Path> folder() {
        return blobs.localFile("");
    }

    /** This trainer's own scratch space for state that must be local files. */
    public Path localDir() {
        return localDir;
    }
}
