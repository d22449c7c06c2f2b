package dev.graft.store;

import dev.graft.contract.json.Json;
import dev.graft.contract.manifest.ModelManifest;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.commons.codec.digest.MessageDigestAlgorithms;
import org.apache.commons.io.FileUtils;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Versioned models shared by the trainer (writer) and the inference service (reader), on a folder
 * or an S3 bucket: {@code MODEL/VERSION/{model.zip, manifest.json, ...}}, versions increasing
 * integers per model.
 *
 * <p>Publishing takes three steps. A version number is <em>reserved</em> by creating
 * {@code MODEL/VERSION/.reserved} (create-if-absent: a hard link on a folder, {@code If-None-Match: *}
 * on S3), so two trainers never write under the same number; the files are uploaded; the manifest is
 * created last, also only if absent: it is the commit point. Readers see a version only once its
 * manifest exists, so never half of one. A reservation without a manifest (a trainer that died
 * mid-upload, storage that went away) is removed by a later publish once it is an hour old.
 */
public final class ModelStore {
    public static final String ARTIFACT = "model.zip";
    public static final String MANIFEST = "manifest.json";
    static final String RESERVED = ".reserved";
    static final Duration ABANDONED_AFTER = Duration.ofHours(1);
    private static final Pattern MODEL_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern VERSION_KEY = Pattern.compile("([1-9][0-9]{0,8})/(.+)");

    private final Blobs blobs;
    private final ArtifactCache cache;
    private final Clock clock;

    /** A folder store, read in place. */
    public ModelStore(Path root) {
        this(new FolderBlobs(root), null);
    }

    /** Any store; artifacts of a store that is not local files are downloaded into {@code cache} to be read. */
    public ModelStore(Blobs blobs, ArtifactCache cache) {
        this(blobs, cache, Clock.systemUTC());
    }

    /**
     * The store at {@code uri}: a folder, or {@code s3://BUCKET/PREFIX} whose artifacts are read
     * through a cache of {@code cacheMaxBytes} in {@code cacheDir}.
     */
    public static ModelStore open(String uri, S3Settings s3, Path cacheDir, long cacheMaxBytes) {
        StorageUri location = StorageUri.parse(uri);
        return location.s3() ? new ModelStore(location.open(s3), new ArtifactCache(cacheDir, cacheMaxBytes))
                : new ModelStore(location.folder());
    }

    ModelStore(Blobs blobs, ArtifactCache cache, Clock clock) {
        if (!blobs.isLocal() && cache == null) {
            throw new IllegalArgumentException("a store on " + blobs.location() + " needs a local cache to read from");
        }
        this.blobs = blobs;
        this.cache = cache;
        this.clock = clock;
    }

    /** The cache artifacts are read through; empty for a folder store. */
    public Optional<ArtifactCache> cache() {
        return Optional.ofNullable(cache);
    }

    /** Where the store is, for messages and status pages. */
    public String location() {
        return blobs.location();
    }

    /** The folder of a folder store; empty on object storage. */
    public Optional<Path> folder() {
        return blobs.localFile("").map(p -> p.toAbsolutePath().normalize());
    }

    /** Fails with the reason when the store cannot be used (missing bucket, refused credentials, unreachable). */
    public void check() {
        blobs.check();
    }

    /**
     * Writes the model artifact to the path it is given; it may add files beside it (a training
     * report, charts), which are published with the version.
     */
    @FunctionalInterface
    public interface ArtifactWriter {
        void write(Path artifact) throws IOException;
    }

