package dev.graft.trainer.pool;

import jakarta.inject.Inject;
import dev.graft.trainer.config.TrainerConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.UUID;

/**
 * Who this trainer is in the pool and what the pool shares: its name ({@code graft.trainer.id}, the
 * host name by default: a Kubernetes pod's name), the share group, and how long a taken record stays locked to its trainer without a renewal.
 */
@ApplicationScoped
public class PoolSettings {
    private final String trainerId;
    private final String holder;
    private final String group;
    private final Duration lockDuration;

    @Inject
    public PoolSettings(TrainerConfig config) {
        this(config.trainer().id(), config.trainer().group(), config.trainer().lockDuration());
    }

    public PoolSettings(String trainerId, String group, Duration lockDuration) {
        this.trainerId = trainerId;
        // a restarted trainer keeps its name but is a new holder: its predecessor's claims go stale, not on
        this.holder = trainerId + "/" + UUID.randomUUID().toString().substring(0, 8);
        this.group = group;
        this.lockDuration = lockDuration;
    }

    public String trainerId() {
        return trainerId;
    }

    public String holder() {
        return holder;
    }

    public String group() {
        return group;
    }

    public Duration lockDuration() {
        return lockDuration;
    }

    /** Renewals come three times per lock, so one lost renewal never loses the lock. */
    public Duration renewInterval() {
        return lockDuration.dividedBy(3);
    }
}
