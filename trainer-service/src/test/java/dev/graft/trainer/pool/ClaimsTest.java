package dev.graft.trainer.pool;

import dev.graft.trainer.storage.TrainerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** Claims on the shared state folder: one winner per generation, takeover only once stale, the loser told. */
class ClaimsTest {
    private static final Duration LOCK = Duration.ofSeconds(15);
    private static final RequestRecord RECORD = new RequestRecord("r", "{}", "graft.training.requests", 0, 7, 1, java.util.Map.of());

    @TempDir
    Path root;

    private Claims claims(String trainer, Clock clock) {
        return new Claims(new PoolSettings(trainer, "graft-trainer", LOCK), TrainerState.folder(root), clock);
    }

    private static Clock at(Instant instant) {
        return Clock.fixed(instant, ZoneOffset.UTC);
    }

    @Test
    void ofManyTrainersRacingForTheSameRequestExactlyOneWins() throws Exception {
        int trainers = 16;
        ExecutorService pool = Executors.newFixedThreadPool(trainers);
        try {
            List<Callable<Optional<Claim>>> racers = new ArrayList<>();
            for (int i = 0; i < trainers; i++) {
                Claims each = claims("trainer-" + i, Clock.systemUTC());
                racers.add(() -> each.take("r", RECORD));
            }
            List<Optional<Claim>> results = new ArrayList<>();
            for (Future<Optional<Claim>> result : pool.invokeAll(racers)) {
                results.add(result.get());
            }
            assertThat(results).filteredOn(Optional::isPresent).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(claims("reader", Clock.systemUTC()).current("r")).hasValueSatisfying(c -> {
            assertThat(c.generation()).isEqualTo(1);
            assertThat(c.offset()).isEqualTo(7);
        });
    }

    @Test
    void aGenerationIsCreatedOnceEvenByTrainersThatBothFoundItFree() {
        Instant now = Instant.parse("2026-12-01T10:00:00Z");
        Claim a = new Claim("r", "a", "a/1", "graft.training.requests", 0, 7, now, 1);
        Claim b = new Claim("r", "b", "b/1", "graft.training.requests", 0, 7, now, 1);

        assertThat(claims("a", at(now)).create(a)).isTrue();
        assertThat(claims("b", at(now)).create(b)).isFalse();
        assertThat(claims("c", at(now)).current("r")).hasValueSatisfying(c -> assertThat(c.trainer()).isEqualTo("a"));
    }

    @Test
    void aLiveClaimHoldsAStaleOneIsTakenOverAndItsFormerHolderLearnsIt() {
        Instant start = Instant.parse("2026-12-01T10:00:00Z");
        Claim first = claims("a", at(start)).take("r", RECORD).orElseThrow();

        Instant beforeStale = start.plus(LOCK).minusSeconds(1);
        assertThat(claims("b", at(beforeStale)).take("r", RECORD)).isEmpty();
        Claim beating = claims("a", at(beforeStale)).beat(first).orElseThrow();

        Instant stale = beforeStale.plus(LOCK);
        Claim second = claims("b", at(stale)).take("r", RECORD).orElseThrow();
        assertThat(second.generation()).isEqualTo(2);
        assertThat(second.trainer()).isEqualTo("b");
        // the first holder missed its heartbeats: its next one finds it superseded
        assertThat(claims("a", at(stale)).beat(beating)).isEmpty();
        assertThat(claims("c", at(stale)).current("r")).hasValueSatisfying(c -> assertThat(c.trainer()).isEqualTo("b"));
    }

    @Test
    void aReleasedClaimIsFreeAtOnce() {
        Instant now = Instant.parse("2026-12-01T10:00:00Z");
        Claims a = claims("a", at(now));
        a.release(a.take("r", RECORD).orElseThrow());

        assertThat(claims("b", at(now)).take("r", RECORD)).hasValueSatisfying(c -> assertThat(c.generation()).isEqualTo(2));
    }
}
