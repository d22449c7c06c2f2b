package dev.graft.trainer.job;

import dev.graft.shared.store.Blobs;
import dev.graft.trainer.storage.TrainerState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.commons.codec.digest.DigestUtils;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

/**
 * Which requestIds the pool's shared state has ever heard of (a claim or an outcome), as a set of their
 * state names, read with two listings and refreshed at most once per {@link #MAX_AGE}. A lookup of an id
 * nobody sent then costs no reads at all in a burst, instead of a claim listing, an outcome read and a
 * scan of every manifest each (on S3, one request per manifest).
 */
@ApplicationScoped
public class KnownRequests {
    private static final Logger LOG = Logger.getLogger(KnownRequests.class);
    /** How stale the set may be before an unknown id makes it read the state again: a request just claimed elsewhere shows up within it. */
    static final Duration MAX_AGE = Duration.ofSeconds(1);

    private final Blobs state;
    private final Clock clock;
    private volatile Set<String> names = Set.of();
    private Instant readAt = Instant.MIN;

    @Inject
    public KnownRequests(TrainerState state) {
        this(state.blobs(), Clock.systemUTC());
    }

    KnownRequests(Blobs state, Clock clock) {
        this.state = state;
        this.clock = clock;
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
            Instant now = clock.instant();
            if (readAt.plus(MAX_AGE).isBefore(now)) {
                try {
                    names = read();
                    readAt = now;
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
            read.add(outcome.endsWith(Outcomes.SUFFIX) ? outcome.substring(0, outcome.length() - Outcomes.SUFFIX.length())
                    : outcome);
        }
        return Set.copyOf(read);
    }
}
