package dev.graft.trainer.intake;

import dev.graft.contract.events.Topics;
import dev.graft.trainer.job.Job;
import dev.graft.trainer.job.JobRunner;
import dev.graft.trainer.job.Pause;
import dev.graft.trainer.pool.Claims;
import dev.graft.trainer.pool.PoolSettings;
import dev.graft.trainer.pool.RequestRecord;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import io.smallrye.common.annotation.Identifier;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Takes training requests from the share group one record at a time, on its own thread, and holds
 * each until its outcome is published: the record is acknowledged (ACCEPT, or REJECT when dead-lettered)
 * only then, RELEASEd when the trainer stops first, and its acquisition lock is renewed (RENEW)
 * every third of the lock while it trains, however long that is. A trainer that dies loses the lock
 * when it expires and the broker gives the record to another trainer, which resumes from the
 * checkpoint. The training itself runs on a thread of its own (not a Vert.x worker, whose
 * blocked-thread checker would log every two seconds of a long training).
 * <p>
 * {@code share.acquire.mode=record_limit} with {@code max.poll.records=1} makes the broker lock one
 * record per poll, so a busy trainer holds nothing another could train. After a renewal the broker
 * hands the renewed record back on the next poll (Kafka 4.2.1 behaviour), and nothing else. A trainer
 * whose lock was lost (Kafka away, or the trainer starved, for two locks) joins again but takes nothing
 * until its training has ended: its record is no longer its own, and a poll would only acquire records
 * waiting for other trainers and release them, each time spending one of their deliveries until the
 * broker archives them (seen once in TrainerPoolTest: four requests never delivered again).
 */
@ApplicationScoped
public class ShareGroupIntake {
    private static final Logger LOG = Logger.getLogger(ShareGroupIntake.class);
    private static final Duration POLL = Duration.ofSeconds(1);
    private static final Duration BRIEF_POLL = Duration.ofMillis(200);
    private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration STOP_WAIT = Duration.ofSeconds(60);

