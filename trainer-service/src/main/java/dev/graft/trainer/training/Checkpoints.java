package dev.graft.trainer.training;

import jakarta.inject.Inject;
import dev.graft.trainer.config.TrainerConfig;
import org.apache.commons.codec.digest.DigestUtils;
import dev.graft.trainer.storage.FolderMirror;
import dev.graft.trainer.storage.TrainerState;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Checkpoints of unfinished trainings in the trainers' shared state, {@code STATE/checkpoints/HASH(requestId)/}
 * (a folder or S3):
 * whichever trainer of the pool takes a request next resumes from them.
 */
@ApplicationScoped
public class Checkpoints {
    private static final Logger LOG = Logger.getLogger(Checkpoints.class);
    private final TrainerState state;
    private final Duration interval;

    @Inject
    public Checkpoints(TrainerState state, TrainerConfig config) {
        this(state, config.trainer().checkpointInterval());
    }

    public Checkpoints(TrainerState state, Duration interval) {
        this.state = state;
        this.interval = interval;
    }

    /**
     * The checkpoint of one request; {@code requestText} is the request as sent, which its checkpoints
     * must match. On a folder state it is written in place; in object storage it is a local copy,
     * fetched now and uploaded after each write.
     */
    public Checkpoint of(String requestId, String requestText) {
        String hash = DigestUtils.sha256Hex(requestId);
        Optional<Path> folder = state.folder();
        if (folder.isPresent()) {
            return new Checkpoint(folder.get().resolve("checkpoints").resolve(hash), requestText, interval, () -> { });
        }
        FolderMirror mirror = new FolderMirror(state.blobs(), "checkpoints/" + hash + "/",
                state.localDir().resolve("checkpoints").resolve(hash));
        mirror.pull();
        return new Checkpoint(mirror.local(), requestText, interval, mirror::push);
    }

    /**
     * Once a request has its outcome, nothing of it is resumed. Best effort: what cannot be removed
     * now (storage away) is never resumed either, since the outcome answers the request first.
     */
    public void discard(String requestId) {
        if (state.folder().isPresent()) {
            of(requestId, "").discard();
            return;
        }
        String hash = DigestUtils.sha256Hex(requestId);
        try {
            new FolderMirror(state.blobs(), "checkpoints/" + hash + "/",
                    state.localDir().resolve("checkpoints").resolve(hash)).clear();
        } catch (RuntimeException e) {
            LOG.warnf("could not remove the checkpoints of request %s from %s: %s", requestId, state.location(),
                    e.getMessage());
        }
    }
}
