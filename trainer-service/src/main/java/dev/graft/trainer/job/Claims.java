package dev.graft.trainer.job;

import dev.graft.shared.json.Json;
import dev.graft.trainer.training.Hashes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Claims in the trainers' shared state: {@code STATE/claims/HASH(requestId)/GENERATION.json}. The
 * first trainer to create generation 1 runs the request; one that finds the newest generation stale
 * takes over by creating the next. Creation is a hard link, which the file system refuses when the
 * name exists, so of two trainers racing for the same generation exactly one wins. Only the holder
 * rewrites its own generation (heartbeats, release). Claims stay after the outcome: they say which
 * trainer ran the request and from which record.
 */
@ApplicationScoped
public class Claims {
    private static final Logger LOG = Logger.getLogger(Claims.class);

    private final Path dir;
    private final PoolSettings pool;
    private final Clock clock;

    @Inject
    public Claims(PoolSettings pool) {
        this(pool, Clock.systemUTC());
    }

    Claims(PoolSettings pool, Clock clock) {
        this.dir = pool.stateRoot().resolve("claims");
        this.pool = pool;
        this.clock = clock;
    }

    /** The newest claim on a request, if any trainer ever took it. */
    public Optional<Claim> current(String requestId) {
        Path folder = folder(requestId);
        if (!Files.isDirectory(folder)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(folder)) {
            Optional<Path> newest = files.filter(f -> f.getFileName().toString().matches("\\d+\\.json"))
                    .max(Comparator.comparingInt(Claims::generation));
            return newest.flatMap(Claims::read);
        } catch (IOException e) {
            LOG.warnf("cannot list the claims of request %s in %s: %s", requestId, folder, e.getMessage());
            return Optional.empty();
        }
    }

    public boolean isLive(Claim claim) {
        return claim.liveAt(clock.instant(), pool.lockDuration());
    }

    /**
     * Claims the request for this trainer when nobody holds it or its holder's claim is stale; empty
     * when a live claim exists or another trainer won the race.
     */
    public Optional<Claim> take(String requestId, RequestRecord record) {
        Optional<Claim> current = current(requestId);
        if (current.isPresent() && isLive(current.get())) {
            return Optional.empty();
        }
        int generation = current.map(c -> c.generation() + 1).orElse(1);
        Claim claim = new Claim(requestId, pool.trainerId(), pool.holder(), record.topic(), record.partition(),
                record.offset(), clock.instant(), generation);
        return create(claim) ? Optional.of(claim) : Optional.empty();
    }

    /** Writes the claim's generation unless it exists: false when another trainer created it first. */
    boolean create(Claim claim) {
        Path folder = folder(claim.requestId());
        try {
            Files.createDirectories(folder);
            Path tmp = Files.createTempFile(folder, ".claim-", ".tmp");
            try {
                Files.writeString(tmp, Json.write(claim));
                Files.createLink(folder.resolve(claim.generation() + ".json"), tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return true;
        } catch (FileAlreadyExistsException lost) {
            return false;
        } catch (IOException e) {
            throw new IllegalStateException("cannot claim request " + claim.requestId() + " in " + folder + ": " + e, e);
        }
    }

    /**
     * The holder is alive: its claim stays live for another lock duration. Empty when another trainer
     * has taken the request over meanwhile (this one missed its heartbeats for a lock duration): the
     * holder must then give the training up.
     */
    public Optional<Claim> beat(Claim claim) {
        if (current(claim.requestId()).map(Claim::generation).orElse(0) != claim.generation()) {
            return Optional.empty();
        }
        Claim beating = claim.beating(clock.instant());
        rewrite(beating);
        return Optional.of(beating);
    }

    /** The holder stopped without an outcome: the claim is stale at once, so the next trainer need not wait. */
    public void release(Claim claim) {
        rewrite(claim.beating(Instant.EPOCH));
    }

    private void rewrite(Claim claim) {
        Path folder = folder(claim.requestId());
        try {
            Path tmp = Files.createTempFile(folder, ".claim-", ".tmp");
            try {
                Files.writeString(tmp, Json.write(claim));
                Files.move(tmp, folder.resolve(claim.generation() + ".json"), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            LOG.errorf("cannot update the claim on request %s in %s: %s", claim.requestId(), folder, e.getMessage());
        }
    }

    private Path folder(String requestId) {
        return dir.resolve(Hashes.sha256(requestId));
    }

    private static int generation(Path file) {
        String name = file.getFileName().toString();
        return Integer.parseInt(name.substring(0, name.length() - ".json".length()));
    }

    private static Optional<Claim> read(Path file) {
        try {
            return Optional.of(Json.read(Files.readString(file), Claim.class));
        } catch (IOException | RuntimeException e) {
            LOG.warnf("cannot read the claim %s: %s", file, e.getMessage());
            return Optional.empty();
        }
    }
}
