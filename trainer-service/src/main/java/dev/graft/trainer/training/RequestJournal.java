package dev.graft.trainer.training;

import dev.graft.shared.events.TrainingEvent;
import dev.graft.shared.json.Json;
import dev.graft.shared.store.ModelStore;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The outcome of every request the trainer took on, by requestId, in files beside the model store
 * ({@code .trainer/requests/}; the store lists only model folders). A request delivered twice, by
 * Kafka after a crash or by a user sending it again, is answered with its first outcome instead of
 * being trained again, across restarts too.
 */
@ApplicationScoped
public class RequestJournal {
    private static final Logger LOG = Logger.getLogger(RequestJournal.class);

    private final Path dir;

    public RequestJournal(ModelStore store) {
        this.dir = store.root().resolve(".trainer").resolve("requests");
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
     * announced, so a journal that cannot be written is logged and only weakens duplicate detection
     * (successes are also found in the store's manifests).
     */
    public void record(TrainingEvent outcome) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".outcome-", ".tmp");
            Files.writeString(tmp, Json.write(outcome));
            Files.move(tmp, file(outcome.requestId()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            LOG.errorf("cannot record the outcome of request %s in %s: %s", outcome.requestId(), dir, e.getMessage());
        }
    }

    /** requestIds are the sender's text: hashed into a file name that cannot leave the folder. */
    private Path file(String requestId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(requestId.getBytes(StandardCharsets.UTF_8));
            return dir.resolve(HexFormat.of().formatHex(digest) + ".json");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }
}
