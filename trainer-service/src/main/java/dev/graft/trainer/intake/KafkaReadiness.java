package dev.graft.trainer.intake;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready while the broker answers: without it the trainer can neither take requests nor publish outcomes. */
@Readiness
@ApplicationScoped
public class KafkaReadiness implements HealthCheck {
    private final ShareGroup group;

    public KafkaReadiness(ShareGroup group) {
        this.group = group;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("kafka share group").status(group.reachable()).build();
    }
}
