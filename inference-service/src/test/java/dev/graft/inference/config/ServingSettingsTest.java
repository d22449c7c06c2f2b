package dev.graft.inference.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServingSettingsTest {

    @Test
    void loadRetriesDoubleTheirPauseFromTheFirstUpToTheLast() {
        // the service's defaults: 5 attempts, 2 s first, 30 s at most (docs/inference.md: after 2, 4, 8, 16 s)
        ServingSettings.LoadRetries retries = new ServingSettings.LoadRetries(5, Duration.ofSeconds(2), Duration.ofSeconds(30));
        assertThat(IntStream.rangeClosed(1, 6).mapToObj(retries::backoff).map(Duration::toSeconds))
                .containsExactly(2L, 4L, 8L, 16L, 30L, 30L);
        assertThatThrownBy(() -> new ServingSettings.LoadRetries(0, Duration.ofSeconds(2), Duration.ofSeconds(30)))
                .hasMessageContaining("max-attempts must be >= 1");
    }
}