    private final JobRunner trainings;
    private final AtomicLong renewals = new AtomicLong();
    private final Claims claims;
    private final PoolSettings pool;
    private final ShareGroup group;
    private final Map<String, Object> kafka;
    private final ExecutorService trainingThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "graft-training"));
    private final Thread thread = new Thread(this::run, "graft-intake");
    private volatile boolean stopping;
    private volatile Job current;
    /** Why the intake last paused, so a long pause is logged once; empty while it takes requests. */
    private String pausedFor = "";

    /** {@code kafka}: the application's kafka.* settings (servers, TLS, SASL), as every Kafka client of the trainer gets them. */
    public ShareGroupIntake(JobRunner trainings, Claims claims, PoolSettings pool, ShareGroup group,
                            @Identifier("default-kafka-broker") Map<String, Object> kafka) {
        this.trainings = trainings;
        this.claims = claims;
        this.pool = pool;
        this.group = group;
        this.kafka = Map.copyOf(kafka);
    }

    public void start(@Observes StartupEvent started) {
        thread.start();
    }

    /** The request this trainer holds now, if any. */
    public Optional<Job> current() {
        return Optional.ofNullable(current);
    }

    /** Lock renewals sent since start. */
    public long renewals() {
        return renewals.get();
    }

    /** On the shutdown event, before the beans the running training uses (Kafka emitters) are closed under it. */
    public void stop(@Observes ShutdownEvent shutdown) throws InterruptedException {
        stopping = true;
        Job job = current;
        if (job != null) {
            job.stop();
        }
        thread.join(STOP_WAIT.toMillis());
        if (thread.isAlive()) {
            LOG.warn("the running training did not stop within 60 s; its lock expires and another trainer resumes it");
            thread.interrupt();
        }
        trainingThread.shutdownNow();
    }

    private void run() {
        int deliveryLimit = group.prepare(() -> stopping);
        Held held = null;
        while (!stopping || held != null) {
            try (KafkaShareConsumer<String, String> consumer = new KafkaShareConsumer<>(consumerConfig(),
                    new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(Topics.TRAINING_REQUESTS));
                while ((!stopping || held != null) && (held == null || !held.lockLost())) {
                    try {
                        held = held == null ? take(consumer, deliveryLimit) : tend(consumer, held);
                    } catch (org.apache.kafka.common.errors.InterruptException e) {
                        LOG.warn("the intake was interrupted while stopping");
                        return;
                    } catch (org.apache.kafka.common.errors.GroupIdNotFoundException e) {
                        LOG.errorf("share group %s: %s A consumer group has that name; give the pool its own"
                                + " (graft.trainer.group)", pool.group(), e.getMessage());
                        Pause.sleep(POLL.multipliedBy(10));
                    } catch (RuntimeException e) {
                        // Kafka away: the training goes on, the next round tries again
                        LOG.warnf("share group %s: %s", pool.group(), e.toString());
                        Pause.sleep(POLL);
                    }
                }
            }
            if (held != null && held.lockLost()) {
                // a broker that came back may have handed the record on, and this consumer's view of what it holds
                // is stale: a new member lets the training end before it takes anything, and the record is delivered
                // again (to another trainer, which finds this trainer's live claim and waits for its outcome, or here
                // afterwards, answered from that outcome)
                LOG.warnf("request record offset %d: its lock was lost (Kafka away for longer than it); joining the"
                        + " group again once its training has ended", held.record.offset());
                held.rejoined();
                if (held.outcome.isDone()) {
                    current = null;
                    held = null;
                }
            }
        }
    }

    /** Idle: at most one record, handed to the training thread; none while the trainer cannot work. */
    private Held take(KafkaShareConsumer<String, String> consumer, int deliveryLimit) {
        Optional<String> unavailable = trainings.unavailable();
        if (unavailable.isPresent()) {
            if (!pausedFor.equals(unavailable.get())) {
                LOG.warnf("taking no request while %s", unavailable.get());
                pausedFor = unavailable.get();
            }
            Pause.sleep(POLL);
            return null;
        }
        if (!pausedFor.isEmpty()) {
            LOG.info("taking requests again");
            pausedFor = "";
        }
        for (ConsumerRecord<String, String> record : consumer.poll(POLL)) {
            int deliveries = record.deliveryCount().map(Short::intValue).orElse(1);
            Job job = new Job(new RequestRecord(record.key(), record.value(), record.topic(), record.partition(),
                    record.offset(), deliveries, traceContext(record)), deliveries >= deliveryLimit);
            current = job;
            if (stopping) {
                job.stop();
            }
            Future<AcknowledgeType> outcome = trainingThread.submit(() -> trainings.run(job));
            return new Held(job, record, outcome, System.nanoTime(), pool.lockDuration().toNanos());
        }
        return null;
    }

    /**
     * Busy: renews the lock and beats the claim every renewal interval, takes the renewed record back,
     * and acknowledges it once the training has answered.
     */
    private Held tend(KafkaShareConsumer<String, String> consumer, Held held) {
        long now = System.nanoTime();
        if (now - held.lastBeat >= pool.renewInterval().toNanos()) {
            held.lastBeat = now;
            held.job.claim().ifPresent(claim -> claims.beat(claim).ifPresentOrElse(held.job::claimed, () -> {
                LOG.warnf("request %s was taken over by another trainer: this one gives it up", claim.requestId());
                held.job.lose();
            }));
        }
        if (held.rejoined) {
            // the record is no longer this trainer's to renew or acknowledge; polling now would only acquire records
            // waiting for other trainers and release them, each time spending one of their deliveries
            if (held.outcome.isDone()) {
                current = null;
                return null;
            }
            awaitOutcome(held, BRIEF_POLL.toNanos());
            return held;
        }
        if (held.renewing) {
            for (ConsumerRecord<String, String> record : consumer.poll(BRIEF_POLL)) {
                if (held.sameRecord(record)) {
                    held.record = record;
                    held.renewing = false;
                } else {
                    consumer.acknowledge(record, AcknowledgeType.RELEASE);
                }
            }
            return held;
        }
        if (held.outcome.isDone()) {
            AcknowledgeType type = answer(held);
            consumer.acknowledge(held.record, type);
            consumer.commitSync(COMMIT_TIMEOUT).forEach((partition, error) -> error.ifPresent(e ->
                    LOG.warnf("the %s of request record %s offset %d did not reach the broker (%s): whoever gets the record"
                            + " next answers it from the recorded outcome", type, partition, held.record.offset(), e)));
            current = null;
            return null;
        }
        if (now - held.lastRenewal >= pool.renewInterval().toNanos()) {
            held.lastRenewal = now;
            consumer.acknowledge(held.record, AcknowledgeType.RENEW);
            held.renewing = true;
            consumer.commitSync(COMMIT_TIMEOUT);
            renewals.incrementAndGet();
            return held;
        }
        // wake for the outcome, or for the next renewal or heartbeat, whichever comes first
        long untilDue = Math.min(held.lastRenewal, held.lastBeat) + pool.renewInterval().toNanos() - now;
        awaitOutcome(held, Math.min(BRIEF_POLL.toNanos(), untilDue));
        return held;
    }

    private static void awaitOutcome(Held held, long nanos) {
        try {
            held.outcome.get(Math.max(1, nanos), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException stillTraining) {
            // the next round looks again
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static AcknowledgeType answer(Held held) {
        try {
            return held.outcome.get();
        } catch (ExecutionException e) {
            LOG.errorf(e.getCause(), "request record offset %d: the training ended unexpectedly; released for another try",
                    held.record.offset());
            return AcknowledgeType.RELEASE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return AcknowledgeType.RELEASE;
        }
    }

    private Map<String, Object> consumerConfig() {
        Map<String, Object> config = new HashMap<>(kafka);
        config.putAll(Map.of("group.id", pool.group(),
                "client.id", "graft-trainer-" + pool.trainerId(),
                "share.acknowledgement.mode", "explicit",
                "share.acquire.mode", "record_limit",
                "max.poll.records", 1));
        return config;
    }


    /** The record a trainer holds: its latest handle (a renewal hands a new one back), and its training. */
    private static final class Held {
        final Job job;
        final Future<AcknowledgeType> outcome;
        final long lockNanos;
        ConsumerRecord<String, String> record;
        boolean renewing;
        /** Its lock was lost and this trainer joined again: the record is no longer this trainer's. */
        boolean rejoined;
        long lastRenewal;
        long lastBeat;

        Held(Job job, ConsumerRecord<String, String> record, Future<AcknowledgeType> outcome, long now, long lockNanos) {
            this.job = job;
            this.lockNanos = lockNanos;
            this.record = record;
            this.outcome = outcome;
            this.lastRenewal = now;
            this.lastBeat = now;
        }

        /** Renewed, and not handed back for two locks: the broker no longer counts it as this trainer's. */
        boolean lockLost() {
            return !rejoined && renewing && System.nanoTime() - lastRenewal > 2 * lockNanos;
        }

        void rejoined() {
            rejoined = true;
        }

        boolean sameRecord(ConsumerRecord<String, String> other) {
            return other.topic().equals(record.topic()) && other.partition() == record.partition()
                    && other.offset() == record.offset();
        }
    }

    /** The record's W3C trace context headers, as text. */
    private static Map<String, String> traceContext(ConsumerRecord<String, String> record) {
        Map<String, String> context = new HashMap<>();
        for (String name : List.of("traceparent", "tracestate")) {
            Header header = record.headers().lastHeader(name);
            if (header != null && header.value() != null) {
                context.put(name, new String(header.value(), StandardCharsets.UTF_8));
            }
        }
        return context;
    }
}
