package dev.graft.inference.versions;

import dev.graft.inference.config.ServingSettings;

import dev.graft.inference.metrics.InferenceMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class ModelVersionsTest {
    private final ModelVersions versions = new ModelVersions("m", new InferenceMetrics(new SimpleMeterRegistry()),
            new LoadedVersions(), 2);

    @Test
    void aRetryThePolicySawDueIsNothingOnceARequestStartedTheVersionAfresh() {
        versions.announced(1, false);
        versions.startLoading(1);
        versions.failed(1, "not in the store yet", Instant.now().plusSeconds(60), false);
        // the policy looked here and returned Retry(1); before it is performed, a request finds the version stored
        versions.listedOne(1);
        versions.attemptDue(1);
        assertThat(versions.view(ServingSettings.standard().defaults(), null).versions()).singleElement()
                .satisfies(v -> assertThat(v.state()).isEqualTo(VersionState.DISCOVERED))
                .satisfies(v -> assertThat(v.nextAttempt()).isNull());
    }
}
