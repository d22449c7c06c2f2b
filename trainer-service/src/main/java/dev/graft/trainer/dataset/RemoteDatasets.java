package dev.graft.trainer.dataset;

import dev.graft.trainer.config.TrainerConfig;
import dev.graft.contract.events.TrainingRequest;
import dev.graft.store.Blobs;
import dev.graft.store.ModelStoreException;
import dev.graft.store.S3Settings;
import dev.graft.store.StorageUri;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Datasets in S3 buckets ({@code s3://BUCKET/PREFIX/} class-per-folder, or {@code s3://BUCKET/.../file.csv}).
 * Only buckets in {@code graft.data.allowed-buckets} may be read: the object-storage analogue of
 * the data root. A dataset is copied into a local mirror ({@code CACHE/datasets/BUCKET/PREFIX}) and
 * read from there; a second training on it downloads only what changed (by size) and drops what is
 * gone, and one over {@code graft.trainer.max-dataset-bytes} is refused before anything is downloaded.
 */
@ApplicationScoped
public class RemoteDatasets {
    private static final Logger LOG = Logger.getLogger(RemoteDatasets.class);

    private final Set<String> allowedBuckets;
    private final S3Settings s3;
    private final Path mirrors;
    private final long maxBytes;
    /** One client per bucket, kept: an S3 client holds connections and is meant to be reused. */
    private final Map<String, Blobs> buckets = new HashMap<>();

    @Inject
    public RemoteDatasets(TrainerConfig config, S3Settings s3) {
        this(config.data().allowedBuckets(), s3, config.trainer().cacheDir(), config.trainer().maxDatasetBytes());
    }

    public RemoteDatasets(Optional<List<String>> allowedBuckets, S3Settings s3, Path cacheDir, long maxBytes) {
        this.allowedBuckets = Set.copyOf(allowedBuckets.orElse(List.of()).stream().map(String::trim)
                .filter(b -> !b.isEmpty()).toList());
        this.s3 = s3;
        this.mirrors = cacheDir.resolve("datasets").toAbsolutePath().normalize();
        this.maxBytes = maxBytes;
    }

    /** For a trainer, or a test, that reads only its data root: every bucket is refused. */
    public static RemoteDatasets none() {
        return new RemoteDatasets(Optional.empty(), null, Path.of(".graft/cache/unused"), 0);
    }

    public static boolean isRemote(String location) {
        return StorageUri.isS3(location);
    }

    /** Refuses, with the rule, a location in a bucket that is not allowed (an IllegalArgumentException for the failed event). */
    public StorageUri requireAllowed(String field, String location) {
        StorageUri uri;
        try {
            uri = StorageUri.parse(location);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": " + e.getMessage());
        }
        if (!allowedBuckets.contains(uri.bucket())) {
            throw new IllegalArgumentException(field + ": the bucket '" + uri.bucket() + "' may not be read: "
                    + (allowedBuckets.isEmpty() ? "no bucket is (set graft.data.allowed-buckets)"
                    : "graft.data.allowed-buckets is " + allowedBuckets.stream().sorted().toList()));
        }
        return uri;
    }

    /** At validation: every S3 location a request names is in an allowed bucket. */
    public void check(TrainingRequest.Dataset dataset) {
        if (isRemote(dataset.train())) {
            requireAllowed("dataset.train", dataset.train());
        }
        if (dataset.validation() != null && isRemote(dataset.validation())) {
            requireAllowed("dataset.validation", dataset.validation());
        }
    }

    /** The local copy of the folder at {@code location}, up to date with the bucket. */
    public Path folder(String location) {
        StorageUri uri = requireAllowed("dataset", location.endsWith("/") ? location : location + "/");
        return mirror(uri);
    }

    /** The local copy of the CSV at {@code location}, with every object in the CSV's folder beside it. */
    public Path csv(String location) {
        int slash = location.lastIndexOf('/');
        String name = location.substring(slash + 1);
        StorageUri folder = requireAllowed("dataset", location.substring(0, slash + 1));
        if (name.isEmpty() || location.length() <= StorageUri.SCHEME.length() + folder.bucket().length() + 1) {
            throw new IllegalArgumentException("dataset CSV " + location + " names no object");
        }
        if (!StorageUri.isPlainKey(name)) {
            throw new IllegalArgumentException("dataset CSV " + location + ": '" + name + "' is not a plain object name");
        }
        return mirror(folder).resolve(name);
    }

    private synchronized Path mirror(StorageUri uri) {
        Path local = mirrors.resolve(uri.bucket()).resolve(uri.prefix()).normalize();
        // StorageUri allows only plain segments; checked again here because what follows deletes files
        if (!local.startsWith(mirrors.resolve(uri.bucket())) || !local.startsWith(mirrors)) {
            throw new IllegalArgumentException("dataset " + uri + " maps outside the dataset cache " + mirrors);
        }
        Blobs bucket = buckets.computeIfAbsent(uri.bucket(),
                name -> StorageUri.parse(StorageUri.SCHEME + name + "/").open(s3));
        List<Blobs.Entry> entries;
        try {
            entries = bucket.entries(uri.prefix());
        } catch (ModelStoreException e) {
            throw new IllegalArgumentException("cannot list the dataset " + uri + ": " + e.getMessage(), e);
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("dataset " + uri + " has no objects");
        }
        long total = entries.stream().mapToLong(Blobs.Entry::size).sum();
        if (total > maxBytes) {
            throw new IllegalArgumentException("dataset " + uri + " holds " + total + " bytes, more than graft.trainer"
                    + ".max-dataset-bytes (" + maxBytes + ")");
        }
        // every key checked before the first file is written or deleted
        Map<Path, Blobs.Entry> wanted = new LinkedHashMap<>();
        for (Blobs.Entry entry : entries) {
            if (!entry.key().endsWith("/")) { // not a folder marker
                wanted.put(fileFor(uri, local, entry.key()), entry);
            }
        }
        int downloaded = 0;
        for (Map.Entry<Path, Blobs.Entry> want : wanted.entrySet()) {
            Path file = want.getKey();
            Blobs.Entry entry = want.getValue();
            if (!Files.isRegularFile(file) || size(file) != entry.size()) {
                try {
                    bucket.download(entry.key(), file);
                } catch (ModelStoreException e) {
                    throw new IllegalStateException("cannot download " + StorageUri.SCHEME + uri.bucket() + "/"
                            + entry.key() + ": " + e.getMessage(), e);
                }
                downloaded++;
            }
        }
        removeAllBut(local, wanted.keySet());
        LOG.infof("dataset %s: %d objects, %d downloaded, in %s", uri, wanted.size(), downloaded, local);
        return local;
    }

    /** Where an object goes in the mirror; refused, before anything is written or deleted, outside it. */
    static Path fileFor(StorageUri uri, Path local, String key) {
        String relative = key.substring(uri.prefix().length());
        Path file = local.resolve(relative).normalize();
        if (!StorageUri.isPlainKey(relative) || !file.startsWith(local) || file.equals(local)) {
            throw new IllegalArgumentException("dataset " + uri + " holds the object '" + key.replaceAll("\\p{Cntrl}", "?")
                    + "', which is not a plain path below the prefix: refused, nothing downloaded or removed");
        }
        return file;
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    private static void removeAllBut(Path local, Set<Path> wanted) {
        try (Stream<Path> files = Files.walk(local)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                if (!wanted.contains(file)) {
                    Files.deleteIfExists(file);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warnf("cannot tidy the dataset mirror %s: %s", local, e.getMessage());
        }
    }
}
