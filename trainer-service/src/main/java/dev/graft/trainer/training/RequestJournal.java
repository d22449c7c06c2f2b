package dev.graft.trainer.training;

import dev.graft.shared.events.TrainingEvent;
import dev.graft.shared.json.Json;
import dev.graft.shared.store.ModelStore;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Every request the trainer took on, by requestId, in files beside the model store
 * ({@code .trainer/requests/}; the store lists only model folders): the request itself while it is
 * pending ({@code HASH.pending.json}), then its outcome ({@code HASH.json}). A pending request
 * survives a crash and is resumed; a request delivered twice, by Kafka after a crash or by a user
 * sending it again, is answered with its first outcome instead of being trained again.
 */
@ApplicationScoped
public class RequestJournal {
    private static final Logger LOG = Logger.getLogger(RequestJournal.class);

    private final Path dir;

    public RequestJournal(ModelStore store) {
        this.dir = store.root().resolve(".trainer").resolve("requests");
    }

    public Optional<TrainingEvent> outcome(String requestId) {
        Path file = file(requestId, ".json");
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
     * Keeps a request until its outcome is recorded. Throws when it cannot: the record must then not
     * be acknowledged as taken on.
     */
    public void accept(PendingRequest pending) {
        try {
            write(pending.requestId(), ".pending.json", Json.write(pending));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep request " + pending.requestId() + " in " + dir + ": " + e, e);
        }
    }

    /** Counts one more start of a pending request; the count is what stops a request that keeps killing the trainer. */
    public PendingRequest attempt(PendingRequest pending) {
        PendingRequest attempted = pending.attempted();
        try {
            write(pending.requestId(), ".pending.json", Json.write(attempted));
        } catch (IOException e) {
            LOG.errorf("cannot count the start of request %s in %s: %s", pending.requestId(), dir, e.getMessage());
        }
        return attempted;
    }

    public Optional<PendingRequest> pending(String requestId) {
        return readPending(file(requestId, ".pending.json"));
    }

    /** Requests taken on and not finished, oldest first: what a restarted trainer resumes. */
    public List<PendingRequest> pending() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".pending.json"))
                    .map(RequestJournal::readPending).flatMap(Optional::stream)
                    .sorted(Comparator.comparing(PendingRequest::received)).toList();
        } catch (IOException e) {
            LOG.errorf("cannot list the pending requests in %s: %s", dir, e.getMessage());
            return List.of();
        }
    }

    /**
     * Records a final outcome, atomically, and forgets the request as pending. Never throws: a version already stored must still be
     * announced, so a journal that cannot be written is logged and only weakens duplicate detection
     * (successes are also found in the store's manifests).
     */
    public void record(TrainingEvent outcome) {
        try {
            write(outcome.requestId(), ".json", Json.write(outcome));
            Files.deleteIfExists(file(outcome.requestId(), ".pending.json"));
        } catch (IOException | RuntimeException e) {
            LOG.errorf("cannot record the outcome of request %s in %s: %s", outcome.requestId(), dir, e.getMessage());
        }
    }

    private void write(String requestId, String suffix, String json) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".write-", ".tmp");
        try {
            Files.writeString(tmp, json);
            Files.move(tmp, file(requestId, suffix), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static Optional<PendingRequest> readPending(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.read(Files.readString(file), PendingRequest.class));
        } catch (IOException | RuntimeException e) {
            LOG.errorf("cannot read the pending request in %s, so it is not resumed: %s", file, e.getMessage());
            return Optional.empty();
        }
    }

    /** requestIds are the sender's text: hashed into a file name that cannot leave the folder. */
    private Path file(String requestId, String suffix) {
        return dir.resolve(hash(requestId) + suffix);
    }

    static String hash(String requestId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(requestId.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }
}
