package dev.graft.store;

import dev.graft.contract.manifest.ModelManifest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Local copies of artifacts from object storage, {@code DIR/MODEL/VERSION/ARTIFACT}, bounded in
 * bytes: after each download the least recently used copies go until the rest fit. A loaded
 * model lives in memory, so evicting its file costs only a download if it is loaded again.
 */
public final class ArtifactCache {
    private final Path dir;
    private final long maxBytes;

    public ArtifactCache(Path dir, long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("the artifact cache needs a positive size, not " + maxBytes);
        }
        this.dir = dir.toAbsolutePath().normalize();
        this.maxBytes = maxBytes;
    }

    public Path dir() {
        return dir;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** The cached, verified copy; downloaded when absent, and again once when the copy fails the check. */
    synchronized Path fetch(ModelManifest manifest, Blobs blobs, String key, Consumer<Path> verify) {
        Path file = dir.resolve(manifest.model()).resolve(Integer.toString(manifest.version())).resolve(manifest.artifact());
        if (Files.isRegularFile(file)) {
            try {
                verify.accept(file);
                touch(file);
                return file;
            } catch (ModelStoreException damaged) {
                deleteQuietly(file);
            }
        }
        blobs.download(key, file);
        try {
            verify.accept(file);
        } catch (ModelStoreException e) {
            deleteQuietly(file);
            throw e;
        }
        touch(file);
        evictBeyond(maxBytes, file);
        return file;
    }

    /** Bytes held now. */
    public synchronized long sizeBytes() {
        return entries().stream().mapToLong(ArtifactCache::size).sum();
    }

    private void evictBeyond(long limit, Path keep) {
        List<Path> entries = new ArrayList<>(entries());
        entries.sort(Comparator.comparing(ArtifactCache::lastUsed));
        long total = entries.stream().mapToLong(ArtifactCache::size).sum();
        for (Path entry : entries) {
            if (total <= limit) {
                break;
            }
            if (!entry.equals(keep)) {
                total -= size(entry);
                deleteQuietly(entry);
            }
        }
    }

    private List<Path> entries() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir, 3)) {
            return files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith(".")).toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }

    private static void touch(Path file) {
        try {
            Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
        } catch (IOException ignored) {
            // the order of eviction is a hint
        }
    }

    private static FileTime lastUsed(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a later fetch overwrites it
        }
    }
}
