package dev.graft.trainer.pool;

import dev.graft.store.Blobs;
import dev.graft.trainer.storage.TrainerState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.commons.codec.digest.DigestUtils;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Which requestIds the pool's shared state has ever heard of (a claim or an outcome), as a set of their
 * state names, read with two listings (one request per 1,000 entries each) and refreshed at most once per
 * {@link #MAX_AGE}. A lookup of an id
 * nobody sent then costs no reads at all in a burst, instead of a claim listing, an outcome read and a
 * scan of every manifest each (on S3, one request per manifest).
 */
@ApplicationScoped
public class KnownRequests {
    private static final Logger LOG = Logger.getLogger(KnownRequests.class);
    /** How stale the set may be before an unknown id makes it read the state again: a request just claimed elsewhere shows up within it. */
    static final Duration MAX_AGE = Duration.ofSeconds(1);

    private final Blobs state;
    /** Monotonic: a wall clock stepped back would keep the set from being read again. */
    private final LongSupplier nanoTime;
    private volatile Set<String> names = Set.of();
    private long readAt;
    private boolean everRead;

    @Inject
    public KnownRequests(TrainerState state) {
        this(state.blobs(), System::nanoTime);
    }

    KnownRequests(Blobs state, LongSupplier nanoTime) {
        this.state = state;
        this.nanoTime = nanoTime;
    }

    /** A requestId for a log line: at most 256 characters, control characters escaped (it may come from anyone). */
    public static String printable(String requestId) {
        if (requestId == null) {
            return null;
        }
        String shown = requestId.length() > 256 ? requestId.substring(0, 256) + "..." : requestId;
        StringBuilder out = new StringBuilder();
        shown.chars().forEach(c -> out.append(Character.isISOControl(c) ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return out.toString();
    }

    /** The name claims and outcomes of a request are kept under in the shared state. */
    static String stateName(String requestId) {
        return DigestUtils.sha256Hex(requestId);
    }

    /**
     * False only when the shared state, read at most {@link #MAX_AGE} ago, holds neither a claim nor an
     * outcome of the request; true when it may (also when the state cannot be read: the caller looks).
     */
    public boolean mayExist(String requestId) {
        String name = stateName(requestId);
        if (names.contains(name)) {
            return true;
        }
        synchronized (this) {
            long now = nanoTime.getAsLong();
            if (!everRead || now - readAt > MAX_AGE.toNanos()) {
                try {
                    names = read();
                    readAt = now;
                    everRead = true;
                } catch (RuntimeException e) {
                    LOG.warnf("cannot list the pool's requests in %s (%s): looking the request up directly",
                            state.location(), e.getMessage());
                    return true;
                }
            }
        }
        return names.contains(name);
    }

    private Set<String> read() {
        Set<String> read = new HashSet<>(state.children(Claims.DIR));
        for (String outcome : state.children(Outcomes.DIR)) {
            // HASH.json (an outcome) or HASH.rejected.json (a refusal at validation)
            int dot = outcome.indexOf('.');
            read.add(dot < 0 ? outcome : outcome.substring(0, dot));
        }
        return Set.copyOf(read);
    }
}
