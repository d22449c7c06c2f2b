package dev.graft.loop.health;

import dev.graft.loop.join.LoopStreams;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready while the join runs (or rebalances); not while it waits for its topics, restores, or has failed. */
@Readiness
@ApplicationScoped
public class StreamsReadiness implements HealthCheck {
    private final LoopStreams streams;

    public StreamsReadiness(LoopStreams streams) {
        this.streams = streams;
    }

    @Override
    public HealthCheckResponse call() {
        KafkaStreams.State state = streams.state();
        return HealthCheckResponse.named("join").status(state == KafkaStreams.State.RUNNING
                || state == KafkaStreams.State.REBALANCING).withData("state", state.name()).build();
    }
}
