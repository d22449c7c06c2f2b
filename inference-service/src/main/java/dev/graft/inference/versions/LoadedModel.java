package dev.graft.inference.versions;

import dev.graft.inference.batching.BatchScheduler;
import dev.graft.contract.manifest.ModelManifest;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * One loaded, verified and warmed model version with its batch scheduler. Reference counted: the
 * manager holds one reference while it keeps the version loaded, each request holds one while it
 * runs, and the last release stops the scheduler and frees the network's native memory, so a
 * swapped-out version finishes its in-flight requests first.
 */
public final class LoadedModel {
    private final ModelManifest manifest;
    private final ComputationGraph graph;
    private final BatchScheduler scheduler;
    private final AtomicInteger references = new AtomicInteger(1);
    private final CompletableFuture<Void> freed = new CompletableFuture<>();

    LoadedModel(ModelManifest manifest, ComputationGraph graph, BatchScheduler.Factory schedulers) {
        this.manifest = manifest;
        this.graph = graph;
        this.scheduler = schedulers.create(manifest.model(), manifest.version(), this::output);
    }

    public ModelManifest manifest() {
        return manifest;
    }

    public String model() {
        return manifest.model();
    }

    public int version() {
        return manifest.version();
    }

    /** Runs the network directly; DL4J graphs are not safe for concurrent use, so calls take turns. */
    public INDArray output(INDArray batch) {
        synchronized (graph) {
            return graph.output(false, batch)[0].detach();
        }
    }

    /**
     * Prepares {@code images} on the caller's thread and runs them in a shared batch with other requests;
     * the caller must hold a reference.
     */
    public CompletableFuture<INDArray> submit(Supplier<INDArray> images) {
        return scheduler.submit(images);
    }

    /** Takes a reference for one request; false if this version has already been released. */
    boolean tryAcquire() {
        int current;
        do {
            current = references.get();
            if (current == 0) {
                return false;
            }
        } while (!references.compareAndSet(current, current + 1));
        return true;
    }

    /**
     * Returns a reference; the last one stops the scheduler (nothing is queued: every queued request
     * holds a reference), frees the network's native memory and asks for one collection, so that the
     * native buffers of its last requests are returned now rather than at the next collection.
     */
    public void release() {
        release(true);
    }

    /**
     * At shutdown no collection is asked for: the process is ending, and one full collection per
     * version (DL4J's graph.close() asked for two) took a minute to stop a service holding 100 versions.
     */
    void releaseAtShutdown() {
        release(false);
    }

    private void release(boolean collect) {
        if (references.decrementAndGet() == 0) {
            scheduler.close();
            synchronized (graph) {
                INDArray params = graph.params();   // the weights; graph.close() would also collect twice
                if (params != null && params.closeable()) {
                    params.close();
                }
            }
            freed.complete(null);
            if (collect) {
                System.gc();
            }
        }
    }

    /** Runs {@code action} once the last reference is returned (at once if it already was). */
    void whenFreed(Runnable action) {
        freed.thenRun(action);
    }

    boolean isReleased() {
        return references.get() == 0;
    }
}
