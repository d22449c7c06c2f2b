package dev.graft.trainer.job;

import dev.graft.trainer.pool.Claim;
import dev.graft.trainer.pool.Claims;
import dev.graft.trainer.pool.RequestRecord;
import dev.graft.trainer.pool.TrainingRegistry;
import dev.graft.trainer.training.TrainingPlan;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Optional;

/**
 * The claim step: the request claimed for this trainer in the pool's shared state, so that exactly one
 * trainer runs it. The same requestId live on another trainer is waited for: for its outcome, or for
 * that trainer to die and its claim to go stale.
 */
@ApplicationScoped
class Claiming {
    private static final Duration WAIT_STEP = Duration.ofSeconds(1);

    private final Claims claims;
    private final TrainingRegistry registry;

    Claiming(Claims claims, TrainingRegistry registry) {
        this.claims = claims;
        this.registry = registry;
    }

    /**
     * One try: the claim won, or empty when another trainer holds the request (after a wait, so the
     * caller looks for its outcome again) or won the race for it. Throws when the claim cannot be written.
     */
    Optional<Claim> take(TrainingPlan plan, RequestRecord record) {
        Optional<Claim> holder = claims.current(plan.requestId()).filter(claims::isLive);
        if (holder.isPresent()) {
            registry.waiting(plan.requestId(), plan.model(), holder.get().trainer());
            Pause.sleep(WAIT_STEP);
            return Optional.empty();
        }
        return claims.take(plan.requestId(), record);
    }
}
