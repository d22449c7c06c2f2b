package dev.graft.bench.resnet50;

import dev.graft.trainer.training.EpochResult;
import dev.graft.trainer.training.RecipeListener;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The RSS every 0.2 s; what it read while the feature pass ran is kept apart. */
final class RssSampler implements RecipeListener, AutoCloseable {
    private final List<Long> during = new ArrayList<>();
    private final Thread thread;
    private volatile boolean inPass;
    private volatile boolean recording;
    private volatile boolean closed;
    private volatile long peak;

    RssSampler() {
        thread = new Thread(() -> {
            while (!closed) {
                long now = rss();
                peak = Math.max(peak, now);
                if (inPass) {
                    synchronized (during) {
                        during.add(now);
                    }
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void epoch(EpochResult epoch) {
    }

    @Override
    public void phaseStarted(String phase) {
        inPass = recording && phase.equals("features");
    }

    @Override
    public void phaseEnded(String phase, double seconds) {
        if (phase.equals("features")) {
            inPass = false;
        }
    }

    List<Long> during() {
        synchronized (during) {
            if (during.size() < 4) {
                throw new IllegalStateException("the feature pass was too short to sample: " + during.size() + " samples");
            }
            return List.copyOf(during);
        }
    }

    /** The next feature pass is the one {@link #during} returns. */
    void recordPass() {
        recording = true;
    }

    void resetPeak() {
        peak = rss();
    }

    long peak() {
        return Math.max(peak, rss());
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        thread.join();
    }

    private static long rss() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", "")) * 1024).findFirst().orElse(0L);
        } catch (IOException e) {
            return 0;
        }
    }
}
