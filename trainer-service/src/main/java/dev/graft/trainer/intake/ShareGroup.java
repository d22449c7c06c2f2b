package dev.graft.trainer.intake;

import dev.graft.trainer.job.Pause;
import dev.graft.trainer.pool.LegacyTrainer;
import dev.graft.trainer.pool.PoolSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import io.smallrye.common.annotation.Identifier;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The trainers' share group as the broker keeps it: its configuration (set by every trainer at
 * start, the same values each time) and its backlog. A share group starts at the topic's end by
 * default; the pool's starts at its beginning, so a request sent before the first trainer ever ran
 * is trained too.
 */
@ApplicationScoped
public class ShareGroup {
    private static final Logger LOG = Logger.getLogger(ShareGroup.class);
    /** The broker's own default for group.share.delivery.count.limit. */
    static final int DEFAULT_DELIVERY_LIMIT = 5;
    private static final long TIMEOUT_SECONDS = 10;

    private final PoolSettings pool;
    private final LegacyTrainer legacy;
    private final Admin admin;

    /** {@code kafka}: the application's kafka.* settings (servers, TLS, SASL), as every Kafka client of the trainer gets them. */
    public ShareGroup(PoolSettings pool, LegacyTrainer legacy, @Identifier("default-kafka-broker") Map<String, Object> kafka) {
        this.pool = pool;
        this.legacy = legacy;
        Map<String, Object> config = new HashMap<>(kafka);
        config.put("client.id", "graft-trainer-admin-" + pool.trainerId());
        config.put("default.api.timeout.ms", (int) TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        config.put("request.timeout.ms", (int) TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        this.admin = Admin.create(config);
    }

    /**
     * Sets the group's start and lock duration, and answers the broker's delivery-count limit; tries
     * again every few seconds while Kafka cannot be reached, until {@code stopping}.
     */
    int prepare(BooleanSupplier stopping) {
        while (!stopping.getAsBoolean()) {
            try {
                ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, pool.group());
                admin.incrementalAlterConfigs(Map.of(group, List.of(
                        set("share.auto.offset.reset", "earliest"),
                        set("share.record.lock.duration.ms", Long.toString(pool.lockDuration().toMillis())))))
                        .all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                takeOverFromSingleTrainer();
                int limit = deliveryLimit();
                LOG.infof("share group %s: records locked for %d s, renewed every %d s; a record is delivered at most %d times",
                        pool.group(), pool.lockDuration().toSeconds(), pool.renewInterval().toSeconds(), limit);
                return limit;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof InvalidConfigurationException invalid) {
                    throw new IllegalStateException("the broker refuses graft.trainer.lock-duration "
                            + pool.lockDuration() + ": " + invalid.getMessage()
                            + " (its group.share.min/max.record.lock.duration.ms bound it)", invalid);
                }
                LOG.warnf("cannot configure share group %s yet: %s", pool.group(), e.getCause().toString());
            } catch (java.util.concurrent.TimeoutException e) {
                LOG.warnf("cannot configure share group %s yet: Kafka did not answer within %d s", pool.group(), TIMEOUT_SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            Pause.sleep(Duration.ofSeconds(2));
        }
        return DEFAULT_DELIVERY_LIMIT;
    }

    /**
     * A pool's first start on a broker and store a single trainer used: the old outcomes are adopted,
     * and a share group that has no state yet begins where the single trainer left off, not at the
     * topic's beginning. Trainers starting together may each try; the same offsets are set, or the
     * group is already running and the try is refused harmlessly.
     */
    private void takeOverFromSingleTrainer() throws InterruptedException {
        int adopted = legacy.adoptOutcomes();
        if (adopted > 0) {
            LOG.infof("took over %d outcomes the single trainer recorded", adopted);
        }
        try {
            Map<TopicPartition, SharePartitionOffsetInfo> state = admin
                    .listShareGroupOffsets(Map.of(pool.group(), new ListShareGroupOffsetsSpec()))
                    .partitionsToOffsetInfo(pool.group()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (state.values().stream().anyMatch(java.util.Objects::nonNull)) {
                return;
            }
            Map<TopicPartition, Long> start = legacy.startOffsets(admin);
            if (!start.isEmpty()) {
                admin.alterShareGroupOffsets(pool.group(), start).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                LOG.infof("share group %s starts where the single trainer left off: %s", pool.group(), start);
            }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.infof("share group %s: not taking over from a single trainer (%s)", pool.group(),
                    e.getCause() != null ? e.getCause() : e);
        }
    }

    /**
     * Records of the request topic the group has not acknowledged yet (waiting, and in flight on a
     * trainer), from the broker's share-group offsets; a partition the group has never acknowledged
     * on has no such state yet, and counts every record it holds (the group starts at the beginning).
     * Empty when Kafka cannot say.
     */
    public OptionalLong backlog() {
        try {
            Map<TopicPartition, SharePartitionOffsetInfo> offsets = admin
                    .listShareGroupOffsets(Map.of(pool.group(), new ListShareGroupOffsetsSpec()))
                    .partitionsToOffsetInfo(pool.group()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            long lag = 0;
            for (Map.Entry<TopicPartition, SharePartitionOffsetInfo> partition : offsets.entrySet()) {
                SharePartitionOffsetInfo info = partition.getValue();
                lag += info != null && info.lag().isPresent() ? info.lag().get() : records(partition.getKey());
            }
            return OptionalLong.of(lag);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            return OptionalLong.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalLong.empty();
        }
    }

    private long records(TopicPartition partition)
            throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition)
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).offset();
        long start = admin.listOffsets(Map.of(partition, OffsetSpec.earliest())).partitionResult(partition)
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).offset();
        return end - start;
    }

    /** Whether the broker answers now: the trainer's readiness. */
    boolean reachable() {
        try {
            admin.describeCluster().clusterId().get(2, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @PreDestroy
    void close() {
        admin.close(Duration.ofSeconds(5));
    }

    private int deliveryLimit() throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
        String broker = admin.describeCluster().nodes().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).iterator().next().idString();
        ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, broker);
        ConfigEntry entry = admin.describeConfigs(List.of(resource)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .get(resource).get("group.share.delivery.count.limit");
        return entry == null || entry.value() == null ? DEFAULT_DELIVERY_LIMIT : Integer.parseInt(entry.value());
    }

    private static AlterConfigOp set(String name, String value) {
        return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
    }

}
