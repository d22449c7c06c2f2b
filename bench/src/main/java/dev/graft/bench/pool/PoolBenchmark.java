package dev.graft.bench.pool;

import dev.graft.trainer.pool.Claims;
import dev.graft.trainer.job.JobRunner;
import dev.graft.trainer.pool.LegacyTrainer;
import dev.graft.trainer.pool.PoolSettings;
import dev.graft.trainer.intake.ShareGroup;
import dev.graft.trainer.intake.ShareGroupIntake;
import dev.graft.kafka.LocalKafkaBroker;
import dev.graft.contract.events.Topics;
import dev.graft.store.ModelStore;
import dev.graft.testing.KafkaTestClient;
import dev.graft.trainer.storage.TrainerState;
import org.apache.commons.io.file.PathUtils;
import org.apache.kafka.clients.consumer.AcknowledgeType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pool past this machine, by simulation: 1 to 32 of the trainer's own share-group intakes in one
 * JVM against the in-process broker, each "training" by sleeping a fixed time, on 1,000 requests per
 * size (a fresh broker each). Prints, by consumer count, requests/s, lock renewals/s, and whether
 * exactly once held (every request run once, and the group's backlog back to 0).
 * <p>
 * The broker's lock limits are lowered (locks of 1 s, renewed every third) so that each simulated
 * job of 400 ms outlives a renewal interval, as every real training does.
 * <p>
 * Run: {@code bin/graft bench pool [REQUESTS [SIZES [JOB_MS]]]}, e.g. {@code bin/graft bench pool 1000 1,2,4,8,16,32 400}.
 */
public final class PoolBenchmark {
    private static final Duration LOCK = Duration.ofSeconds(1);

    private final int requests;
    private final List<Integer> sizes;
    private final long jobMillis;

    /** @param sizes consumer counts, one run each */
    public PoolBenchmark(int requests, List<Integer> sizes, long jobMillis) {
        this.requests = requests;
        this.sizes = List.copyOf(sizes);
        this.jobMillis = jobMillis;
    }

    public void run() throws Exception {
        System.out.printf(Locale.ROOT, "pool simulation: %d requests per size, each job sleeps %d ms, record lock %d ms"
                + " renewed every %d ms%n", requests, jobMillis, LOCK.toMillis(), LOCK.dividedBy(3).toMillis());
        System.out.println("consumers  requests/s  renewals/s  seconds  once  backlog-after");
        for (int consumers : sizes) {
            run(consumers, requests, jobMillis);
        }
    }

    private static void run(int consumers, int requests, long jobMillis) throws Exception {
        Path work = Files.createTempDirectory("graft-pool-bench");
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(work.resolve("kafka"), LocalKafkaBroker.freePort(),
                LocalKafkaBroker.freePort(), Map.of("group.share.min.record.lock.duration.ms", "1000",
                        "group.share.max.size", "1000"))) {
            broker.createTopics(List.of(Topics.TRAINING_REQUESTS));
            Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
            JobRunner sleeper = job -> {
                runs.computeIfAbsent(job.record().key(), k -> new AtomicInteger()).incrementAndGet();
                try {
                    Thread.sleep(jobMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return AcknowledgeType.RELEASE;
                }
                return AcknowledgeType.ACCEPT;
            };
            List<ShareGroupIntake> intakes = new ArrayList<>();
            ShareGroup group = null;
            for (int i = 1; i <= consumers; i++) {
                PoolSettings pool = new PoolSettings("sim-" + i, "graft-trainer", LOCK);
                // no single trainer's journal to adopt: an empty store of its own
                group = new ShareGroup(pool, new LegacyTrainer(new ModelStore(work.resolve("no-single-trainer")),
                        TrainerState.folder(work.resolve("state"))), Map.of("bootstrap.servers", broker.bootstrapServers()));
                intakes.add(new ShareGroupIntake(sleeper, new Claims(pool, TrainerState.folder(work.resolve("state"))), pool, group, Map.of("bootstrap.servers", broker.bootstrapServers())));
            }
            intakes.forEach(intake -> intake.start(null));
            // every consumer has joined before the clock starts: one warm-up request each
            try (KafkaTestClient client = new KafkaTestClient(broker.bootstrapServers())) {
                for (int i = 0; i < consumers; i++) {
                    client.send(Topics.TRAINING_REQUESTS, "warm-" + i, "{}");
                }
                awaitRuns(runs, consumers);
                long renewalsBefore = intakes.stream().mapToLong(ShareGroupIntake::renewals).sum();
                long start = System.nanoTime();
                for (int i = 0; i < requests; i++) {
                    client.send(Topics.TRAINING_REQUESTS, "r-" + i, "{}");
                }
                awaitRuns(runs, consumers + requests);
                double seconds = (System.nanoTime() - start) / 1e9;
                long renewals = intakes.stream().mapToLong(ShareGroupIntake::renewals).sum() - renewalsBefore;
                OptionalLong backlog = awaitBacklogZero(group);
                boolean once = runs.size() == consumers + requests && runs.values().stream().allMatch(n -> n.get() == 1);
                System.out.printf(Locale.ROOT, "%9d  %10.1f  %10.1f  %7.1f  %4s  %s%n", consumers, requests / seconds,
                        renewals / seconds, seconds, once ? "yes" : "NO", backlog.isPresent() ? backlog.getAsLong() : "?");
            }
            for (ShareGroupIntake intake : intakes) {
                intake.stop(null);
            }
        } finally {
            PathUtils.deleteDirectory(work);
        }
    }

    private static void awaitRuns(Map<String, AtomicInteger> runs, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        while (runs.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + runs.size() + " of " + count + " requests ran");
            }
            Thread.sleep(20);
        }
    }

    /** Every record acknowledged: the share group's own count of unacknowledged records comes back to 0. */
    private static OptionalLong awaitBacklogZero(ShareGroup group) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        OptionalLong backlog = group.backlog();
        while ((backlog.isEmpty() || backlog.getAsLong() != 0) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            backlog = group.backlog();
        }
        return backlog;
    }
}
