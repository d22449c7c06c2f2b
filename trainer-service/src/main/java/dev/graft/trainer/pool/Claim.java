package dev.graft.trainer.pool;

import java.time.Duration;
import java.time.Instant;

/**
 * Which trainer runs a request: the process ({@code holder}, the trainer's name and a per-process
 * suffix), the record it took the request from, and when the holder last said it is alive. A claim
 * whose heartbeat is older than the record lock is stale: its trainer died or lost Kafka's lock,
 * and another trainer may take the request over. {@code generation} orders takeovers.
 */
public record Claim(String requestId, String trainer, String holder, String topic, int partition, long offset,
                    Instant heartbeat, int generation) {

    boolean liveAt(Instant now, Duration staleAfter) {
        return heartbeat.plus(staleAfter).isAfter(now);
    }

    Claim beating(Instant now) {
        return new Claim(requestId, trainer, holder, topic, partition, offset, now, generation);
    }
}
