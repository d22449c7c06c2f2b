package dev.graft.trainer.intake;

import dev.graft.trainer.pool.PoolSettings;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The pool as Prometheus sees it: every series carries a {@code trainer} label; each trainer says
 * whether it holds a request ({@code graft_trainer_busy}); the share group's backlog, records of the
 * request topic not yet acknowledged (waiting and in flight), is read from the broker every few
 * seconds ({@code graft_trainer_backlog_records}, NaN while Kafka cannot say), and lock renewals are
 * counted ({@code graft_trainer_lock_renewals_total}). Waiting records are
 * the backlog less the sum of busy trainers: what an autoscaler scales on.
 */
@ApplicationScoped
public class PoolMetrics {
    private static final long REFRESH_SECONDS = 5;

    private final ShareGroup group;
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
            r -> new Thread(r, "graft-backlog"));
    private volatile double backlog = Double.NaN;

    public PoolMetrics(ShareGroup group, ShareGroupIntake intake, MeterRegistry registry) {
        this.group = group;
        Gauge.builder("graft_trainer_backlog_records", this, m -> m.backlog)
                .description("Records of the request topic the share group has not acknowledged: waiting or in flight")
                .register(registry);
        Gauge.builder("graft_trainer_busy", intake, i -> i.current().isPresent() ? 1 : 0)
                .description("1 while this trainer holds a request").register(registry);
        FunctionCounter.builder("graft_trainer_lock_renewals", intake, ShareGroupIntake::renewals)
                .description("Acquisition-lock renewals this trainer sent for the records it holds").register(registry);
    }

    void start(@Observes StartupEvent started) {
        refresher.scheduleWithFixedDelay(this::refresh, 0, REFRESH_SECONDS, TimeUnit.SECONDS);
    }

    void stop(@Observes ShutdownEvent shutdown) {
        refresher.shutdownNow();
    }

    private void refresh() {
        OptionalLong lag = group.backlog();
        backlog = lag.isPresent() ? lag.getAsLong() : Double.NaN;
    }

    /** The trainer label on every series this trainer exports. */
    @Produces
    @Singleton
    static MeterFilter trainerLabel(PoolSettings pool) {
        return MeterFilter.commonTags(List.of(Tag.of("trainer", pool.trainerId())));
    }
}
