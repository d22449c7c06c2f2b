package dev.graft.trainer.training;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class TrainerMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TrainerMetrics metrics = new TrainerMetrics(registry);

    private double gauge(String name, String model, String phase) {
        return registry.get(name).tags("model", model, "phase", phase).gauge().value();
    }

    @Test
    void onlyThePhaseRunningNowIsActiveAndNoneOnceTheJobEnds() {
        metrics.phaseStarted("cats", "features");
        assertThat(gauge("graft_training_phase_active", "cats", "features")).isEqualTo(1.0);
        assertThat(gauge("graft_training_phase_active", "cats", "fine-tune")).isEqualTo(0.0);

        metrics.phaseEnded("cats", "features", 2.5);
        metrics.phaseStarted("cats", "fine-tune");
        metrics.phaseStarted("dogs", "frozen");
        assertThat(gauge("graft_training_phase_active", "cats", "features")).isEqualTo(0.0);
        assertThat(gauge("graft_training_phase_active", "cats", "fine-tune")).isEqualTo(1.0);

        metrics.job("cats", "succeeded", 40);
        assertThat(gauge("graft_training_phase_active", "cats", "fine-tune")).isEqualTo(0.0);
        assertThat(gauge("graft_training_phase_active", "dogs", "frozen")).as("another model's job goes on")
                .isEqualTo(1.0);
        assertThat(registry.get("graft_training_phase_duration").tags("model", "cats", "phase", "features").timer()
                .totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2500.0);
        assertThat(registry.get("graft_training_jobs").tags("outcome", "succeeded").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("graft_training_duration").tags("outcome", "succeeded").timer()
                .totalTime(TimeUnit.SECONDS)).isEqualTo(40.0);
    }

    @Test
    void anEpochSetsItsPhasesCurves() {
        metrics.epoch("prices", new EpochResult("frozen", 3, 10, 0.5, "mae", 4.0, 0.7, 5.0, 6.0, 120.0, 1.0, 7.0, 1e-3));
        metrics.epoch("prices", new EpochResult("frozen", 4, 10, 0.4, "mae", 3.0, 0.6, 4.5, 5.5, 130.0, 1.0, 6.0, 1e-3));

        assertThat(gauge("graft_training_epoch", "prices", "frozen")).isEqualTo(4.0);
        assertThat(gauge("graft_training_epochs_planned", "prices", "frozen")).isEqualTo(10.0);
        assertThat(gauge("graft_training_loss", "prices", "frozen")).isEqualTo(0.4);
        assertThat(gauge("graft_training_validation_loss", "prices", "frozen")).isEqualTo(0.6);
        assertThat(gauge("graft_training_validation_mae", "prices", "frozen")).isEqualTo(4.5);
        assertThat(gauge("graft_training_images_per_second", "prices", "frozen")).isEqualTo(130.0);
    }

    @Test
    void jobCountersExistAtZeroBeforeTheFirstJob() {
        assertThat(registry.get("graft_training_jobs").tags("outcome", "succeeded").counter().count()).isZero();
        assertThat(registry.get("graft_training_duration").tags("outcome", "failed").timer().count()).isZero();
    }

    @Test
    void aRejectedRequestWithoutAModelIsStillCounted() {
        metrics.job(null, "failed", 0.01);
        assertThat(registry.get("graft_training_jobs").tags("outcome", "failed").counter().count()).isEqualTo(1.0);
    }
}
