package dev.graft.trainer.training;

import dev.graft.trainer.messaging.RequestRecord;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Requests taken on, trained one at a time in arrival order on the trainer's own thread (not a
 * Vert.x worker, whose blocked-thread checker would log a stack trace every two seconds of a long
 * training). Taking a request on only writes it to the journal, so its Kafka record is acknowledged
 * at once and the consumer never waits on a training: no poll interval or unacknowledged-record age
 * can run out, however long trainings take. At start-up, requests an earlier trainer took on and did
 * not finish are queued first, to resume from their checkpoints. At shutdown the running training
 * stops at its next batch and stays pending.
 */
@ApplicationScoped
public class TrainingQueue {
    private static final Logger LOG = Logger.getLogger(TrainingQueue.class);

    private final TrainingService trainings;
    private final ExecutorService trainingThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "graft-training"));
    private volatile boolean stopping;

    public TrainingQueue(TrainingService trainings) {
        this.trainings = trainings;
    }

    void resumeUnfinished(@Observes StartupEvent started) {
        for (PendingRequest pending : trainings.unfinished()) {
            LOG.infof("request %s was taken on by an earlier trainer and not finished: queued to resume", pending.requestId());
            enqueue(pending);
        }
    }

    /** Keeps the record's request (or answers it) and returns once it is safe to acknowledge the record. */
    public void take(RequestRecord record) {
        trainings.accept(record).ifPresent(this::enqueue);
    }

    private void enqueue(PendingRequest pending) {
        trainingThread.execute(() -> {
            if (!stopping) {
                trainings.train(pending, () -> stopping);
            }
        });
    }

    /** On the shutdown event, before the beans the running training uses (Kafka emitters) are closed under it. */
    void stop(@Observes ShutdownEvent shutdown) throws InterruptedException {
        stopping = true;
        trainingThread.shutdown();
        if (!trainingThread.awaitTermination(60, TimeUnit.SECONDS)) {
            LOG.warn("the running training did not stop within 60 s; it resumes from its checkpoint on restart");
            trainingThread.shutdownNow();
        }
    }
}
