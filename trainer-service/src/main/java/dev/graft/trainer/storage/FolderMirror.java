package dev.graft.trainer.storage;

import dev.graft.store.Blobs;
import dev.graft.store.StorageUri;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A local folder kept as a copy of the keys under one prefix of remote state, for code that needs
 * files (DL4J reads and writes networks as files). {@link #pull} replaces the folder with the remote
 * copy; {@link #push} uploads what changed locally, in name order, and then removes remote keys
 * gone locally, so a reader that comes between never finds less than the previous copy.
 */
public final class FolderMirror {
    private final Blobs remote;
    private final String prefix;
    private final Path local;
    private long pushedUpTo;

    public FolderMirror(Blobs remote, String prefix, Path local) {
        this.remote = remote;
        this.prefix = prefix;
        this.local = local;
    }

    public Path local() {
        return local;
    }

    public void pull() {
        // folder markers ("a/b/") hold nothing to copy
        List<String> keys = remote.list(prefix).stream().filter(key -> !key.endsWith("/")).toList();
        for (String key : keys) {
            // only this folder's own files: a key that would land outside it is refused before anything is touched
            if (!StorageUri.isPlainKey(key.substring(prefix.length()))) {
                throw new IllegalStateException(remote.location() + key + " is not a plain path below " + prefix
                        + ": refused to copy it into " + local);
            }
        }
        delete(local);
        for (String key : keys) {
            remote.download(key, local.resolve(key.substring(prefix.length())));
        }
        pushedUpTo = System.currentTimeMillis();
    }

    /** Both copies gone: the local one first, then every remote key. */
    public void clear() {
        delete(local);
        for (String key : remote.list(prefix)) {
            remote.delete(key);
        }
    }

    public void push() {
        List<Path> files = localFiles();
        Set<String> keep = new HashSet<>();
        long started = System.currentTimeMillis();
        for (Path file : files) {
            String key = prefix + local.relativize(file).toString().replace('\\', '/');
            keep.add(key);
            if (modified(file) >= pushedUpTo) {
                remote.upload(file, key);
            }
        }
        for (String key : remote.list(prefix)) {
            if (!keep.contains(key)) {
                remote.delete(key);
            }
        }
        pushedUpTo = started;
    }

    private List<Path> localFiles() {
        if (!Files.isDirectory(local)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(local)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> !inTemporary(local.relativize(f)))
                    .sorted()
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalStateException("cannot list " + local + ": " + e.getMessage(), e);
        }
    }

    /** Something being written (Checkpoint writes under .tmp-* and renames). */
    private static boolean inTemporary(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".tmp-")) {
                return true;
            }
        }
        return false;
    }

    private static long modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    private static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + dir, e);
        }
    }
}
