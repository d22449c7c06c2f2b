package dev.graft.store;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Blobs as files under a folder (local or a shared file system). Whole-file writes go through a
 * hidden temporary file renamed into place, so a reader sees all of a file or none of it;
 * {@link #create} is a hard link, which the file system refuses when the name exists, also on NFS.
 */
public final class FolderBlobs implements Blobs {
    private static final String TMP = ".tmp-";

    private final Path root;

    public FolderBlobs(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    @Override
    public String location() {
        return root.toString();
    }

    @Override
    public boolean isLocal() {
        return true;
    }

    @Override
    public Optional<Path> localFile(String key) {
        return Optional.of(path(key));
    }

    @Override
    public void upload(Path file, String key) {
        put(key, tmp -> Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING), Publish.REPLACE);
    }

    @Override
    public void write(String key, byte[] bytes) {
        put(key, tmp -> Files.write(tmp, bytes), Publish.REPLACE);
    }

    @Override
    public boolean create(String key, byte[] bytes) {
        return put(key, tmp -> Files.write(tmp, bytes), Publish.IF_ABSENT);
    }

    private interface Fill {
        void into(Path tmp) throws IOException;
    }

    /** How a filled temporary file takes the key's name: renamed over it, or hard-linked only if the name is free. */
    private enum Publish { REPLACE, IF_ABSENT }

    /** Fills a temporary file beside the target and publishes it whole; false when IF_ABSENT found the name taken. */
    private boolean put(String key, Fill fill, Publish publish) {
        Path target = path(key);
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), TMP, ".part");
            try {
                fill.into(tmp);
                if (publish == Publish.IF_ABSENT) {
                    Files.createLink(target, tmp);
                } else {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
                return true;
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (FileAlreadyExistsException exists) {
            return false;
        } catch (IOException e) {
            throw failure("cannot write " + target, e);
        }
    }

    @Override
    public Optional<byte[]> read(String key) {
        try {
            return Optional.of(Files.readAllBytes(path(key)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure("cannot read " + path(key), e);
        }
    }

    @Override
    public void download(String key, Path target) {
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            Files.copy(path(key), target, StandardCopyOption.REPLACE_EXISTING);
        } catch (NoSuchFileException e) {
            throw new ModelStoreException(path(key) + " does not exist", e);
        } catch (IOException e) {
            throw failure("cannot copy " + path(key), e);
        }
    }

    @Override
    public List<Entry> entries(String prefix) {
        Path dir = prefix.isEmpty() ? root : path(prefix);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Entry> keys = new ArrayList<>();
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && !file.getFileName().toString().startsWith(TMP)) {
                        keys.add(new Entry(root.relativize(file).toString().replace('\\', '/'), attrs.size()));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE; // a writer's temporary file, gone meanwhile
                    }
                    throw e;
                }
            });
        } catch (NoSuchFileException gone) {
            return List.of();
        } catch (IOException e) {
            throw failure("cannot list " + dir, e);
        }
        return keys.stream().sorted(Comparator.comparing(Entry::key)).toList();
    }

    @Override
    public List<String> children(String prefix) {
        Path dir = prefix.isEmpty() ? root : path(prefix);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(TMP)).sorted().toList();
        } catch (IOException e) {
            throw failure("cannot list " + dir, e);
        }
    }

    @Override
    public Optional<Instant> modified(String key) {
        try {
            return Optional.of(Files.getLastModifiedTime(path(key)).toInstant());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure("cannot read " + path(key), e);
        }
    }

    @Override
    public void delete(String key) {
        try {
            Path file = path(key);
            Files.deleteIfExists(file);
            // drop folders the delete emptied, up to the root, so listings stay short
            for (Path dir = file.getParent(); dir != null && !dir.equals(root); dir = dir.getParent()) {
                try (Stream<Path> rest = Files.list(dir)) {
                    if (rest.findAny().isPresent()) {
                        break;
                    }
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw failure("cannot delete " + path(key), e);
        }
    }

    @Override
    public void check() {
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new ModelStoreException("the folder " + root + " cannot be created: " + e, e);
        }
        if (!Files.isReadable(root) || !Files.isWritable(root)) {
            throw new ModelStoreException("the folder " + root + " is not readable and writable by this process");
        }
    }

    private Path path(String key) {
        Path path = root.resolve(key).normalize();
        if (!path.startsWith(root)) {
            throw new ModelStoreException("'" + key + "' is outside " + root);
        }
        return path;
    }

    private static ModelStoreException failure(String what, Exception e) {
        return new StorageUnavailableException(what + ": " + e, e);
    }
}
