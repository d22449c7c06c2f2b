package dev.graft.inference.loop;

import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * A bounded buffer that one thread of its own hands to a handler: offering never blocks, and what does
 * not fit (items, or their bytes) is refused. A failing handler costs its item, never the thread. At
 * stop, what is buffered is handled for a while at most; what is left then goes to {@code leftOver}, so
 * that every item offered ends counted somewhere.
 */
public final class BackgroundQueue<T> {
    private static final Logger LOG = Logger.getLogger(BackgroundQueue.class);

    private final BlockingQueue<T> buffer;
    private final long maxBytes;
    private final ToLongFunction<T> size;
    private final Object bytesLock = new Object();
    private long bytes;
    private final Consumer<T> handler;
    private final Consumer<T> leftOver;
    private final Thread thread;
    private volatile Runnable first = () -> { };
    private volatile boolean stopping;

    public BackgroundQueue(String name, int capacity, long maxBytes, ToLongFunction<T> size, Consumer<T> handler, Consumer<T> leftOver) {
        this.buffer = new ArrayBlockingQueue<>(capacity);
        this.maxBytes = maxBytes;
        this.size = size;
        this.handler = handler;
        this.leftOver = leftOver;
        this.thread = new Thread(this::drain, name);
        thread.setDaemon(true);
    }

    /** Starts the thread, which runs {@code first} before it takes any item. */
    public void start(Runnable first) {
        this.first = first;
        thread.start();
    }

    /** Never blocks: false when stopping, full, or over the bytes bound. */
    public boolean offer(T item) {
        long itemBytes = size.applyAsLong(item);
        synchronized (bytesLock) {
            if (stopping || bytes + itemBytes > maxBytes) {
                return false;
            }
            bytes += itemBytes;
        }
        if (buffer.offer(item)) {
            return true;
        }
        release(item);
        return false;
    }

    private void release(T item) {
        synchronized (bytesLock) {
            bytes -= size.applyAsLong(item);
        }
    }

    private void drain() {
        first.run();
        while (true) {
            T item;
            try {
                item = buffer.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (item == null) {
                if (stopping) {
                    return;
                }
                continue;
            }
            release(item);
            try {
                handler.accept(item);
            } catch (RuntimeException e) {
                LOG.warnf(e, "%s: an item was lost", thread.getName());
                leftOver.accept(item);
            }
        }
    }

    /** Hands on what is buffered for up to {@code drain}; what is left then goes to the left-over handler. */
    public void stop(Duration drain) throws InterruptedException {
        stopping = true;
        if (thread.isAlive()) {
            thread.join(drain.toMillis());
            thread.interrupt();
            thread.join(drain.toMillis());
        }
        List<T> left = new ArrayList<>();
        buffer.drainTo(left);
        left.forEach(leftOver);
    }
}
