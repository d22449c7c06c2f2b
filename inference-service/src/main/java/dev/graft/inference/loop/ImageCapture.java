package dev.graft.inference.loop;

import dev.graft.inference.config.InferenceConfig;
import dev.graft.store.Blobs;
import dev.graft.store.ModelStoreException;
import dev.graft.store.StorageUri;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the images of logged predictions in a folder or bucket ({@code graft.capture.location}), once per
 * sha256 under {@code MODEL/SHA256.EXT}, written on a thread of its own from a bounded buffer: a request
 * only offers its image. Bounded by {@code graft.capture.max-bytes}, counting what is there at start.
 * Every offered image is counted once in {@code graft_captured_images_total{outcome}}: stored, duplicate
 * (that model has it already), dropped (buffer full), full (over the bound), failed (storage refused).
 */
@ApplicationScoped
public class ImageCapture {
    private static final Logger LOG = Logger.getLogger(ImageCapture.class);
    /** Keys known to exist, so a popular image costs no storage call; older ones are asked about again. */
    private static final int KNOWN_KEYS = 100_000;

    private final boolean enabled;
    private final String location;
    private final Blobs blobs;
    private final long maxBytes;
    private final BlockingQueue<Pending> buffer;
    private final MeterRegistry registry;
    private final AtomicLong bytes = new AtomicLong();
    private final Set<String> known = Collections.newSetFromMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > KNOWN_KEYS;
        }
    });
    private final Thread thread = new Thread(this::write, "graft-image-capture");
    private volatile boolean stopping;

    private record Pending(String key, byte[] image) {
    }

    @Inject
    public ImageCapture(InferenceConfig config, MeterRegistry registry) {
        this(config.capture().images(), config.capture().location(),
                config.capture().images() ? StorageUri.parse(config.capture().location()).open(config.s3().settings()) : null,
                config.capture().maxBytes(), config.capture().buffer(), registry);
    }

    ImageCapture(boolean enabled, String location, Blobs blobs, long maxBytes, int buffer, MeterRegistry registry) {
        if (enabled && (maxBytes < 0 || buffer < 1)) {
            throw new IllegalArgumentException("graft.capture.max-bytes must be >= 0 and graft.capture.buffer >= 1");
        }
        this.enabled = enabled;
        this.location = location.endsWith("/") ? location : location + "/";
        this.blobs = blobs;
        this.maxBytes = maxBytes;
        this.buffer = new ArrayBlockingQueue<>(Math.max(1, buffer));
        this.registry = registry;
        Gauge.builder("graft_captured_bytes", bytes, AtomicLong::get)
                .description("Bytes of captured images, what was there at start included").register(registry);
        thread.setDaemon(true);
    }

    void start(@Observes StartupEvent started) {
        if (enabled) {
            thread.start();
        }
    }

    /**
     * Offers the image of a logged prediction; never blocks. The image's location as the prediction log
     * names it, or empty when capture is off or the image is not one (a tensor).
     */
    public Optional<String> offer(String model, String sha256, byte[] image) {
        Optional<String> extension = ImageFormats.extension(image);
        if (!enabled || extension.isEmpty()) {
            return Optional.empty();
        }
        String key = model + "/" + sha256 + "." + extension.get();
        if (stopping || !buffer.offer(new Pending(key, image))) {
            count("dropped");
        }
        return Optional.of(location + key);
    }

    private void write() {
        try {
            bytes.set(blobs.entries("").stream().mapToLong(Blobs.Entry::size).sum());
        } catch (ModelStoreException e) {
            LOG.warnf("cannot list the captured images in %s (%s): counting from 0", blobs.location(), e.getMessage());
        }
        while (true) {
            Pending pending;
            try {
                pending = buffer.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (pending == null) {
                if (stopping) {
                    return;
                }
                continue;
            }
            count(store(pending));
        }
    }

    private String store(Pending pending) {
        if (known.contains(pending.key())) {
            return "duplicate";
        }
        if (bytes.get() + pending.image().length > maxBytes) {
            return "full";
        }
        try {
            boolean created = blobs.create(pending.key(), pending.image());
            known.add(pending.key());
            if (!created) {
                return "duplicate";
            }
            bytes.addAndGet(pending.image().length);
            return "stored";
        } catch (ModelStoreException e) {
            LOG.debugf("image capture: %s", e.getMessage());
            return "failed";
        }
    }

    private void count(String outcome) {
        registry.counter("graft_captured_images", "outcome", outcome).increment();
    }

    void stop(@Observes ShutdownEvent shutdown) throws InterruptedException {
        stopping = true;
        if (thread.isAlive()) {
            thread.join(5000);
            thread.interrupt();
        }
    }
}
