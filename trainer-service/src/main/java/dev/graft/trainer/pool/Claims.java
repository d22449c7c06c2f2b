package dev.graft.trainer.pool;

import dev.graft.contract.json.Json;
import dev.graft.store.Blobs;
import dev.graft.trainer.storage.TrainerState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Claims in the trainers' shared state: {@code STATE/claims/HASH(requestId)/GENERATION.json}. The
 * first trainer to create generation 1 runs the request; one that finds the newest generation stale
 * takes over by creating the next. Creation is create-if-absent (a hard link on a folder, a
 * conditional put on S3), so of two trainers racing for the same generation exactly one wins. Only the holder
 * rewrites its own generation (heartbeats, release). Claims stay after the outcome: they say which
 * trainer ran the request and from which record.
 */
@ApplicationScoped
public class Claims {
    private static final Logger LOG = Logger.getLogger(Claims.class);
    static final String DIR = "claims/";
    private static final Pattern GENERATION = Pattern.compile("(\\d+)\\.json");

    private final Blobs state;
    private final PoolSettings pool;
    private final Clock clock;

    @Inject
    public Claims(PoolSettings pool, TrainerState state) {
        this(pool, state, Clock.systemUTC());
    }

    Claims(PoolSettings pool, TrainerState state, Clock clock) {
        this.state = state.blobs();
        this.pool = pool;
        this.clock = clock;
    }

    /** The newest claim on a request, if any trainer ever took it. */
    public Optional<Claim> current(String requestId) {
        try {
            return newest(requestId);
        } catch (RuntimeException e) {
            LOG.warnf("cannot list the claims of request %s in %s: %s", requestId, state.location(), e.getMessage());
            return Optional.empty();
        }
    }

    private Optional<Claim> newest(String requestId) {
        String folder = folder(requestId);
        OptionalInt newest = state.children(folder).stream().map(GENERATION::matcher).filter(Matcher::matches)
                .mapToInt(m -> Integer.parseInt(m.group(1))).max();
        return newest.isPresent() ? read(folder + newest.getAsInt() + ".json") : Optional.empty();
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
        try {
            return state.create(key(claim), bytes(claim));
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot claim request " + claim.requestId() + " in " + state.location()
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * The holder is alive: its claim stays live for another lock duration. Empty when another trainer
     * has taken the request over meanwhile (this one missed its heartbeats for a lock duration): the
     * holder must then give the training up.
     */
    public Optional<Claim> beat(Claim claim) {
        int newest;
        try {
            newest = newest(claim.requestId()).map(Claim::generation).orElse(0);
        } catch (RuntimeException e) {
            // state unreachable: nobody can take the request over through it either, so training goes on
            LOG.warnf("cannot check the claim on request %s in %s (%s): still holding it", claim.requestId(),
                    state.location(), e.getMessage());
            return Optional.of(claim);
        }
        if (newest != claim.generation()) {
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

    /** Only the holder writes its own generation, so a plain overwrite is safe. */
    private void rewrite(Claim claim) {
        try {
            state.write(key(claim), bytes(claim));
        } catch (RuntimeException e) {
            LOG.errorf("cannot update the claim on request %s in %s: %s", claim.requestId(), state.location(),
                    e.getMessage());
        }
    }

    private static String folder(String requestId) {
        return DIR + KnownRequests.stateName(requestId) + "/";
    }

    private static String key(Claim claim) {
        return folder(claim.requestId()) + claim.generation() + ".json";
    }

    private static byte[] bytes(Claim claim) {
        return Json.write(claim).getBytes(StandardCharsets.UTF_8);
    }

    /** A claim that cannot be parsed counts as absent; storage that cannot be read throws. */
    private Optional<Claim> read(String key) {
        Optional<byte[]> bytes = state.read(key);
        try {
            return bytes.map(b -> Json.read(new String(b, StandardCharsets.UTF_8), Claim.class));
        } catch (RuntimeException e) {
            LOG.warnf("cannot read the claim %s in %s: %s", key, state.location(), e.getMessage());
            return Optional.empty();
        }
    }
}
