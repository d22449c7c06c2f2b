package dev.graft.trainer.training;

import dev.graft.shared.store.ModelStore;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;
import java.time.Duration;

/** Checkpoints of unfinished trainings, beside the model store in {@code .trainer/checkpoints/HASH(requestId)/}. */
@ApplicationScoped
public class Checkpoints {
    private final Path dir;
    private final Duration interval;

    public Checkpoints(ModelStore store,
                       @ConfigProperty(name = "graft.trainer.checkpoint-interval", defaultValue = "PT1M") Duration interval) {
        this.dir = store.root().resolve(".trainer").resolve("checkpoints");
        this.interval = interval;
    }

    /** The checkpoint of one request; {@code requestText} is the request as sent, which its checkpoints must match. */
    public Checkpoint of(String requestId, String requestText) {
        return new Checkpoint(dir.resolve(RequestJournal.hash(requestId)), requestText, interval);
    }

    /** Once a request has its outcome, nothing of it is resumed. */
    public void discard(String requestId) {
        of(requestId, "").discard();
    }
}
