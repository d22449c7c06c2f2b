package dev.graft.store;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.retries.api.BackoffStrategy;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class S3ClientsTest {

    /** The SDK asks for the delay before try n as computeDelay(n), n = 2 .. maxAttempts. */
    private static Duration totalWait(BackoffStrategy backoff, int maxAttempts) {
        Duration total = Duration.ZERO;
        for (int attempt = 2; attempt <= maxAttempts; attempt++) {
            total = total.plus(backoff.computeDelay(attempt));
        }
        return total;
    }

    @Test
    void theDefaultTriesAlwaysOutwaitAnOutageOfSevenAndAHalfSeconds() {
        S3Settings settings = S3Settings.local("http://127.0.0.1:1", "k", "s");
        BackoffStrategy backoff = S3Clients.backoff(settings);
        Duration shortest = Duration.ofDays(1);
        Duration longest = Duration.ZERO;
        for (int i = 0; i < 2000; i++) {
            Duration wait = totalWait(backoff, settings.maxAttempts());
            shortest = wait.compareTo(shortest) < 0 ? wait : shortest;
            longest = wait.compareTo(longest) > 0 ? wait : longest;
        }
        // 6 tries: waits of 0.5, 1, 2, 4, 8 s, each between half and all of it
        assertThat(shortest).isGreaterThanOrEqualTo(Duration.ofMillis(7750));
        assertThat(longest).isLessThanOrEqualTo(Duration.ofMillis(15500));
    }
}
