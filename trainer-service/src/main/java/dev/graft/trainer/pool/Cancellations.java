package dev.graft.trainer.pool;

import jakarta.enterprise.context.ApplicationScoped;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * requestIds whose cancellation arrived, whether their training runs now, waits in the queue, or has
 * not been sent yet. The running training checks before every batch; a waiting one is answered
 * cancelled when its turn comes. Bounded: the oldest are forgotten first.
 */
@ApplicationScoped
public class Cancellations {
    private static final int KEPT = 10_000;

    private final Set<String> requested = Collections.synchronizedSet(Collections.newSetFromMap(
            new LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > KEPT;
                }
            }));

    public void cancel(String requestId) {
        requested.add(requestId);
    }

    public boolean isCancelled(String requestId) {
        return requested.contains(requestId);
    }
}
