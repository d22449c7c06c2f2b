package dev.graft.trainer.job;

import dev.graft.shared.events.TrainingEvent;
import dev.graft.shared.json.Json;
import dev.graft.trainer.training.Hashes;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * The outcome of every request the pool finished, by requestId, in the trainers' shared state
 * ({@code STATE/outcomes/HASH.json}): a request delivered again, by Kafka after a crash or by a
 * user sending it again, to any trainer, is answered with its first outcome instead of being
 * trained again.
 */
@ApplicationScoped
public class Outcomes {
    private static final Logger LOG = Logger.getLogger(Outcomes.class);

    private final Path dir;

    public Outcomes(@ConfigProperty(name = "graft.trainer.state-root") Path stateRoot) {
        this.dir = stateRoot.resolve("outcomes");
    }

    public Optional<TrainingEvent> outcome(String requestId) {
        Path file = file(requestId);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.read(Files.readString(file), TrainingEvent.class));
        } catch (IOException | RuntimeException e) {
            LOG.warnf("cannot read the recorded outcome of request %s (%s): treating it as new", requestId, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Records a final outcome, atomically. Never throws: a version already stored must still be
     * announced, so a state folder that cannot be written is logged and only weakens duplicate
     * detection (successes are also found in the store's manifests).
     */
    public void record(TrainingEvent outcome) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".write-", ".tmp");
            try {
                Files.writeString(tmp, Json.write(outcome));
                Files.move(tmp, file(outcome.requestId()), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | RuntimeException e) {
            LOG.errorf("cannot record the outcome of request %s in %s: %s", outcome.requestId(), dir, e.getMessage());
        }
    }

    private Path file(String requestId) {
        return dir.resolve(Hashes.sha256(requestId) + ".json");
    }
}