    /**
     * Publishes the next version of {@code draft.model()}: the writer fills the artifact in a local
     * staging folder, the store checksums it, reserves a version number, uploads the files and
     * commits the manifest.
     */
    public ModelManifest publish(ModelManifest draft, ArtifactWriter writer) {
        String model = requireValidName(draft.model());
        Path staging = null;
        try {
            staging = Files.createTempDirectory("graft-publish-" + model + "-");
            Path artifact = staging.resolve(ARTIFACT);
            writer.write(artifact);
            if (!Files.isRegularFile(artifact)) {
                throw new ModelStoreException("the model writer produced no artifact for " + model);
            }
            long size = Files.size(artifact);
            String sha256 = sha256(artifact);
            removeAbandoned(model);
            int version = reserve(model);
            String dir = model + "/" + version + "/";
            try {
                List<Path> files;
                try (Stream<Path> listed = Files.list(staging)) {
                    files = listed.filter(Files::isRegularFile).sorted().toList();
                }
                for (Path file : files) {
                    blobs.upload(file, dir + file.getFileName());
                }
                ModelManifest manifest = draft.published(version, ARTIFACT, size, sha256);
                if (!blobs.create(dir + MANIFEST, Json.write(manifest).getBytes(StandardCharsets.UTF_8))) {
                    throw new ModelStoreException(model + " version " + version + " got a manifest from another writer"
                            + " while reserved by this one");
                }
                return manifest;
            } catch (RuntimeException e) {
                abandon(dir);
                throw e;
            }
        } catch (StorageUnavailableException e) {
            throw new StorageUnavailableException("could not publish a version of " + model + " to " + location() + ": "
                    + e.getMessage(), e);
        } catch (ModelStoreException e) {
            throw new ModelStoreException("could not publish a version of " + model + " to " + location() + ": "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new ModelStoreException("could not publish a version of " + model + " to " + location() + ": " + e, e);
        } finally {
            deleteLocal(staging);
        }
    }

    /** The next free number, taken by creating its reservation; a lost race moves on to the next. */
    private int reserve(String model) {
        int version = highestNumber(model) + 1;
        byte[] note = Json.write(Map.of("reservedAt", clock.instant().toString(),
                "by", ProcessHandle.current().pid() + "@" + hostName())).getBytes(StandardCharsets.UTF_8);
        while (!blobs.create(model + "/" + version + "/" + RESERVED, note)) {
            version++;
        }
        return version;
    }

    /** Best effort: what was uploaded of a version that will not be committed goes, reservation last. */
    private void abandon(String dir) {
        try {
            for (String key : blobs.list(dir)) {
                if (!key.endsWith("/" + RESERVED)) {
                    blobs.delete(key);
                }
            }
            blobs.delete(dir + RESERVED);
        } catch (RuntimeException ignored) {
            // storage is away: removeAbandoned takes it once it is old, and readers never see it
        }
    }

    /** Reservations older than an hour without a manifest: their writer is gone. */
    private void removeAbandoned(String model) {
        Map<Integer, List<String>> byVersion = keysByVersion(model);
        Instant cutoff = clock.instant().minus(ABANDONED_AFTER);
        byVersion.forEach((version, names) -> {
            if (!names.contains(MANIFEST) && names.contains(RESERVED)) {
                String dir = model + "/" + version + "/";
                blobs.modified(dir + RESERVED).filter(t -> t.isBefore(cutoff)).ifPresent(t -> abandon(dir));
            }
        });
    }

    /** Highest version number in use, committed or reserved (or, in an old folder store, a bare folder). */
    private int highestNumber(String model) {
        int highest = 0;
        for (String name : blobs.children(model + "/")) {
            if (name.matches("[1-9][0-9]{0,8}")) {
                highest = Math.max(highest, Integer.parseInt(name));
            }
        }
        return highest;
    }

    private Map<Integer, List<String>> keysByVersion(String model) {
        Map<Integer, List<String>> byVersion = new TreeMap<>();
        String dir = model + "/";
        for (String key : blobs.list(dir)) {
            Matcher m = VERSION_KEY.matcher(key.substring(dir.length()));
            if (m.matches()) {
                byVersion.computeIfAbsent(Integer.valueOf(m.group(1)), v -> new ArrayList<>()).add(m.group(2));
            }
        }
        return byVersion;
    }

    /** Model names in the store, sorted. */
    public List<String> models() {
        return blobs.children("").stream().filter(name -> MODEL_NAME.matcher(name).matches()).toList();
    }

    /** Committed versions of a model (those with a manifest), ascending. */
    public List<Integer> versions(String model) {
        requireValidName(model);
        return keysByVersion(model).entrySet().stream()
                .filter(e -> e.getValue().contains(MANIFEST))
                .map(Map.Entry::getKey)
                .toList();
    }

    public Optional<Integer> latestVersion(String model) {
        List<Integer> versions = versions(model);
        return versions.isEmpty() ? Optional.empty() : Optional.of(versions.get(versions.size() - 1));
    }

    public ModelManifest manifest(String model, int version) {
        String key = versionKey(model, version) + MANIFEST;
        byte[] bytes = blobs.read(key).orElseThrow(
                () -> new ModelStoreException("no manifest for " + model + " version " + version + " in " + location()));
        ModelManifest manifest;
        try {
            manifest = Json.read(new String(bytes, StandardCharsets.UTF_8), ModelManifest.class);
        } catch (IllegalArgumentException e) {
            throw new ModelStoreException("unreadable manifest " + location() + key + ": " + e.getMessage(), e);
        }
        String problem = problem(manifest, model, version);
        if (problem != null) {
            throw new ModelStoreException("manifest " + location() + key + " " + problem);
        }
        return manifest;
    }

    /**
     * What makes a parsed manifest unusable as the one of {@code model} version {@code version}, or null. Its
     * names become file names (the artifact's key, the cache's path): a manifest naming another model or
     * version, or an artifact that is not a plain file name in the version's folder, is refused.
     */
    static String problem(ModelManifest manifest, String model, int version) {
        if (!model.equals(manifest.model()) || manifest.version() != version) {
            return "names " + manifest.model() + " version " + manifest.version() + ", not its own folder's";
        }
        String artifact = manifest.artifact();
        if (artifact == null || artifact.contains("/") || !StorageUri.isPlainKey(artifact)) {
            return "names the artifact '" + artifact + "': not a file name in its version's folder";
        }
        if (manifest.sha256() == null || !manifest.sha256().matches("[0-9a-f]{64}") || manifest.sizeBytes() < 0) {
            return "lacks a valid sha256 and size";
        }
        return null;
    }

    /**
     * The artifact as a local file whose size and sha256 match the manifest: in place on a folder
     * store, else downloaded into the cache (once; a cached copy is checked again).
     */
    public Path verify(ModelManifest manifest) {
        String key = versionKey(manifest.model(), manifest.version()) + manifest.artifact();
        Optional<Path> local = blobs.localFile(key);
        if (local.isPresent()) {
            if (!Files.isRegularFile(local.get())) {
                throw new ModelStoreException(describe(manifest) + ": artifact " + local.get() + " is missing");
            }
            check(manifest, local.get());
            return local.get();
        }
        return cache.fetch(manifest, blobs, key, file -> check(manifest, file));
    }

    /** A file published beside the artifact of a version, e.g. its training report; empty when there is none. */
    public Optional<byte[]> file(ModelManifest manifest, String name) {
        if (name.isEmpty() || name.startsWith(".") || name.contains("/") || name.contains("\\")) {
            throw new ModelStoreException("'" + name + "' is not a file name");
        }
        return blobs.read(versionKey(manifest.model(), manifest.version()) + name);
    }

    private static void check(ModelManifest manifest, Path artifact) {
        try {
            long size = Files.size(artifact);
            if (size != manifest.sizeBytes()) {
                throw new ModelStoreException(describe(manifest) + ": artifact is " + size + " bytes, manifest says "
                        + manifest.sizeBytes());
            }
            String actual = sha256(artifact);
            if (!actual.equals(manifest.sha256())) {
                throw new ModelStoreException(describe(manifest) + ": sha256 " + actual + " does not match manifest "
                        + manifest.sha256());
            }
        } catch (IOException e) {
            throw new StorageUnavailableException(describe(manifest) + ": cannot read artifact " + artifact + ": " + e, e);
        }
    }

    private static String versionKey(String model, int version) {
        return requireValidName(model) + "/" + version + "/";
    }

    private static String describe(ModelManifest manifest) {
        return manifest.model() + " version " + manifest.version();
    }

    /** Model names become folder names and key prefixes: keep them to a safe alphabet. */
    public static String requireValidName(String model) {
        if (model == null || !MODEL_NAME.matcher(model).matches()) {
            throw new ModelStoreException("invalid model name '" + model
                    + "': use 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
        }
        return model;
    }

    public static String sha256(Path file) throws IOException {
        return new DigestUtils(MessageDigestAlgorithms.SHA_256).digestAsHex(file);
    }

    private static String hostName() {
        String host = System.getenv("HOSTNAME");
        return host != null ? host : "localhost";
    }

    static void deleteLocal(Path dir) {
        if (dir != null) {
            FileUtils.deleteQuietly(dir.toFile());   // best effort: a leftover staging folder under the temporary directory
        }
    }
}
