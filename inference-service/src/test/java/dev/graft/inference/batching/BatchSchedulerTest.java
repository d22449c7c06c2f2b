package dev.graft.inference.batching;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class BatchSchedulerTest {

    /** A stand-in network: each output row is its input row's sum and the row's position in the batch. */
    private static INDArray forward(INDArray batch) {
        INDArray out = Nd4j.zeros(DataType.FLOAT, batch.size(0), 2);
        for (int i = 0; i < batch.size(0); i++) {
            out.putScalar(i, 0, batch.getRow(i).sumNumber().doubleValue());
            out.putScalar(i, 1, i);
        }
        return out;
    }

    @Test
    void concurrentRequestsShareAPassAndEachGetsItsOwnRowsInOrder() throws Exception {
        List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        CountDownLatch firstPassRunning = new CountDownLatch(1);
        CountDownLatch releaseFirstPass = new CountDownLatch(1);
        try (BatchScheduler scheduler = new BatchScheduler("test", batch -> {
            firstPassRunning.countDown();
            try {
                releaseFirstPass.await(10, TimeUnit.SECONDS);   // holds the network so that the others queue up
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return forward(batch);
        }, 8, Duration.ofMillis(50), (queue, compute, images) -> batchSizes.add(images))) {
            CompletableFuture<INDArray> blocker = scheduler.submit(() -> Nd4j.ones(DataType.FLOAT, 1, 3));
            firstPassRunning.await(10, TimeUnit.SECONDS);
            List<CompletableFuture<INDArray>> results = new ArrayList<>();
            for (int r = 0; r < 5; r++) {
                // request r has r+1 rows whose values sum to 100r + row
                INDArray rows = Nd4j.zeros(DataType.FLOAT, r + 1, 3);
                for (int row = 0; row <= r; row++) {
                    rows.putScalar(row, 0, 100 * r + row);
                }
                results.add(scheduler.submit(() -> rows));
            }
            releaseFirstPass.countDown();
            assertThat(blocker.get(10, TimeUnit.SECONDS).getDouble(0, 0)).isEqualTo(3.0);
            for (int r = 0; r < 5; r++) {
                INDArray out = results.get(r).get(10, TimeUnit.SECONDS);
                assertThat(out.size(0)).isEqualTo(r + 1);
                for (int row = 0; row <= r; row++) {
                    assertThat(out.getDouble(row, 0)).isEqualTo(100.0 * r + row);
                }
            }
            // 15 queued rows in batches of at most 8, requests never split: 1+2+3 (6), then 4 (carried), then 5
            assertThat(batchSizes).containsExactly(1, 6, 4, 5);
        }
    }

    /** A first pass of 2 rows: the network held by a blocker while two requests queue. */
    private static void passOfTwo(BatchScheduler scheduler, CountDownLatch running, CountDownLatch release) throws Exception {
        CompletableFuture<INDArray> blocker = scheduler.submit(() -> Nd4j.ones(DataType.FLOAT, 1, 1));
        running.await(10, TimeUnit.SECONDS);
        CompletableFuture<INDArray> first = scheduler.submit(() -> Nd4j.ones(DataType.FLOAT, 1, 1));
        CompletableFuture<INDArray> second = scheduler.submit(() -> Nd4j.ones(DataType.FLOAT, 1, 1));
        release.countDown();
        CompletableFuture.allOf(blocker, first, second).get(10, TimeUnit.SECONDS);
    }

    private static BatchScheduler heldOnce(String name, Duration maxWait, CountDownLatch running, CountDownLatch release,
                                           BatchScheduler.Listener listener) {
        return new BatchScheduler(name, batch -> {
            running.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return forward(batch);
        }, 8, maxWait, listener);
    }

    @Test
    void aBatchAsLargeAsThePreviousPassWithNobodyOnTheWayRunsWithoutWaiting() throws Exception {
        List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // a max wait no test outlasts: the batches below must close without it
        try (BatchScheduler scheduler = heldOnce("early", Duration.ofMinutes(5), running, release,
                (queue, compute, images) -> batchSizes.add(images))) {
            passOfTwo(scheduler, running, release);
            CompletableFuture<INDArray> a = scheduler.submit(() -> Nd4j.ones(DataType.FLOAT, 1, 1));
            CompletableFuture<INDArray> b = scheduler.submit(() -> Nd4j.ones(DataType.FLOAT, 1, 1));
            CompletableFuture.allOf(a, b).get(10, TimeUnit.SECONDS);
            assertThat(batchSizes).containsExactly(1, 2, 2);
        }
    }

    @Test
    void aLoneRequestAfterALargerPassWaitsForCompanyForTheMaxWaitAndNoLonger() throws Exception {
        long[] queued = new long[1];
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (BatchScheduler scheduler = heldOnce("lone", Duration.ofSeconds(1), running, release,
                (queue, compute, images) -> queued[0] = queue[0])) {
            passOfTwo(scheduler, running, release);
            INDArray out = scheduler.submit(() -> Nd4j.ones(DataType.FLOAT, 1, 4)).get(10, TimeUnit.SECONDS);
            assertThat(out.getDouble(0, 0)).isEqualTo(4.0);
        }
        // at least the max wait, for the company the previous pass had; then it runs alone, well before a
        // second max wait (the margin is scheduling noise; a full batch that never comes would never run it)
        assertThat(queued[0] / 1e9).isGreaterThanOrEqualTo(1.0).isLessThan(1.9);
    }

    @Test
    void closingRunsWhatIsQueuedAndRefusesNewRequests() throws Exception {
        BatchScheduler scheduler = new BatchScheduler("closing", BatchSchedulerTest::forward, 4, Duration.ZERO,
                (queue, compute, images) -> { });
        CompletableFuture<INDArray> accepted = scheduler.submit(() -> Nd4j.ones(DataType.FLOAT, 1, 2));
        scheduler.close();
        assertThat(accepted.get(10, TimeUnit.SECONDS).getDouble(0, 0)).isEqualTo(2.0);
        assertThat(scheduler.submit(() -> Nd4j.ones(DataType.FLOAT, 1, 2))).isCompletedExceptionally();
    }
}
