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

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the images of logged predictions in a folder or bucket ({@code graft.capture.location}), once per
 * sha256 under {@code MODEL/SHA256.EXT}, written on a thread of its own from a buffer bounded in images
 * and bytes: a request only offers its image. Bounded by {@code graft.capture.max-bytes}, counting what
 * is there at start. Every offered image is counted once in {@code graft_captured_images_total{outcome}}:
 * stored, duplicate (that model has it already), dropped (buffer full, or still in it at shutdown), full
 * (over the bound), failed (storage refused).
 */
@ApplicationScoped
public class ImageCapture {
    private static final Logger LOG = Logger.getLogger(ImageCapture.class);
    /** Keys known to exist, so a popular image costs no storage call; older ones are asked about again. */
    private static final int KNOWN_KEYS = 100_000;
    private static final Duration DRAIN_ON_STOP = Duration.ofSeconds(5);

    private final boolean enabled;
    private final String location;
    private final Blobs blobs;
    private final long maxBytes;
    private final BackgroundQueue<Pending> buffer;
    private final MeterRegistry registry;
    private final AtomicLong bytes = new AtomicLong();
    /** Touched by the capture thread only. */
    private final Set<String> known = Collections.newSetFromMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > KNOWN_KEYS;
        }
    });

    private record Pending(String key, byte[] image) {
    }

    @Inject
    public ImageCapture(InferenceConfig config, MeterRegistry registry) {
        this(config.capture().images(), config.capture().location(),
                config.capture().images() ? StorageUri.parse(config.capture().location()).open(config.s3().settings()) : null,
                config.capture().maxBytes(), config.capture().buffer(), config.capture().bufferBytes(), registry);
    }

    ImageCapture(boolean enabled, String location, Blobs blobs, long maxBytes, int buffer, long bufferBytes,
                 MeterRegistry registry) {
        if (enabled && (maxBytes < 0 || buffer < 1 || bufferBytes < 1)) {
            throw new IllegalArgumentException("graft.capture.max-bytes must be >= 0, graft.capture.buffer and"
                    + " graft.capture.buffer-bytes >= 1");
        }
        this.enabled = enabled;
        this.location = location.endsWith("/") ? location : location + "/";
        this.blobs = blobs;
        this.maxBytes = maxBytes;
        this.registry = registry;
        this.buffer = new BackgroundQueue<>("graft-image-capture", Math.max(1, buffer), bufferBytes,
                pending -> pending.image().length, pending -> count(store(pending)), pending -> count("dropped"));
        Gauge.builder("graft_captured_bytes", bytes, AtomicLong::get)
                .description("Bytes of captured images, what was there at start included").register(registry);
    }

    void start(@Observes StartupEvent started) {
        if (enabled) {
            buffer.start(this::countWhatIsThere);
        }
    }

    /**
     * Offers the encoded image of a logged prediction; never blocks. Where the prediction log says it is
     * kept, or empty when capture is off or the bytes are no image format the service takes.
     */
    public Optional<String> offer(String model, String sha256, byte[] image) {
        Optional<String> extension = ImageFormats.extension(image);
        if (!enabled || extension.isEmpty()) {
            return Optional.empty();
        }
        String key = model + "/" + sha256 + "." + extension.get();
        if (!buffer.offer(new Pending(key, image))) {
            count("dropped");
        }
        return Optional.of(location + key);
    }

    private void countWhatIsThere() {
        try {
            bytes.set(blobs.entries("").stream().mapToLong(Blobs.Entry::size).sum());
        } catch (ModelStoreException e) {
            LOG.warnf("cannot list the captured images in %s (%s): counting from 0", blobs.location(), e.getMessage());
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
        buffer.stop(DRAIN_ON_STOP);
    }
}
