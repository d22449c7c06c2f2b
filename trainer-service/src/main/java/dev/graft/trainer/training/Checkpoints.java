package dev.graft.trainer.training;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Checkpoints of unfinished trainings in the trainers' shared state, {@code STATE/checkpoints/HASH(requestId)/}:
 * whichever trainer of the pool takes a request next resumes from them.
 */
@ApplicationScoped
public class Checkpoints {
    private final Path dir;
    private final Duration interval;

    public Checkpoints(@ConfigProperty(name = "graft.trainer.state-root") Path stateRoot,
                       @ConfigProperty(name = "graft.trainer.checkpoint-interval", defaultValue = "PT1M") Duration interval) {
        this.dir = stateRoot.resolve("checkpoints");
        this.interval = interval;
    }

    /** The checkpoint of one request; {@code requestText} is the request as sent, which its checkpoints must match. */
    public Checkpoint of(String requestId, String requestText) {
        return new Checkpoint(dir.resolve(Hashes.sha256(requestId)), requestText, interval);
    }

    /** Once a request has its outcome, nothing of it is resumed. */
    public void discard(String requestId) {
        of(requestId, "").discard();
    }
}
