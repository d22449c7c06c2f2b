package dev.graft.trainer.pool;

import dev.graft.s3local.LocalS3;
import dev.graft.store.S3Settings;
import dev.graft.store.StorageUri;
import dev.graft.trainer.storage.TrainerState;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/** The trainers' state on a real S3 server that goes away during a training: heartbeats are skipped with a warning. */
class ClaimsWhileStateIsAwayTest {
    @TempDir
    Path work;

    /** Every warning the named logger writes, as its text. */
    private static List<String> warningsOf(Class<?> source) {
        List<String> warnings = new CopyOnWriteArrayList<>();
        Logger.getLogger(source.getName()).addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        return warnings;
    }

    @Test
    void aHeartbeatWhileTheStateIsAwayIsSkippedWithAWarningAndTheClaimIsKept() throws Exception {
        try (LocalS3 s3 = LocalS3.start(work.resolve("s3"), "graft-state")) {
            S3Settings settings = S3Settings.local(s3.endpoint(), LocalS3.ACCESS_KEY, LocalS3.SECRET_KEY).withMaxAttempts(1);
            TrainerState state = new TrainerState(StorageUri.parse("s3://graft-state/pool/").open(settings), work.resolve("local"));
            Claims claims = new Claims(new PoolSettings("trainer-a", "graft-trainer", Duration.ofSeconds(15)), state);
            Claim claim = claims.take("away-1", new RequestRecord("away-1", "{}", "graft.training.requests", 0, 1, 1, java.util.Map.of()))
                    .orElseThrow();
            List<String> warnings = warningsOf(Claims.class);

            s3.stop();
            assertThat(claims.beat(claim)).as("still holding it").contains(claim);
            assertThat(warnings).singleElement().satisfies(w -> assertThat(w)
                    .startsWith("cannot check the claim on request away-1 in s3://graft-state/pool/").endsWith("still holding it"));

            s3.restart();
            assertThat(claims.beat(claim)).hasValueSatisfying(beaten -> {
                assertThat(beaten.generation()).isEqualTo(claim.generation());
                assertThat(beaten.heartbeat()).isAfterOrEqualTo(claim.heartbeat());
            });
            assertThat(warnings).hasSize(1);
        }
    }
}
