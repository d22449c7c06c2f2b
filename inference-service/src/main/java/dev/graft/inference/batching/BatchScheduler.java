package dev.graft.inference.batching;

import org.nd4j.linalg.api.memory.MemoryWorkspaceManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Dynamic batching for one model version: requests that arrive together share one forward pass.
 * A batch closes when it holds {@code maxBatchSize} images, or {@code maxWait} after its first
 * request arrived or the previous pass ended, whichever is later: no request waits longer than
 * {@code maxWait} for company once the network is free. Counting from the end of the previous pass
 * matters under load: the clients it answered send their next requests within a millisecond or
 * two, and they join the requests that queued during the pass instead of forming a batch of their
 * own. A batch also closes early, once it holds as many images as the previous pass and no other
 * request is on its way (being decoded, or queued): under a steady load that is everyone the last
 * pass answered, and waiting longer would only leave the network idle (issue 16: a batch of 8 from
 * 8 clients waited out the 5 ms every pass). One thread runs the passes, because a network is not
 * safe for concurrent use anyway.
 */
public final class BatchScheduler implements AutoCloseable {

    /** Told of every pass: each request's wait in the queue, the pass's time and its number of images. */
    public interface Listener {
        void batch(long[] queueNanos, long computeNanos, int images);
    }

    /** Makes the scheduler of one loaded model version. */
    public interface Factory {
        BatchScheduler create(String model, int version, UnaryOperator<INDArray> forward);
    }

    private record Pending(INDArray images, long enqueued, CompletableFuture<INDArray> result) {
    }

    private static final Pending STOP = new Pending(null, 0, null);

    private final UnaryOperator<INDArray> forward;
    private final int maxBatchSize;
    private final long maxWaitNanos;
    private final Listener listener;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    /** Requests submitted and not yet taken from the queue by the worker, their preparation included. */
    private final AtomicInteger arriving = new AtomicInteger();
    private final Thread worker;
    private volatile boolean closed;
    /** A request that did not fit the previous batch; it opens the next one. */
    private Pending carried;
    /** When the previous pass ended (worker thread only). */
    private long freeSince;
    /** Images in the previous pass (worker thread only); before the first, one. */
    private long previousRows = 1;

    /** @param forward the network: [n, c, h, w] in, [n, outputs] out */
    public BatchScheduler(String name, UnaryOperator<INDArray> forward, int maxBatchSize, Duration maxWait,
                          Listener listener) {
        this.forward = forward;
        this.maxBatchSize = maxBatchSize;
        this.maxWaitNanos = maxWait.toNanos();
        this.listener = listener;
        this.worker = new Thread(this::run, "graft-batch-" + name);
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /**
     * Prepares the images ([k, c, h, w]) on the caller's thread, counted as on their way meanwhile, and
     * queues them; the result has their k output rows, in order. What {@code images} throws, this throws.
     */
    public CompletableFuture<INDArray> submit(Supplier<INDArray> images) {
        CompletableFuture<INDArray> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new IllegalStateException("this model version no longer serves"));
            return result;
        }
        arriving.incrementAndGet();
        INDArray prepared;
        try {
            prepared = images.get();
        } catch (RuntimeException e) {
            arriving.decrementAndGet();
            throw e;
        }
        queue.add(new Pending(prepared, System.nanoTime(), result));   // the worker uncounts it when it takes it
        return result;
    }

    private Pending take() throws InterruptedException {
        return taken(queue.take());
    }

    private Pending poll(long nanos) throws InterruptedException {
        return taken(nanos > 0 ? queue.poll(nanos, TimeUnit.NANOSECONDS) : queue.poll());
    }

    private Pending taken(Pending pending) {
        if (pending != null && pending != STOP) {
            arriving.decrementAndGet();
        }
        return pending;
    }

    private void run() {
        try {
            while (true) {
                Pending first = carried != null ? carried : take();
                carried = null;
                if (first == STOP) {
                    return;
                }
                List<Pending> batch = new ArrayList<>();
                batch.add(first);
                long rows = first.images().size(0);
                boolean stop = false;
                long deadline = Math.max(first.enqueued(), freeSince) + maxWaitNanos;
                while (rows < maxBatchSize) {
                    if (rows >= previousRows && arriving.get() == 0) {
                        break;   // as many as last time, and nobody else on the way
                    }
                    Pending next = poll(deadline - System.nanoTime());
                    if (next == null) {
                        break;
                    }
                    if (next == STOP) {
                        stop = true;
                        break;
                    }
                    if (rows + next.images().size(0) > maxBatchSize) {
                        carried = next;
                        break;
                    }
                    batch.add(next);
                    rows += next.images().size(0);
                }
                execute(batch, (int) rows);
                freeSince = System.nanoTime();
                previousRows = rows;
                if (stop) {
                    drain();
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // ND4J keeps workspaces per thread and frees them only on request: a retired version's
            // thread would otherwise take its workspaces' native memory with it, a swap at a time. One by
            // one: destroyAllWorkspacesForCurrentThread() also asks for a full collection (the version's
            // release asks for one, once, unless the service is stopping)
            MemoryWorkspaceManager workspaces = Nd4j.getWorkspaceManager();
            workspaces.getAllWorkspacesForCurrentThread().forEach(workspaces::destroyWorkspace);   // a copy
        }
    }

    /** After close: whatever is still queued runs, so accepted requests are never dropped. */
    private void drain() {
        List<Pending> rest = new ArrayList<>();
        if (carried != null) {
            rest.add(carried);
        }
        queue.drainTo(rest);
        for (Pending pending : rest) {
            if (pending != STOP) {
                execute(List.of(pending), (int) pending.images().size(0));
            }
        }
    }

    private void execute(List<Pending> batch, int rows) {
        long start = System.nanoTime();
        long[] queueNanos = new long[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            queueNanos[i] = start - batch.get(i).enqueued();
        }
        try {
            INDArray input = batch.size() == 1 ? batch.get(0).images()
                    : Nd4j.concat(0, batch.stream().map(Pending::images).toArray(INDArray[]::new));
            INDArray output = forward.apply(input);
            long computeNanos = System.nanoTime() - start;
            // counted before anyone is answered: whoever reads the metrics after an answer sees its pass
            listener.batch(queueNanos, computeNanos, rows);
            long offset = 0;
            for (Pending pending : batch) {
                long k = pending.images().size(0);
                pending.result().complete(batch.size() == 1 ? output
                        : output.get(NDArrayIndex.interval(offset, offset + k), NDArrayIndex.all()).dup());
                offset += k;
            }
        } catch (RuntimeException e) {
            batch.forEach(pending -> pending.result().completeExceptionally(e));
        }
    }

    /** Stops taking requests; those already queued still run. Returns once the worker has finished. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        queue.add(STOP);
        if (Thread.currentThread() != worker) {
            try {
                worker.join(Duration.ofMinutes(1).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
