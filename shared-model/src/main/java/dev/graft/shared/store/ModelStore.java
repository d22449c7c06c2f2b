package dev.graft.shared.store;

import dev.graft.shared.json.Json;
import dev.graft.shared.manifest.ModelManifest;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A directory of versioned models shared by the trainer (writer) and the inference service (reader):
 * {@code ROOT/MODEL/VERSION/{model.zip, manifest.json}}. Versions are increasing integers per model.
 * A version is written under a hidden temporary directory and renamed into place, so a reader sees
 * all of it or none of it.
 */
public final class ModelStore {
    public static final String ARTIFACT = "model.zip";
    public static final String MANIFEST = "manifest.json";
    private static final Pattern MODEL_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern VERSION_DIR = Pattern.compile("[1-9][0-9]{0,8}");

    /** Publishers in this JVM queue here; the file lock orders publishers in other processes. */
    private static final ConcurrentMap<Path, Object> PUBLISH_LOCKS = new ConcurrentHashMap<>();

    private final Path root;

    public ModelStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
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
     * Publishes the next version of {@code draft.model()}: the writer fills the artifact, the store
     * checksums it, completes the manifest and renames the whole version into place.
     */
    public ModelManifest publish(ModelManifest draft, ArtifactWriter writer) {
        String model = requireValidName(draft.model());
        Path modelDir = root.resolve(model);
        Path tmp = modelDir.resolve(".tmp-" + UUID.randomUUID());
        try {
            Files.createDirectories(tmp);
            Path artifact = tmp.resolve(ARTIFACT);
            writer.write(artifact);
            if (!Files.isRegularFile(artifact)) {
                throw new ModelStoreException("the model writer produced no artifact for " + model);
            }
            long size = Files.size(artifact);
            String sha256 = sha256(artifact);
            synchronized (PUBLISH_LOCKS.computeIfAbsent(modelDir, k -> new Object())) {
                try (FileChannel lockFile = FileChannel.open(modelDir.resolve(".publish.lock"),
                        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock ignored = lockFile.lock()) {
                    int version = latestVersion(model).orElse(0) + 1;
                    ModelManifest manifest = draft.published(version, ARTIFACT, size, sha256);
                    Files.writeString(tmp.resolve(MANIFEST), Json.write(manifest));
                    Files.move(tmp, modelDir.resolve(Integer.toString(version)), StandardCopyOption.ATOMIC_MOVE);
                    return manifest;
                }
            }
        } catch (AtomicMoveNotSupportedException e) {
            throw new ModelStoreException("the model store at " + root + " cannot rename atomically", e);
        } catch (IOException e) {
            throw new ModelStoreException("could not publish a version of " + model + " under " + root + ": " + e, e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** Model names in the store, sorted. */
    public List<String> models() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString())
                    .filter(name -> MODEL_NAME.matcher(name).matches())
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new ModelStoreException("cannot list models under " + root, e);
        }
    }

    /** Published versions of a model, ascending; temporary directories are never listed. */
    public List<Integer> versions(String model) {
        Path modelDir = root.resolve(requireValidName(model));
        if (!Files.isDirectory(modelDir)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(modelDir)) {
            return dirs.map(p -> p.getFileName().toString())
                    .filter(name -> VERSION_DIR.matcher(name).matches())
                    .map(Integer::valueOf)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new ModelStoreException("cannot list versions of " + model, e);
        }
    }

    public Optional<Integer> latestVersion(String model) {
        List<Integer> versions = versions(model);
        return versions.isEmpty() ? Optional.empty() : Optional.of(versions.get(versions.size() - 1));
    }

    public ModelManifest manifest(String model, int version) {
        Path file = versionDir(model, version).resolve(MANIFEST);
        try {
            return Json.read(Files.readString(file), ModelManifest.class);
        } catch (IOException e) {
            throw new ModelStoreException("no manifest for " + model + " version " + version + " at " + file, e);
        } catch (IllegalArgumentException e) {
            throw new ModelStoreException("unreadable manifest " + file + ": " + e.getMessage(), e);
        }
    }

    public Path artifact(ModelManifest manifest) {
        return versionDir(manifest.model(), manifest.version()).resolve(manifest.artifact());
    }

    /** Checks the artifact's size and sha256 against its manifest; returns the artifact path. */
    public Path verify(ModelManifest manifest) {
        Path artifact = artifact(manifest);
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
            return artifact;
        } catch (IOException e) {
            throw new ModelStoreException(describe(manifest) + ": cannot read artifact " + artifact + ": " + e, e);
        }
    }

    /** A file published beside the artifact of a version, e.g. its training report. */
    public Path file(ModelManifest manifest, String name) {
        Path file = versionDir(manifest.model(), manifest.version()).resolve(name).normalize();
        if (!file.getParent().equals(versionDir(manifest.model(), manifest.version())) || name.startsWith(".")) {
            throw new ModelStoreException("'" + name + "' is not a file name");
        }
        return file;
    }

    private Path versionDir(String model, int version) {
        return root.resolve(requireValidName(model)).resolve(Integer.toString(version));
    }

    private static String describe(ModelManifest manifest) {
        return manifest.model() + " version " + manifest.version();
    }

    /** Model names become directory names: keep them to a safe alphabet. */
    public static String requireValidName(String model) {
        if (model == null || !MODEL_NAME.matcher(model).matches()) {
            throw new ModelStoreException("invalid model name '" + model
                    + "': use 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
        }
        return model;
    }

    static String sha256(Path file) throws IOException {
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file),
                MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a leftover .tmp-* directory is never listed as a version
        }
    }
}
